"""Coding the answers to "What impact has your involvement had on your work or professional activities?".

Coordinators code each answer into the program's impact categories (its ``impact_category`` vocabulary,
:mod:`workbench.program.vocabularies`; the sample's are those of "Rethinking mentoring"); the
workbench suggests codes for uncoded answers with keyword rules (no model, nothing downloaded) and
a coordinator confirms or changes them. Each sentence is scored against every category's phrases; a
category is suggested when one sentence scores at least 1 (a strong phrase, or two weaker ones).
"International" before "network" counts for networking, not for the international perspective.

A coordinator also marks an answer **cleared for public use** (:func:`set_cleared`): only cleared answers
may be quoted where the public sees them (:func:`workbench.reports.outcomes.cleared_quotes`). Coding and
clearing are :data:`workbench.access.Action.IMPACT_CODING`, versioned and audited under the signed-in user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from workbench import db
from workbench.access import Action, User, require
from workbench.errors import NotFound, WorkbenchError
from workbench.program.vocabularies import Vocabulary, default_vocabularies, vocabulary

#: The program's coding frame is in its database (its ``impact_category`` vocabulary): :func:`coding_frame`,
#: :func:`codes`, :func:`labels`. :data:`RULES` are written for the sample's codes, which a renamed or merged
#: category keeps as synonyms.
THRESHOLD = 1.0


def coding_frame(con: db.Connection) -> Vocabulary:
    """The program's impact categories, as stored (codes are the values, in the frame's order)."""
    return vocabulary(con, "impact_category")


def codes(con: db.Connection) -> tuple[str, ...]:
    """The program's impact category codes, in order."""
    return coding_frame(con).values()


def labels(con: db.Connection) -> dict[str, str]:
    """code -> label of the program's impact categories."""
    return coding_frame(con).labels()


def _default_frame() -> Vocabulary:
    """The frame a new database is seeded with, for :func:`suggest` called without a database."""
    return default_vocabularies()["impact_category"]

#: (pattern, weight) per category; patterns are case-insensitive regular expressions.
RULES: dict[str, tuple[tuple[str, float], ...]] = {
    "awareness": (
        (r"\bwider (?:profession|view|perspective|picture)", 1.0), (r"\bbroader\b", 0.6), (r"\bawareness\b", 1.0),
        (r"\bprofession as a whole\b", 1.0), (r"\bbigger picture\b", 1.0),
        (r"\bbeyond (?:my|our) (?:day job|own library|own work|immediate)", 1.0),
        (r"\bbroaden(?:ed|s)? (?:my|our) (?:view|perspective|horizons?|thinking)", 1.0),
        (r"\bwhat (?:librarianship|the profession) can be\b", 0.6), (r"\bimmediate concerns\b", 0.6),
    ),
    "international": (
        (r"\binternational(?:ly)?\b(?!\s+(?:network|contacts?|friends?|colleagues?))", 1.0),
        (r"\banother country\b", 1.0), (r"\bother countr(?:y|ies)\b", 1.0), (r"\bglobal(?:ly)?\b", 1.0),
        (r"\bin other parts of the world\b", 1.0), (r"\blibraries elsewhere\b", 1.0), (r"\boverseas\b", 0.6),
        (r"\babroad\b", 0.4), (r"\bcultur(?:e|es|al)\b", 0.6),
    ),
    "ideas": (
        (r"\bideas?\b", 1.0), (r"\badopted\b", 0.6), (r"\bintroduced\b", 0.5), (r"\bimplemented\b", 0.7),
        (r"\btried\b", 0.4), (r"\binspiration for\b", 0.7), (r"\bnew (?:service|program|programme|approach)", 0.8),
        (r"\bsuggestions?\b", 0.6),
    ),
    "confidence": (
        (r"\bconfiden(?:ce|t)\b", 1.0), (r"\bmotivat(?:ed|ion|ing)\b", 1.0), (r"\bencourag(?:ed|ement)\b", 0.7),
        (r"\bsomething to (?:share|teach|offer)\b", 0.7), (r"\benthusias(?:m|tic)\b", 0.7),
        (r"\bbelieve in myself\b|\bself[- ]esteem\b", 1.0), (r"\binspired\b", 0.5), (r"\bboost(?:ed)?\b", 0.4),
    ),
    "development": (
        (r"\bprofessional development\b", 1.0), (r"\bdevelop(?:ing|ed)? professionally\b", 1.0), (r"\bcpd\b", 1.0),
        (r"\bcareer development\b", 1.0), (r"\bcould not otherwise afford\b", 0.7),
        (r"\bkeep (?:learning|developing)\b", 0.8), (r"\blearning opportunit", 0.8),
    ),
    "networking": (
        (r"\bnetwork(?:s|ing)?\b", 1.0), (r"\bstay in (?:contact|touch)\b", 1.0), (r"\bfriend(?:s|ships?)?\b", 0.7),
        (r"\bconnections?\b", 0.7), (r"\bcontacts\b", 0.7), (r"\blasting relationship\b", 1.0),
        (r"\bcolleagues? (?:abroad|overseas|in other countries)\b", 1.0),
    ),
    "skill": (
        (r"\benglish\b", 1.0), (r"\btime management\b", 1.0), (r"\bresearch skills?\b", 1.0),
        (r"\bskills?\b", 0.8), (r"\bwriting\b", 0.6), (r"\bpresentation\b", 0.6), (r"\blanguage\b", 0.6),
        (r"\bjoint (?:paper|article|presentation)\b", 0.5),
    ),
}
_COMPILED = {code: tuple((re.compile(p, re.IGNORECASE), w) for p, w in rules) for code, rules in RULES.items()}
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n+")


class CodingError(WorkbenchError):
    """Codes that cannot be saved (an unknown category)."""


@dataclass(frozen=True)
class Suggestion:
    codes: tuple[str, ...]
    evidence: dict[str, tuple[str, ...]]  # code -> the phrases that matched
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)  # code -> label

    def explain(self) -> str:
        return "; ".join(f"{self.labels.get(c, c).lower()}: " + ", ".join(f"'{p}'" for p in self.evidence[c])
                         for c in self.codes)


def suggest(text: str | None, frame: Vocabulary | None = None) -> Suggestion:
    """The categories an answer's words point to, with the phrases that matched (none for blank text).

    ``frame`` is the program's coding frame (:func:`coding_frame`; the sample's by default). The keyword rules
    are written for the sample's codes: a renamed or merged category keeps its old code as a synonym, so its
    rules follow it; a category the program added has no rules, and a rule whose category was removed is
    not used.
    """
    frame = frame if frame is not None else _default_frame()
    if not text or not text.strip():
        return Suggestion((), {}, frame.labels())
    found: dict[str, list[str]] = {}
    for sentence in _SENTENCES.split(text):
        for code, rules in _COMPILED.items():
            score, hits = 0.0, []
            for pattern, weight in rules:
                match = pattern.search(sentence)
                if match:
                    score += weight
                    hits.append(match.group(0).lower())
            current = frame.lookup(code) if score >= THRESHOLD else None
            if current is not None:
                found.setdefault(current, []).extend(h for h in hits if h not in found.get(current, []))
    chosen = tuple(frame.order(found))
    return Suggestion(chosen, {c: tuple(found[c]) for c in chosen}, frame.labels())


def suggest_codes(text: str | None, frame: Vocabulary | None = None) -> list[str]:
    return list(suggest(text, frame).codes)


def _checked(chosen_codes: Iterable[str], frame: Vocabulary) -> list[str]:
    chosen = list(dict.fromkeys(chosen_codes))
    unknown = [c for c in chosen if c not in frame]
    if unknown:
        raise CodingError(f"{', '.join(unknown)} is not an impact category of this program; use one of: "
                          f"{', '.join(frame.values())}.")
    return frame.order(chosen)


def confirm_codes(con: db.Connection, survey_id: int, version: int, codes: Iterable[str], *, by: User) -> int:
    """Save a coordinator's codes for one answer (an empty list: the answer names no impact).

    Refused if someone else changed the answer's codes since ``version``. Returns the new version.
    """
    require(by, Action.IMPACT_CODING)
    chosen = _checked(codes, coding_frame(con))
    with db.transaction(con):
        return db.update_versioned(con, "surveys", "survey_id", survey_id, version,
                                   {"impact_codes": chosen, "codes_confirmed": True},
                                   actor=by.actor, action="code impact answer")


def confirm_many(con: db.Connection, items: Iterable[tuple[int, int, Iterable[str]]], *, by: User) -> int:
    """Confirm several answers' codes, ``(survey_id, version, codes)`` each, in one transaction
    (all or, if one is stale, none). Returns how many were saved."""
    require(by, Action.IMPACT_CODING)
    frame = coding_frame(con)
    checked = [(sid, version, _checked(codes, frame)) for sid, version, codes in items]
    with db.transaction(con):
        for sid, version, chosen in checked:
            db.update_versioned(con, "surveys", "survey_id", sid, version,
                                {"impact_codes": chosen, "codes_confirmed": True},
                                actor=by.actor, action="code impact answer")
    return len(checked)


def set_cleared(con: db.Connection, survey_id: int, version: int, cleared: bool, *, by: User) -> int:
    """Mark an answer cleared for public use (or withdraw the clearance); refused if someone changed the
    answer since ``version``, or if it has no text to quote. Returns the new version."""
    require(by, Action.IMPACT_CODING)
    with db.transaction(con):
        row = con.execute("SELECT impact_text, is_cleared, version FROM surveys WHERE survey_id = ?",
                          [survey_id]).fetchone()
        if row is None:
            raise NotFound(f"There is no survey answer {survey_id}. Reload the page.")
        text, was_cleared, current = row
        if cleared and not (text and text.strip()):
            raise CodingError(f"Answer {survey_id} has no text to quote, so there is nothing to clear for public use.")
        if bool(was_cleared) == cleared and current == version:
            return version  # nothing to change
        return db.update_versioned(con, "surveys", "survey_id", survey_id, version, {"is_cleared": cleared},
                                   actor=by.actor,
                                   action="clear answer for public use" if cleared else "withdraw public clearance")


def agreement(con: db.Connection, *, round_id: str | None = None) -> pd.DataFrame:
    """How the suggestions compare with coordinators' confirmed codes, per category: answers coded,
    suggested, both, precision and recall (and an ``all`` row with the share of answers whose
    suggestion equals the confirmed codes exactly)."""
    where = "AND round_id = ?" if round_id else ""
    rows = con.execute(f"SELECT impact_text, impact_codes FROM surveys WHERE impact_text IS NOT NULL "
                       f"AND codes_confirmed {where}", [round_id] if round_id else []).fetchall()
    frame = coding_frame(con)
    cache: dict[str, tuple[str, ...]] = {}
    stats = {c: [0, 0, 0] for c in frame.values()}
    exact = 0
    for text, confirmed in rows:
        if text not in cache:
            cache[text] = suggest(text, frame).codes
        got, want = set(cache[text]), set(confirmed)
        exact += got == want
        for c in stats:
            stats[c][0] += c in want
            stats[c][1] += c in got
            stats[c][2] += c in want and c in got
    names = frame.labels()
    out = [{"code": c, "label": names[c], "coded": w, "suggested": g, "agreed": a,
            "precision": a / g if g else None, "recall": a / w if w else None} for c, (w, g, a) in stats.items()]
    out.append({"code": "all", "label": "Answers whose suggestion matches exactly", "coded": len(rows),
                "suggested": len(rows), "agreed": exact, "precision": exact / len(rows) if rows else None,
                "recall": exact / len(rows) if rows else None})
    return pd.DataFrame(out)
