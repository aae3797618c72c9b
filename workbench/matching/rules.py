"""Input checks: clear, actionable errors instead of solver traces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from workbench.matching.model import (
    Applicant,
    ContradictoryRules,
    LockBreaksRule,
    MatchingError,
    MatchRules,
    TooFewPeople,
)
from workbench.matching.scoring import hard_rule_broken


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
