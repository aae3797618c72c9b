"""The matching engine's inputs and outputs: applicants, rules, weights, results, explanations.

Plain frozen dataclasses, no Streamlit and no DuckDB: the database layer builds ``Applicant`` rows
from ``applications`` and ``MatchRules`` from ``match_rules``, and stores a ``MatchResult``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from workbench.errors import WorkbenchError

OddPolicy = Literal["trio", "waitlist"]
#: The program's cross-border rules (the setting ``cross_border``; :mod:`workbench.matching.rules` says what each asks).
CrossBorder = Literal["country", "region", "organisation", "none"]


class MatchingError(WorkbenchError):
    """Bad matching input: the message says what is wrong and what to do."""


class LockBreaksRule(MatchingError):
    """A coordinator lock puts together people a hard rule keeps apart."""


class ContradictoryRules(MatchingError):
    """Locks, forbids and excludes that cannot all hold (or refer to unknown applications)."""


class TooFewPeople(MatchingError):
    """Fewer than two eligible people: there is nothing to match."""


@dataclass(frozen=True)
class Applicant:
    """One accepted application of the round, as the matching sees it."""

    application_id: int
    person_id: int
    name: str
    country: str  #: ISO-3, e.g. "AUS"
    sector: str  #: one of the program's sectors
    career_stage: str  #: one of the program's career stages
    interests: frozenset[str]  #: the program's interests, 1..6
    languages: frozenset[str]  #: at least one, e.g. {"English", "Spanish"}
    utc_offset_minutes: int  #: standard offset of their time zone
    partner_sector: str | None = None  #: directional wish about the PARTNER's sector
    partner_stage: str | None = None  #: directional wish about the PARTNER's career stage
    partner_interests: frozenset[str] = frozenset()  #: the partner should share one of these
    past_partners: frozenset[int] = frozenset()  #: person_ids partnered in earlier rounds
    past_partner_countries: frozenset[str] = frozenset()  #: countries of earlier partners
    organisation: str | None = None  #: where they work, as given (the organisation rule compares it normalised)

    @property
    def is_returner(self) -> bool:
        return bool(self.past_partners or self.past_partner_countries)


@dataclass(frozen=True)
class MatchRules:
    """The coordinator's rules for a run.

    ``locks``: partnerships (2 or 3 application ids) that must appear exactly as given.
    ``forbidden``: pairs of application ids that must never be partners.
    ``excluded``: application ids left out of this run.
    ``cross_border``: the program's cross-border rule (``workbench.matching.rules.CROSS_BORDER``): "country"
    (partners live in different countries; the default), "region", "organisation" or "none".
    """

    locks: tuple[tuple[int, ...], ...] = ()
    forbidden: frozenset[frozenset[int]] = frozenset()
    excluded: frozenset[int] = frozenset()
    cross_border: CrossBorder = "country"

    @classmethod
    def of(
        cls,
        locks: Iterable[Iterable[int]] = (),
        forbidden: Iterable[Iterable[int]] = (),
        excluded: Iterable[int] = (),
        cross_border: CrossBorder = "country",
    ) -> MatchRules:
        """Build rules from any iterables (lists of tuples, sets of pairs...)."""
        return cls(
            locks=tuple(tuple(lock) for lock in locks),
            forbidden=frozenset(frozenset(pair) for pair in forbidden),
            excluded=frozenset(excluded),
            cross_border=cross_border,
        )


@dataclass(frozen=True)
class Weights:
    """Points of the soft criteria; every pair score is a non-negative sum of these.

    Defaults (points):

    * ``shared_interest`` = 10 per interest both partners listed: shared interests are the program's
      key criterion, so one shared interest outweighs any single wish;
    * ``partner_sector`` = 3, ``partner_stage`` = 3, ``partner_interests`` = 3: per side whose
      directional wish is met (the partner works in the wished sector / is at the wished career stage /
      lists at least one of the wished interests); no wish earns nothing;
    * ``hours_overlap`` = 0.5 per hour the two 09:00–17:00 local working days overlap (0–8 hours);
    * ``new_country`` = 2 per returner (someone with earlier partners) whose partner's country is new
      to them.

    Scores are kept in hundredths of a point (the solver works on integers); a trio scores half the
    sum of its three pair scores (each member has two partners).
    """

    shared_interest: float = 10.0
    partner_sector: float = 3.0
    partner_stage: float = 3.0
    partner_interests: float = 3.0
    hours_overlap: float = 0.5
    new_country: float = 2.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int | float) or value < 0 or value != value or value > 1000:
                raise MatchingError(
                    f"weight {name}={value!r} is not allowed: weights are numbers from 0 to 1000 "
                    "(0 switches a criterion off)."
                )

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class WishCheck:
    """One directional wish of ``holder`` about their partner, and whether the partner meets it."""

    holder: int  #: application id of the person who made the wish
    kind: Literal["sector", "stage", "interests"]
    wanted: str  #: e.g. "academic", "early", "Library spaces, Social media"
    met: bool


@dataclass(frozen=True)
class PairExplanation:
    """Why two people were (or would be) paired, with the score broken down."""

    a: int
    b: int
    score: float
    components: dict[str, float]  #: criterion -> points; sums to ``score``
    shared_interests: tuple[str, ...]
    shared_languages: tuple[str, ...]
    hours_overlap: float  #: hours the two 09:00–17:00 local working days overlap
    wishes: tuple[WishCheck, ...]  #: every wish either side made, met or not
    new_country_for: tuple[int, ...]  #: returners for whom the partner's country is new
    #: how the pair meets the program's cross-border rule: "different countries (AUS, KEN)"; "" for ``none``
    cross_border: str = ""

    def summary(self) -> str:
        parts = [
            *([self.cross_border] if self.cross_border else []),
            f"{len(self.shared_interests)} shared interest(s)"
            + (f" ({', '.join(self.shared_interests)})" if self.shared_interests else ""),
            f"languages: {', '.join(self.shared_languages)}",
            f"{self.hours_overlap:g} h working-day overlap",
        ]
        if self.wishes:
            met = sum(w.met for w in self.wishes)
            parts.append(f"{met} of {len(self.wishes)} wish(es) met")
        if self.new_country_for:
            parts.append("a new partner country for a returner")
        return "; ".join(parts)


@dataclass(frozen=True)
class Explanation:
    """The explanation of one partnership: one link for a pair, three for a trio."""

    members: tuple[int, ...]
    score: float  #: the partnership's contribution to the objective
    components: dict[str, float]  #: criterion -> points (halved sums for a trio)
    links: tuple[PairExplanation, ...]
    is_locked: bool = False

    @property
    def kind(self) -> Literal["pair", "trio"]:
        return "pair" if len(self.members) == 2 else "trio"

    def summary(self) -> str:
        return " | ".join(link.summary() for link in self.links)


@dataclass(frozen=True)
class UnmatchedReason:
    """Why a person has no partner, and the smallest change that would place them."""

    application_id: int
    code: str  #: machine-readable: excluded, same_country_only, no_shared_language, ...
    reason: str  #: for a person to read
    change: str  #: the smallest change that would place them


@dataclass
class MatchResult:
    """A matching run: the partnerships, the score against the bound, and the explanations.

    ``people`` counts every applicant given (excluded ones too), ``matched`` those in a pair or trio.
    ``objective`` is the total score (locked partnerships included); ``bound`` an upper bound on the
    total score of any partnership set obeying the hard rules and the locks, over all feasible pairs;
    ``gap`` = (bound - objective) / bound. ``status``: "optimal" (proved best over all feasible pairs, said
    how in ``proof``: the objective reached the bound of the LP with odd-set cuts, so the gap is 0, or
    the whole round fitted one exact CP-SAT model; everyone who can be is matched), "feasible" (a good
    solution, not proved best),
    "greedy-fallback" (CP-SAT found nothing in the time limit; the warm-start heuristic's matching is
    returned and ``is_fallback`` is set) or "trivial" (nothing left to decide, e.g. everyone locked).
    """

    pairs: list[tuple[int, int]]
    trios: list[tuple[int, int, int]]
    unmatched: list[int]
    objective: float
    bound: float
    gap: float
    status: str
    seconds: float
    people: int
    matched: int
    explanations: dict[tuple[int, ...], Explanation] = field(default_factory=dict)
    reasons: dict[int, UnmatchedReason] = field(default_factory=dict)
    solver_status: str = ""  #: CP-SAT's own status on the candidate graph
    bound_method: str = ""  #: how the bound was computed (assignment, LP dual, LP with odd-set cuts)
    #: what proved ``status == "optimal"`` (the certificate, in words); "" when not proved
    proof: str = ""
    candidate_edges: int = 0
    is_fallback: bool = False
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    #: the odd sets (application ids) whose cuts carried the certificate; a run warm-started from this one
    #: (``previous=``) starts its LP with them
    odd_sets: list[tuple[int, ...]] = field(default_factory=list)

    @property
    def partnerships(self) -> list[tuple[int, ...]]:
        return [*self.pairs, *self.trios]

    def summary(self) -> dict[str, Any]:
        """The figures a CLI or page prints (JSON-ready)."""
        return {
            "people": self.people,
            "matched": self.matched,
            "pairs": len(self.pairs),
            "trios": len(self.trios),
            "unmatched": len(self.unmatched),
            "objective": round(self.objective, 2),
            "bound": round(self.bound, 2),
            "gap": self.gap,
            "seconds": round(self.seconds, 3),
            "status": self.status,
            "proof": self.proof,
            "bound_method": self.bound_method,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready (explanations keyed by "id-id[-id]")."""
        out = self.summary()
        out.update(
            pairs=[list(p) for p in self.pairs],
            trios=[list(t) for t in self.trios],
            unmatched=list(self.unmatched),
            solver_status=self.solver_status,
            candidate_edges=self.candidate_edges,
            is_fallback=self.is_fallback,
            notes=list(self.notes),
            explanations={"-".join(map(str, k)): asdict(v) for k, v in self.explanations.items()},
            reasons={str(k): asdict(v) for k, v in self.reasons.items()},
        )
        return out
