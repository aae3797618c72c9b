"""The trade-off between shared interests and partner wishes met, in numbers.

``frontier`` matches the round once per weight of a wish met (the same points for a sector, a career
stage and an interests wish; the other weights as given), each solve warm-started from the previous
point's partnerships. Every point gives the share of partnerships sharing an interest, the wishes met
(of those made), the mean hours of working-day overlap and the objective, with the run's status and gap.
A weight whose partnerships are the same as the previous point's gives nothing new and is marked so.

With every point proved optimal the wishes met never go down as their weight goes up: if weight w1 < w2
gave optima (S1, W1) and (S2, W2) of the other criteria's score S and the wishes met W, optimality at
each weight gives S1 + w1 W1 >= S2 + w1 W2 and S2 + w2 W2 >= S1 + w2 W1, so (w2 - w1)(W2 - W1) >= 0.

Needs the MATCH action (the coordinator's, who then runs a chosen point as a proposal).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

from workbench.access import Action, User, require
from workbench.matching.model import Applicant, MatchResult, MatchRules, OddPolicy, Weights
from workbench.matching.solver import match

#: the weights of a wish met tried by default: 0 to 30 points, denser where the choice usually falls
WISH_WEIGHTS: tuple[float, ...] = (0.0, 1.0, 3.0, 5.0, 8.0, 12.0, 20.0, 30.0)


@dataclass(frozen=True)
class FrontierPoint:
    """One weight of a wish met, and what the matching gives under it."""

    wish_weight: float  #: points per wish met (sector, stage and interests wishes alike)
    share_sharing_interest: float  #: partnerships whose members share at least one interest
    wishes_met: int  #: directional wishes met, over every partnership
    wishes: int  #: directional wishes made by the matched people
    mean_overlap_hours: float  #: mean hours the partners' 09:00-17:00 working days overlap
    objective: float  #: the total score under this point's weights
    matched: int
    status: str  #: "optimal" when proved
    gap: float
    seconds: float
    same_as: float | None  #: the earlier weight whose partnerships this point repeats (nothing new), or None

    @property
    def is_new(self) -> bool:
        return self.same_as is None

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "is_new": self.is_new}


def with_wish_weight(weights: Weights, wish_weight: float) -> Weights:
    """``weights`` with every wish met worth ``wish_weight`` points."""
    return replace(weights, partner_sector=wish_weight, partner_stage=wish_weight, partner_interests=wish_weight)


def point_figures(result: MatchResult) -> tuple[float, int, int, float]:
    """(share sharing an interest, wishes met, wishes made, mean hours of overlap) of a run's partnerships."""
    sharing = met = made = 0
    hours = 0.0
    for explanation in result.explanations.values():
        links = explanation.links
        sharing += any(link.shared_interests for link in links)
        met += sum(w.met for link in links for w in link.wishes)
        made += sum(1 for link in links for w in link.wishes)
        hours += sum(link.hours_overlap for link in links) / len(links)
    count = len(result.explanations)
    return (sharing / count if count else 0.0, met, made, hours / count if count else 0.0)


def frontier(applicants: Sequence[Applicant], rules: MatchRules | None = None, weights: Weights | None = None, *,
             by: User | None, wish_weights: Sequence[float] = WISH_WEIGHTS, odd_policy: OddPolicy = "trio",
             time_limit: float = 5.0, progress: Callable[[int, int], None] | None = None) -> list[FrontierPoint]:
    """The frontier over ``wish_weights`` (sorted, 0 to 1000 points), each solve warm-started from the last.

    ``time_limit``: CP-SAT seconds per point (a point proved optimal stops well before).
    ``progress(done, total)`` is called after each point.
    """
    require(by, Action.MATCH)
    weights = weights or Weights()
    points: list[FrontierPoint] = []
    previous: MatchResult | None = None
    seen: dict[frozenset[tuple[int, ...]], float] = {}
    ordered = sorted(set(float(w) for w in wish_weights))
    for i, w in enumerate(ordered):
        started = time.monotonic()
        result = match(applicants, rules, with_wish_weight(weights, w), odd_policy=odd_policy,
                       time_limit=time_limit, previous=previous)
        share, met, made, hours = point_figures(result)
        key = frozenset(result.partnerships)
        points.append(FrontierPoint(w, round(share, 4), met, made, round(hours, 2), result.objective, result.matched,
                                    result.status, result.gap, round(time.monotonic() - started, 2), seen.get(key)))
        seen.setdefault(key, w)
        previous = result
        if progress is not None:
            progress(i + 1, len(ordered))
    return points
