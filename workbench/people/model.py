"""What linking an import's applications to the program's people decides: :class:`LinkResult` and its parts.

``row`` is always the import's row number as the import reports it elsewhere (its rejections, its
near-matches): the file's line, the header being line 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Candidate", "LinkResult", "Linked", "Review"]


@dataclass(frozen=True)
class Candidate:
    """A known person an application may be: the match probability and its reasons.

    ``agree`` and ``differ`` name the fields compared ("name", "email", "email domain", "organisation",
    "country", "sector", "career stage", "interests", "languages", "time zone"); ``weights`` gives each
    field's match weight (log2 of its Bayes factor: positive for the same person, negative against), the
    program's model's own numbers."""

    person_id: int
    name: str
    country: str
    probability: float
    agree: list[str] = field(default_factory=list)
    differ: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    email: str = ""
    last_round: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "name": self.name, "country": self.country,
                "probability": round(self.probability, 4), "agree": list(self.agree),
                "differ": list(self.differ), "weights": {k: round(v, 2) for k, v in self.weights.items()}}


@dataclass(frozen=True)
class Linked:
    """An application linked to a known person: by the same email (probability 1), automatically above the
    high threshold, or by a coordinator's answer."""

    row: int
    email: str
    person_id: int
    probability: float
    how: str = "model"  #: "email" (a known address), "model" (above the high threshold) or "answer"

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "email": self.email, "person_id": self.person_id,
                "probability": round(self.probability, 4)}


@dataclass(frozen=True)
class Review:
    """An application to answer by hand: its candidates, most probable first (two plausible ones, or one
    between the thresholds, or one that agrees on the name alone)."""

    row: int
    email: str
    candidates: list[Candidate]
    name: str = ""
    why: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "email": self.email, "candidates": [c.as_dict() for c in self.candidates]}


@dataclass
class LinkResult:
    """Every application of an import, linked to a known person, offered for review, or a new person.

    ``new_people`` counts the applications that are new people without question (below the low threshold);
    the review rows become new people too unless answered (the import reports both counts)."""

    linked: list[Linked] = field(default_factory=list)
    review: list[Review] = field(default_factory=list)
    new_people: int = 0
    seconds: float = 0.0
    model_id: int | None = None

    def person_for_row(self) -> dict[int, int]:
        """Row -> person_id of the linked rows."""
        return {link.row: link.person_id for link in self.linked}

    def to_json(self) -> dict[str, Any]:
        return {"linked": [x.as_dict() for x in self.linked], "review": [r.as_dict() for r in self.review],
                "new_people": self.new_people}
