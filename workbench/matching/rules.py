"""The matching's hard rules, and the checks of a run's input against them.

This module is the one home of the hard rules: two people may be partners only when

1. they are two different people;
2. they live in different countries;
3. they share at least one working language;
4. they were never partners before (no repeat partnerships);
5. no coordinator forbade the pair.

:func:`broken_rules` lists every rule a pair breaks, :func:`hard_rule_broken` the first of them in
words. The matching engine (locks, candidates, the vectorised ``scoring.Pool``, which is tested to agree),
pairing by hand and the follow-up's re-match all ask these functions, so a re-match can never make a
pair the matching would refuse. Pure Python: no database, no Streamlit.

:func:`check_input` turns bad input into clear, actionable errors instead of solver traces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from workbench.matching.model import (
    Applicant,
    ContradictoryRules,
    LockBreaksRule,
    MatchingError,
    MatchRules,
    TooFewPeople,
)

#: The hard rules, by name, in the order they are checked.
HardRule = Literal["same_person", "same_country", "no_shared_language", "repeat_partnership", "forbidden"]
HARD_RULES: dict[HardRule, str] = {
    "same_person": "a person cannot be their own partner",
    "same_country": "partners live in different countries",
    "no_shared_language": "partners share at least one working language",
    "repeat_partnership": "the program never repeats a partnership",
    "forbidden": "a pair a coordinator forbade is never made",
}


@dataclass(frozen=True)
class RuleBreak:
    """One hard rule a pair breaks: which rule (a key of :data:`HARD_RULES`) and why, in words that
    name the people or the country."""

    rule: HardRule
    reason: str

    def __str__(self) -> str:
        return self.reason


def broken_rules(a: Applicant, b: Applicant, forbidden: frozenset[frozenset[int]] = frozenset()
                 ) -> list[RuleBreak]:
    """Every hard rule that keeps ``a`` and ``b`` apart (empty when they may be partners).

    ``past_partners`` of each applicant are the person ids they were partnered with before; ``forbidden``
    holds the pairs of application ids a coordinator forbade.
    """
    if a.application_id == b.application_id:
        return [RuleBreak("same_person", "a person cannot be their own partner")]
    found: list[RuleBreak] = []
    if a.country == b.country:
        found.append(RuleBreak("same_country", f"partners must live in different countries (both are in {a.country})"))
    if not a.languages & b.languages:
        found.append(RuleBreak(
            "no_shared_language",
            f"partners must share a language ({a.name}: {', '.join(sorted(a.languages)) or 'none given'}; "
            f"{b.name}: {', '.join(sorted(b.languages)) or 'none given'})",
        ))
    if b.person_id in a.past_partners or a.person_id in b.past_partners:
        found.append(RuleBreak("repeat_partnership",
                               "they have been partners before (the program never repeats a partnership)"))
    if frozenset((a.application_id, b.application_id)) in forbidden:
        found.append(RuleBreak("forbidden", "a coordinator forbade this pair"))
    return found


def hard_rule_broken(a: Applicant, b: Applicant, forbidden: frozenset[frozenset[int]] = frozenset()) -> str | None:
    """The first hard rule that keeps ``a`` and ``b`` apart, in words, or None when they may be partners."""
    found = broken_rules(a, b, forbidden)
    return found[0].reason if found else None


@dataclass(frozen=True)
class CheckedInput:
    by_id: dict[int, Applicant]
    eligible: list[Applicant]  #: not excluded, in input order
    locks: tuple[tuple[int, ...], ...]  #: normalised (sorted ids)
    locked_ids: frozenset[int]


def _who(a: Applicant) -> str:
    return f"{a.name} (application {a.application_id}, {a.country})"


def check_input(applicants: Sequence[Applicant], rules: MatchRules) -> CheckedInput:
    """Validate applicants and rules; raise a ``MatchingError`` subclass saying what to fix."""
    by_id: dict[int, Applicant] = {}
    for a in applicants:
        if a.application_id in by_id:
            raise MatchingError(
                f"application {a.application_id} appears twice in the round; each application must be "
                "given once (check the import for duplicate rows)."
            )
        if not a.languages:
            raise MatchingError(
                f"{_who(a)} lists no working language; partners must share one. Add at least one language "
                "to the application (e.g. English) before matching."
            )
        if not -720 <= a.utc_offset_minutes <= 840:
            raise MatchingError(
                f"{_who(a)} has UTC offset {a.utc_offset_minutes} minutes; offsets run from -720 to +840. "
                "Fix the application's time zone."
            )
        by_id[a.application_id] = a

    def known(x: int, what: str) -> Applicant:
        if x not in by_id:
            raise ContradictoryRules(
                f"{what} names application {x}, which is not in this round. Remove the rule or check the id."
            )
        return by_id[x]

    for x in rules.excluded:
        known(x, "an exclusion")
    for pair in rules.forbidden:
        ids = sorted(pair)
        if len(ids) != 2:
            raise ContradictoryRules(f"a forbidden pair must name two different applications, got {ids}.")
        for x in ids:
            known(x, f"the forbidden pair {ids[0]}–{ids[1]}")
    locks: list[tuple[int, ...]] = []
    owner: dict[int, tuple[int, ...]] = {}
    for raw in rules.locks:
        lock = tuple(sorted(raw))
        label = "–".join(map(str, lock))
        if len(lock) not in (2, 3) or len(set(lock)) != len(lock):
            raise ContradictoryRules(
                f"lock {label} must name two or three different applications (a pair or a trio)."
            )
        members = [known(x, f"lock {label}") for x in lock]
        for a in members:
            if a.application_id in rules.excluded:
                raise ContradictoryRules(
                    f"lock {label} includes {_who(a)}, who is excluded from this run. "
                    "Drop the lock or lift the exclusion."
                )
            if a.application_id in owner:
                other = "–".join(map(str, owner[a.application_id]))
                raise ContradictoryRules(
                    f"{_who(a)} is in two locks ({other} and {label}); a person can be in only one "
                    "partnership. Drop one of the locks."
                )
            owner[a.application_id] = lock
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if frozenset((a.application_id, b.application_id)) in rules.forbidden:
                    raise ContradictoryRules(
                        f"lock {label} puts together {_who(a)} and {_who(b)}, a pair a coordinator also "
                        "forbade. Drop the lock or the forbid."
                    )
                broken = hard_rule_broken(a, b)
                if broken:
                    raise LockBreaksRule(
                        f"lock {label} breaks a hard rule: {_who(a)} and {_who(b)}: {broken}. "
                        "Drop the lock or lock them with someone else."
                    )
        locks.append(lock)
    eligible = [a for a in applicants if a.application_id not in rules.excluded]
    if len(eligible) < 2:
        raise TooFewPeople(
            f"the round has {len(eligible)} eligible applicant(s) ({len(applicants)} in all, "
            f"{len(rules.excluded)} excluded); matching needs at least two. Accept more applications or "
            "lift exclusions."
        )
    return CheckedInput(by_id, eligible, tuple(locks), frozenset(owner))
