"""Values outside the program's vocabularies: grouped, suggested when sure, decided by a coordinator.

Another program's form writes its own words ("advocacy", "digital literacy", "children's services"). Such a
value never rejects a row: :func:`read_choice` and :func:`read_list` split a cell into the values the
vocabulary knows and the ones it does not (every one of them, not only the first), the validation groups
the unknown ones (column -> value -> rows, :class:`UnknownValue`) and applies the coordinator's
:class:`Decisions`: map the value to a known one, add it as a new value, drop it, or (without a decision) keep
it as written.

:func:`suggest` proposes a known value only when sure: a near-identical spelling, or every meaningful word of
the value inside one term (and no other) — "advocacy" -> Library advocacy, "cataloging" -> Cataloguing and
metadata. Words every library term shares ("library", "services", "and") do not count, so "children's
services" and "health libraries" get no suggestion rather than a wrong one.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.errors import WorkbenchError
from workbench.intake.cells import split_values
from workbench.intake.fields import _PARENS, _language, _no_preference, _vocab_match, default_vocabularies
from workbench.program.vocabularies import Vocabulary, term_key

__all__ = ["ADD", "COLUMN_KINDS", "DROP", "KEEP", "Decisions", "UnknownValue", "read_choice", "read_list",
           "suggest", "value_key"]

#: What can be decided for a value outside a vocabulary (besides a known value to map it to).
KEEP = "keep"  #: keep it as written (the default)
ADD = "add"  #: add it to the program's vocabulary as a new value (a director's right; otherwise kept)
DROP = "drop"  #: leave it out of the application

#: The application columns that hold vocabulary values -> their vocabulary.
COLUMN_KINDS: dict[str, str] = {
    "sector": "sector", "career_stage": "career_stage", "interests": "interest", "languages": "language",
    "partner_sector": "sector", "partner_stage": "career_stage", "partner_interests": "interest",
}


def value_key(text: str) -> str:
    """How values are grouped: the vocabularies' comparison (case, accents, punctuation, a plural 's')."""
    return term_key(text)


@dataclass(frozen=True)
class UnknownValue:
    """A value of ``column`` (the file's column ``source``) outside the program's ``kind`` vocabulary, the
    file rows holding it, a suggestion when sure, and what was decided (:data:`KEEP`, :data:`ADD`,
    :data:`DROP` or the known value it maps to)."""

    column: str
    source: str
    kind: str
    value: str
    rows: tuple[int, ...]
    suggestion: str | None = None
    decision: str = KEEP

    @property
    def kept(self) -> bool:
        """True when the value goes into the applications as written (no decision, or "add as new")."""
        return self.decision in (KEEP, ADD)

    def as_dict(self) -> dict[str, Any]:
        return {"column": self.column, "value": self.value, "rows": list(self.rows), "suggestion": self.suggestion}


# --- reading a cell --------------------------------------------------------------------------------


def read_choice(text: str, vocabulary: Vocabulary, *, partner: bool = False) -> tuple[str | None, list[str]]:
    """A single-choice cell (sector, career stage, a partner wish): ``(value, [])`` when the vocabulary knows
    it, ``(None, [text])`` when not (a cell naming several values is not known either); a partner wish of
    "any" / "no preference": ``(None, [])``."""
    if partner and _no_preference(text):
        return None, []
    found = _vocab_match(text, vocabulary)
    return (found, []) if isinstance(found, str) else (None, [text])


def read_list(text: str, vocabulary: Vocabulary, *, partner: bool = False) -> tuple[list[str], list[str]]:
    """A multi-value cell (interests, languages): the known values and every unknown item, each once, in
    order. Interests split on ';', ',' and line breaks; languages also on '/', '&', 'and' (and ISO 639 names
    and codes are read). A partner's "any" / "no preference": nothing."""
    if partner and _no_preference(text):
        return [], []
    known: list[str] = []
    unknown: list[str] = []
    if vocabulary.kind == "language":
        items = split_values(_PARENS.sub(" ", text), names=True)
        for item in items:
            found = _language(item, vocabulary)
            (known if found else unknown).append(found or item)
    else:
        for item in split_values(text):
            found = vocabulary.lookup(item)
            (known if found else unknown).append(found or item)
    return list(dict.fromkeys(known)), list(dict.fromkeys(unknown))


# --- suggestions -----------------------------------------------------------------------------------

#: Words that say nothing about which term is meant.
_STOP = frozenset({"and", "or", "of", "the", "in", "for", "to", "a", "an", "with", "on", "at", "library", "librarie",
                   "librarian", "librarianship", "service", "services", "work", "studies", "study", "general",
                   "other", "area", "topic", "issue", "practice", "program", "programme"})


def _stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and len(word) > 3 and not word.endswith("ss"):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=50_000)
def _words(text: str) -> frozenset[str]:
    key = re.sub(r"[^0-9a-z]+", " ", value_key(text) + " ").split()
    return frozenset(w for w in (_stem(w) for w in key) if w not in _STOP and len(w) > 1)


def _same_word(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 6 and difflib.SequenceMatcher(None, a, b).ratio() >= 0.88)


def _inside(words: frozenset[str], phrase: frozenset[str]) -> bool:
    return all(any(_same_word(w, p) for p in phrase) for w in words)


@functools.lru_cache(maxsize=20_000)
def suggest(text: str, vocabulary: Vocabulary) -> str | None:
    """The known value ``text`` most likely means, or None when unsure (see the module notes)."""
    key = value_key(text)
    if not key:
        return None
    found = vocabulary.lookup(text)
    if found is not None:
        return found
    words = _words(text)
    if not words:
        return None
    phrases = [(t.value, _words(p)) for t in vocabulary.terms for p in (t.value, t.label, *t.synonyms)]
    # a slip of spelling ("Senoir", "Sapnish", "Social meda"), compared without the words all terms share
    spelled = " ".join(sorted(words))
    if len(spelled) >= 5:
        close = {value for value, phrase in phrases if phrase and difflib.SequenceMatcher(
            None, spelled, " ".join(sorted(phrase))).ratio() >= 0.8}
        if len(close) == 1:
            return close.pop()
    within = {value for value, phrase in phrases if phrase and _inside(words, phrase)}
    if len(within) == 1:
        return within.pop()
    if within:
        return None
    covering = {value for value, phrase in phrases
                if phrase and _inside(phrase, words) and len(phrase) / len(words) >= 0.6}
    return covering.pop() if len(covering) == 1 else None


# --- decisions -------------------------------------------------------------------------------------


class Decisions:
    """A coordinator's decisions on values outside the vocabularies.

    ``choices`` maps ``(column, value)`` to a known value (its value, label or a synonym), :data:`ADD`,
    :data:`DROP` or :data:`KEEP`; a decision for ``interests`` also holds for ``partner_interests`` (and
    ``sector`` for ``partner_sector``…) unless that column has its own. ``add_all`` adds every value without a
    decision. A column that holds no vocabulary, or a known value that is not in the vocabulary, is refused
    with a message naming it.
    """

    def __init__(self, choices: Mapping[tuple[str, str], str] | None = None, *, add_all: bool = False,
                 vocabularies: Mapping[str, Vocabulary] | None = None) -> None:
        self.add_all = add_all
        self._by_key: dict[tuple[str, str], str] = {}
        for (column, value), target in (choices or {}).items():
            column = str(column).strip()
            if column not in COLUMN_KINDS:
                raise WorkbenchError(
                    f"'{column}' is not a column with a list of values; decide values of: "
                    f"{', '.join(COLUMN_KINDS)} (for example --value 'interests:advocacy=Library advocacy').")
            decided = str(target).strip() if target is not None else DROP
            if decided not in (KEEP, ADD, DROP):
                decided = self._known(column, value, decided, vocabularies)
            self._by_key[(column, value_key(str(value)))] = decided

    @staticmethod
    def _known(column: str, value: str, target: str, vocabularies: Mapping[str, Vocabulary] | None) -> str:
        if not target:
            return DROP
        if vocabularies is None:
            vocabularies = default_vocabularies()
        voc = vocabularies[COLUMN_KINDS[column]]
        found = voc.lookup(target)
        if found is None:
            raise WorkbenchError(
                f"'{target}' (chosen for the {column} value '{value}') is not a value of the program's "
                f"{COLUMN_KINDS[column].replace('_', ' ')} list; choose one of: {', '.join(voc.values())}, or add "
                "the value as new.")
        return found

    def __bool__(self) -> bool:
        return bool(self._by_key) or self.add_all

    def decision(self, column: str, value: str) -> str:
        """What was decided for ``value`` in ``column``: a known value, ADD, DROP or KEEP."""
        key = value_key(value)
        found = self._by_key.get((column, key))
        if found is None:
            sibling = {"partner_interests": "interests", "partner_sector": "sector",
                       "partner_stage": "career_stage"}.get(column)
            found = self._by_key.get((sibling, key)) if sibling else None
        if found is None:
            return ADD if self.add_all else KEEP
        return found
