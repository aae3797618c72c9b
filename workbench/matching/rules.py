"""The matching's hard rules, and the checks of a run's input against them.

This module is the one home of the hard rules: two people may be partners only when

1. they are two different people;
2. they are on different sides of the program's **cross-border rule** (:data:`CROSS_BORDER`, the setting
   ``cross_border``): they live in different countries (``country``, the default and the ILN's), come from
   different UN M49 sub-regions (``region``), work at different organisations (``organisation``, for a
   program inside one nation) or anything goes (``none``); :func:`cross_border_break` is that rule;
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

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from workbench.countries import country_name, country_table, is_country
from workbench.matching.model import (
    Applicant,
    ContradictoryRules,
    CrossBorder,
    LockBreaksRule,
    MatchingError,
    MatchRules,
    TooFewPeople,
)

#: The cross-border rules (the program's setting ``cross_border``).
CROSS_BORDER_RULES: tuple[CrossBorder, ...] = get_args(CrossBorder)


@dataclass(frozen=True)
class Border:
    """What a cross-border rule keeps apart, in words: ``unit`` ("country"), what partners must do."""

    rule: CrossBorder
    unit: str  #: "country", "sub-region", "organisation"
    must: str  #: "live in different countries"


#: Each cross-border rule, in words.
CROSS_BORDER: dict[CrossBorder, Border] = {
    "country": Border("country", "country", "live in different countries"),
    "region": Border("region", "sub-region", "come from different UN M49 sub-regions"),
    "organisation": Border("organisation", "organisation", "work at different organisations"),
    "none": Border("none", "", "may be anyone (no cross-border condition)"),
}

#: The hard rules, by name, in the order they are checked.
HardRule = Literal["same_person", "cross_border", "no_shared_language", "repeat_partnership", "forbidden"]
HARD_RULES: dict[HardRule, str] = {
    "same_person": "a person cannot be their own partner",
    "cross_border": "partners are on different sides of the program's cross-border rule (different countries, "
                    "sub-regions or organisations; or none)",
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


def check_cross_border(rule: str) -> CrossBorder:
    """``rule`` if it is a cross-border rule, else a :class:`MatchingError` naming the four."""
    if rule not in CROSS_BORDER:
        raise MatchingError(f"the cross-border rule must be one of {', '.join(CROSS_BORDER_RULES)}, not {rule!r}.")
    return rule


def organisation_key(text: str | None) -> str | None:
    """An organisation as the organisation rule compares it: accents, case, punctuation and a leading "The"
    ignored, '&' is 'and' ("The Boston Public Library" = "boston public library."); None when blank."""
    if text is None:
        return None
    folded = unicodedata.normalize("NFKD", str(text))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold().replace("&", " and ")
    # letters of every script stay (a Cyrillic or Chinese name is an organisation too); ß is ss, ﬁ is fi
    key = re.sub(r"[\W_]+", " ", folded.replace("'", "").replace("’", "")).strip()
    key = re.sub(r"^the ", "", key)
    return key or None


@functools.cache
def _sub_regions() -> dict[str, str]:
    table = country_table()
    return {str(c): str(r) for c, r in zip(table["iso3"], table["un_region"], strict=True) if str(r)}


def sub_region(iso3: str) -> str:
    """The UN M49 sub-region of a country ("Northern Europe"), from the country table
    (``workbench/data/countries.csv``, made from country_converter); an unknown code is its own region."""
    return _sub_regions().get(iso3, iso3)


def side(a: Applicant, rule: CrossBorder) -> str | None:
    """What ``rule`` compares for ``a``: their country, sub-region or organisation (normalised); None when the
    rule has nothing to compare (``none``, or no organisation given under ``organisation``): no one is on
    their side, so the rule keeps no partner from them."""
    if rule == "country":
        return a.country
    if rule == "region":
        return sub_region(a.country)
    if rule == "organisation":
        return organisation_key(a.organisation)
    return None


def side_name(a: Applicant, rule: CrossBorder) -> str:
    """``a``'s side as people write it: the country code, the sub-region, the organisation as given."""
    if rule == "region":
        return sub_region(a.country)
    if rule == "organisation":
        return str(a.organisation or "").strip()
    return a.country


def cross_border_break(a: Applicant, b: Applicant, rule: CrossBorder = "country") -> RuleBreak | None:
    """The program's cross-border rule for ``a`` and ``b``: None when they may be partners under it, else
    the break, in words that name the rule and their shared country, sub-region or organisation."""
    mine = side(a, rule)
    if mine is None or mine != side(b, rule):
        return None
    border = CROSS_BORDER[rule]
    if rule == "country":
        where = f"both are in {a.country}"
    elif rule == "region":
        where = f"both are in {side_name(a, rule)}: {a.country} and {b.country}"
    else:
        where = f"both work at {side_name(a, rule)}"
    return RuleBreak("cross_border", f"partners must {border.must} (the {rule} rule; {where})")


def broken_rules(a: Applicant, b: Applicant, forbidden: frozenset[frozenset[int]] = frozenset(), *,
                 cross_border: CrossBorder = "country") -> list[RuleBreak]:
    """Every hard rule that keeps ``a`` and ``b`` apart (empty when they may be partners).

    ``past_partners`` of each applicant are the person ids they were partnered with before; ``forbidden``
    holds the pairs of application ids a coordinator forbade; ``cross_border`` is the program's rule.
    """
    if a.application_id == b.application_id:
        return [RuleBreak("same_person", "a person cannot be their own partner")]
    found: list[RuleBreak] = []
    border = cross_border_break(a, b, cross_border)
    if border is not None:
        found.append(border)
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


def hard_rule_broken(a: Applicant, b: Applicant, forbidden: frozenset[frozenset[int]] = frozenset(), *,
                     cross_border: CrossBorder = "country") -> str | None:
    """The first hard rule that keeps ``a`` and ``b`` apart, in words, or None when they may be partners."""
    found = broken_rules(a, b, forbidden, cross_border=cross_border)
    return found[0].reason if found else None


_THE = ("United ", "Republic ", "Netherlands", "Philippines", "Bahamas", "Maldives", "Gambia", "Czech Republic",
        "Dominican Republic", "Central African Republic", "Comoros", "Seychelles", "Marshall Islands",
        "Solomon Islands", "Cayman Islands", "Faroe Islands", "Falkland Islands", "Cook Islands", "Vatican")


def _in_country(iso3: str) -> str:
    """"the United States", "Kenya" (the country table's name, with "the" where English puts one)."""
    name = country_name(iso3) if is_country(iso3) else iso3
    return f"the {name}" if name.startswith(_THE) or name.endswith(" Islands") else name


@dataclass(frozen=True)
class OneSide:
    """Every applicant is on the same side of the cross-border rule: no pair is possible."""

    rule: CrossBorder
    people: int
    where: str  #: "live in the United States", "come from Northern America", "work at Boston Public Library"
    instead: CrossBorder  #: the rule to choose instead (the narrowest under which they have partners)

    def __str__(self) -> str:
        return f"all {self.people} applicants {self.where}"


def one_side_only(applicants: Sequence[Applicant], rule: CrossBorder) -> OneSide | None:
    """When two or more applicants are all on one side of ``rule`` (a national program under the country
    rule, say), what they share and the rule to choose instead; None when the rule lets some pair form."""
    if len(applicants) < 2:
        return None
    sides = {side(a, rule) for a in applicants}
    if len(sides) != 1 or None in sides:
        return None
    first = applicants[0]
    if rule == "country":
        where = f"live in {_in_country(first.country)}"
    elif rule == "region":
        where = f"come from {sub_region(first.country)}"
    else:
        where = f"work at {side_name(first, rule)}"
    instead: CrossBorder = "none"
    for narrower in ("organisation", "country") if rule == "region" else ("organisation",):
        if narrower != rule and len({side(a, narrower) for a in applicants}) > 1:
            instead = narrower
            break
    return OneSide(rule, len(applicants), where, instead)


class OneSideOnly(MatchingError):
    """Every eligible applicant is on the same side of the cross-border rule: no one can be matched. The engine
    still answers such a round (everyone unmatched, each with the reason); the matching in the database
    (:func:`workbench.matchstore.run_matching`) refuses it with this, naming the rule to choose instead."""

    def __init__(self, found: OneSide) -> None:
        self.found = found
        rule = CROSS_BORDER[found.rule]
        super().__init__(f"{found}: under the {found.rule} rule partners must {rule.must}, so no one can be "
                         f"matched. Choose the {found.instead} rule instead.")


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
    check_cross_border(rules.cross_border)
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
                broken = hard_rule_broken(a, b, cross_border=rules.cross_border)
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


def unchecked_note(applicants: Sequence[Applicant], rule: CrossBorder) -> str | None:
    """Under the organisation rule, who gave no organisation (the rule cannot keep them from a colleague)."""
    if rule != "organisation":
        return None
    missing = [a for a in applicants if organisation_key(a.organisation) is None]
    if not missing:
        return None
    names = ", ".join(a.name for a in missing[:3]) + (" …" if len(missing) > 3 else "")
    return (f"{len(missing)} applicant(s) gave no organisation ({names}): the organisation rule could not keep "
            "them from a colleague. Add their organisation to the application and re-run to be sure.")
