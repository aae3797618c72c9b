"""The matching engine: pure Python, no Streamlit and no database.

Typical use::

    from workbench.matching import Applicant, MatchRules, Weights, match, feasible_pairs

    result = match(applicants, MatchRules.of(locks=[(12, 34)], forbidden=[(5, 6)], excluded=[7]),
                   Weights(), odd_policy="trio", time_limit=20)
    result.summary()            # people, matched, pairs, trios, unmatched, objective, bound, gap, ...
    result.explanations[(12, 34)].summary()
    result.reasons[7].reason    # "excluded by a coordinator"

``feasible_pairs(applicants, rules, weights)`` yields every ``(a_id, b_id, score)`` the hard rules
allow (the ``candidates`` CSV); ``pair_score``/``explain_pair`` score one pair. The hard rules have one
home, :mod:`workbench.matching.rules`: ``broken_rules`` lists every rule a pair breaks and
``hard_rule_broken`` names the first (pairing by hand and the follow-up's re-match use them too).
``make_pool(n, seed)`` draws a synthetic round.
"""

from workbench.matching.candidates import feasible_pairs
from workbench.matching.model import (
    Applicant,
    ContradictoryRules,
    Explanation,
    LockBreaksRule,
    MatchingError,
    MatchResult,
    MatchRules,
    OddPolicy,
    PairExplanation,
    TooFewPeople,
    UnmatchedReason,
    Weights,
    WishCheck,
)
from workbench.matching.rules import HARD_RULES, RuleBreak, broken_rules, hard_rule_broken
from workbench.matching.scoring import explain_pair, overlap_minutes, pair_score
from workbench.matching.solver import match
from workbench.matching.synthetic import make_pool, make_random_instance

__all__ = [
    "HARD_RULES",
    "Applicant",
    "ContradictoryRules",
    "Explanation",
    "LockBreaksRule",
    "MatchResult",
    "MatchRules",
    "MatchingError",
    "OddPolicy",
    "PairExplanation",
    "RuleBreak",
    "TooFewPeople",
    "UnmatchedReason",
    "Weights",
    "WishCheck",
    "broken_rules",
    "explain_pair",
    "feasible_pairs",
    "hard_rule_broken",
    "make_pool",
    "make_random_instance",
    "match",
    "overlap_minutes",
    "pair_score",
]
