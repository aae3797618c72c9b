"""The program's vocabularies: sectors, career stages, areas of interest, languages, methods, impact categories.

Each vocabulary is a list of terms, stored in ``vocabulary_terms`` (one row per kind and value): the value the
database stores, a label people read, the synonyms an import accepts for it, and its position in the list.
A new database is seeded with the sample program's lists (:func:`workbench.sample.vocabularies.default_terms`, through
:func:`seed_vocabularies`); a director changes them here, on the Settings page or with ``workbench vocab``.

    >>> interests = vocabulary(con, "interest")
    >>> interests.lookup("library spaces")           # value, label or synonym; case, accents, a plural 's'
    'Library spaces'
    >>> rename_term(con, "interest", "Library spaces", "Library buildings and spaces", by=director)

Renaming or merging a term rewrites every stored use of it in the same transaction: the applications (and
their partner wishes) for sectors, career stages, interests and languages, the check-ins and surveys for
methods, and the surveys' codes for impact categories. Each write needs
:attr:`~workbench.access.Action.SETTINGS`, moves the term's version and is written to the audit log.

DuckDB refuses to rewrite a LIST column of a row other tables reference (it deletes and re-inserts the row),
so a change to interests or languages copies the applications and the tables that reference them aside,
recreates them from their own definitions and refills them, changed, inside the transaction (as
:func:`workbench.migrations.rebuild_tables` does for the schema): ids, versions of untouched rows and every
other row stay as they were.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from workbench import db
from workbench.access import Action, User, require
from workbench.errors import NotFound, StaleEdit, WorkbenchError
from workbench.sample import vocabularies as sample_vocabularies

#: The kinds of vocabulary a program has, in the order pages and commands list them.
KINDS: tuple[str, ...] = ("sector", "career_stage", "interest", "language", "method", "impact_category")

#: What each kind is called in a sentence (singular, plural).
KIND_NAMES: dict[str, tuple[str, str]] = {
    "sector": ("sector", "sectors"),
    "career_stage": ("career stage", "career stages"),
    "interest": ("area of interest", "areas of interest"),
    "language": ("working language", "working languages"),
    "method": ("way of keeping in touch", "ways of keeping in touch"),
    "impact_category": ("impact category", "impact categories"),
}

def a_name(kind: str) -> str:
    """The kind's name with its article, by the noun's first sound: "a sector", "an area of interest"."""
    name = KIND_NAMES[kind][0]
    return f"{'an' if name[0] in 'aeiou' and not name.startswith(('uni', 'use', 'eu', 'one')) else 'a'} {name}"


#: Longest value, label or synonym accepted.
MAX_TERM = 100


@dataclass(frozen=True)
class Use:
    """A column that stores values of a vocabulary: ``table.column``, a list or a single value."""

    table: str
    column: str
    is_list: bool
    what: str  #: how a person names the rows ("applications", "partner wishes", …)


#: Every stored use of each vocabulary (a rename or merge rewrites all of them).
USES: dict[str, tuple[Use, ...]] = {
    "sector": (Use("applications", "sector", False, "applications"),
               Use("applications", "partner_sector", False, "partner wishes")),
    "career_stage": (Use("applications", "career_stage", False, "applications"),
                     Use("applications", "partner_stage", False, "partner wishes")),
    "interest": (Use("applications", "interests", True, "applications"),
                 Use("applications", "partner_interests", True, "partner wishes")),
    "language": (Use("applications", "languages", True, "applications"),),
    "method": (Use("checkins", "methods", True, "check-ins"), Use("surveys", "methods", True, "survey answers")),
    "impact_category": (Use("surveys", "impact_codes", True, "coded survey answers"),),
}


class VocabularyError(WorkbenchError):
    """A vocabulary change that cannot be made as asked (the message says why and what to do)."""


# --- comparing what people write ---------------------------------------------------------------


@functools.lru_cache(maxsize=100_000)
def term_key(text: str) -> str:
    """How a value, label or synonym is compared: accents folded, case and punctuation ignored ('&' is
    'and'), spaces collapsed, and a trailing plural 's' dropped ("Video calls" = "video call").

    The same folding as :func:`workbench.intake.cells.vocab_key`, plus the plural.
    """
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold().replace("&", " and ")
    key = re.sub(r"[^0-9a-z]+", " ", folded.replace("'", "").replace("’", "")).strip()
    if len(key) > 3 and key.endswith("s") and not key.endswith("ss"):
        key = key[:-1]
    return key


@dataclass(frozen=True)
class Term:
    """One value of a vocabulary."""

    value: str  #: what the database stores
    label: str  #: what people read
    synonyms: tuple[str, ...] = ()  #: other words an import accepts for it
    position: int = 0  #: its place in the list
    version: int = field(default=1, compare=False)  #: moves with every change (optimistic edits)


@dataclass(frozen=True)
class Vocabulary:
    """A kind's terms, in order, and how to find one from what someone wrote."""

    kind: str
    terms: tuple[Term, ...]

    def __hash__(self) -> int:  # cached: parsers are memoised per (text, vocabulary)
        return self._hash

    @functools.cached_property
    def _hash(self) -> int:
        return hash((self.kind, self.terms))

    def values(self) -> tuple[str, ...]:
        return tuple(t.value for t in self.terms)

    def labels(self) -> dict[str, str]:
        """value -> label."""
        return {t.value: t.label for t in self.terms}

    def label(self, value: str) -> str:
        """The label of ``value`` (the value itself when it is not in the vocabulary)."""
        return self.labels().get(value, value)

    def term(self, value: str) -> Term | None:
        return self._by_value.get(value)

    def __contains__(self, value: object) -> bool:
        return value in self._by_value

    def __len__(self) -> int:
        return len(self.terms)

    @functools.cached_property
    def _by_value(self) -> dict[str, Term]:
        return {t.value: t for t in self.terms}

    @functools.cached_property
    def index(self) -> dict[str, str]:
        """:func:`term_key` of every value, label and synonym -> the value (values win over synonyms)."""
        out: dict[str, str] = {}
        for term in self.terms:
            for text in term.synonyms:
                out.setdefault(term_key(text), term.value)
        for term in self.terms:
            out[term_key(term.label)] = term.value
        for term in self.terms:
            out[term_key(term.value)] = term.value
        out.pop("", None)
        return out

    def lookup(self, text: str) -> str | None:
        """The value ``text`` names (its value, label or a synonym; case, spacing, accents and a trailing
        plural 's' ignored), or None."""
        if text in self._by_value:
            return text
        return self.index.get(term_key(text))

    def order(self, values: Iterable[str]) -> list[str]:
        """``values`` once each, in the vocabulary's order (values it does not know last, as given)."""
        rank = {t.value: i for i, t in enumerate(self.terms)}
        distinct = list(dict.fromkeys(values))
        return sorted(distinct, key=lambda v: (rank.get(v, len(rank)), distinct.index(v)))

    def names(self) -> str:
        """The labels, for a message: "Academic, Public, …"."""
        return ", ".join(t.label for t in self.terms)


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(f"There is no vocabulary {kind!r}; the vocabularies are: {', '.join(KINDS)}.")
    return kind


def default_vocabularies() -> dict[str, Vocabulary]:
    """The sample program's vocabularies (``workbench.sample.vocabularies``), as a database is seeded with them."""
    return {kind: Vocabulary(kind, tuple(Term(v, label, tuple(syn), i + 1) for i, (v, label, syn) in enumerate(terms)))
            for kind, terms in sample_vocabularies.default_terms().items()}


def seed_vocabularies(con: db.Connection, *, actor: str = "workbench") -> int:
    """Give every kind with no terms yet the sample program's list (a new or upgraded database).

    Idempotent: a kind that has terms is left alone. Returns how many terms were written.
    """
    now = datetime.now(UTC).replace(tzinfo=None)
    present = {r[0] for r in con.execute("SELECT DISTINCT kind FROM vocabulary_terms").fetchall()}
    rows = [(kind, t.value, t.label, list(t.synonyms), t.position, now, actor)
            for kind, voc in default_vocabularies().items() if kind not in present for t in voc.terms]
    if rows:  # one insert from a frame: executemany costs a statement per term (0.3 s for the sample's lists)
        frame = pd.DataFrame(rows, columns=["kind", "value", "label", "synonyms", "position", "updated_at",
                                            "updated_by"])
        con.register("_seed_terms", frame)
        try:
            con.execute("INSERT INTO vocabulary_terms (kind, value, label, synonyms, position, version, updated_at, "
                        "updated_by) SELECT kind, value, label, synonyms::VARCHAR[], position, 1, updated_at, "
                        "updated_by FROM _seed_terms")
        finally:
            con.unregister("_seed_terms")
    return len(rows)


# --- reading -----------------------------------------------------------------------------------


def _read(con: db.Connection, kinds: Sequence[str]) -> dict[str, Vocabulary]:
    rows = con.execute(
        "SELECT kind, value, label, synonyms, position, version FROM vocabulary_terms WHERE list_contains(?, kind) "
        "ORDER BY kind, position, value", [list(kinds)]).fetchall()
    found: dict[str, list[Term]] = {k: [] for k in kinds}
    for kind, value, label, synonyms, position, version in rows:
        found[kind].append(Term(value, label, tuple(synonyms or ()), int(position), int(version)))
    return {k: Vocabulary(k, tuple(found[k])) for k in kinds}


def vocabulary(con: db.Connection, kind: str) -> Vocabulary:
    """The program's vocabulary of ``kind`` (one of :data:`KINDS`), as stored."""
    return _read(con, [_check_kind(kind)])[kind]


def vocabularies(con: db.Connection) -> dict[str, Vocabulary]:
    """Every vocabulary of the program, by kind (what an import or a matching run reads once)."""
    return _read(con, KINDS)


def usage(con: db.Connection, kind: str) -> dict[str, dict[str, int]]:
    """value -> {what: rows using it} ("applications", "partner wishes", …), for every stored value of ``kind``
    (those outside the vocabulary included)."""
    out: dict[str, dict[str, int]] = {}
    for use in USES[_check_kind(kind)]:
        if use.is_list:
            sql = (f"SELECT v, count(*) FROM (SELECT DISTINCT rowid, unnest({use.column}) AS v FROM {use.table}) "
                   "GROUP BY v")
        else:
            sql = f"SELECT {use.column}, count(*) FROM {use.table} WHERE {use.column} IS NOT NULL GROUP BY 1"
        for value, n in con.execute(sql).fetchall():
            counts = out.setdefault(value, {})
            counts[use.what] = counts.get(use.what, 0) + int(n)
    return out


def _where_used(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{n:,} {what}" for what, n in counts.items())


def terms_table(con: db.Connection, kind: str) -> pd.DataFrame:
    """The vocabulary as a table for a page or ``vocab list``: value, label, synonyms, position, version and
    how many rows use each value (``used``, with ``where`` saying which)."""
    voc = vocabulary(con, kind)
    used = usage(con, kind)
    return pd.DataFrame([{
        "value": t.value, "label": t.label, "synonyms": list(t.synonyms), "position": t.position,
        "version": t.version, "used": sum(used.get(t.value, {}).values()), "where": _where_used(used.get(t.value, {})),
    } for t in voc.terms], columns=["value", "label", "synonyms", "position", "version", "used", "where"])


# --- writing -----------------------------------------------------------------------------------


def _clean(text: str, what: str, kind: str) -> str:
    cleaned = " ".join(unicodedata.normalize("NFC", str(text)).split())
    name = KIND_NAMES[kind][0]
    if not cleaned or not term_key(cleaned):
        raise VocabularyError(f"The {what} of a new {name} is empty: write a word or phrase (letters or digits).")
    if len(cleaned) > MAX_TERM:
        raise VocabularyError(f"The {what} '{cleaned[:40]}…' holds {len(cleaned)} characters; the limit is "
                              f"{MAX_TERM}. Shorten it.")
    if kind == "impact_category" and what == "value" and not re.fullmatch(r"[a-z0-9_]+", cleaned):
        raise VocabularyError(f"'{cleaned}' cannot be an impact category's code: a code is one word in lower-case "
                              "letters, digits or '_' (for example 'leadership'); the label can be any text.")
    return cleaned


def _clean_synonyms(synonyms: Iterable[str], kind: str) -> list[str]:
    out: list[str] = []
    for s in synonyms:
        cleaned = _clean(s, "synonym", kind)
        if term_key(cleaned) not in {term_key(o) for o in out}:
            out.append(cleaned)
    return out


def _clash(voc: Vocabulary, texts: Iterable[str], owner: str | None) -> None:
    """Refuse words that already name another term of the vocabulary."""
    name = KIND_NAMES[voc.kind][0]
    for text in texts:
        other = voc.index.get(term_key(text))
        if other is not None and other != owner:
            raise VocabularyError(
                f"'{text}' already names the {name} '{voc.label(other)}' ({other}). Use another word, or merge "
                f"the two (`workbench vocab merge {voc.kind} …`) if they mean the same.")


def _not_found(voc: Vocabulary, value: str, kept: Iterable[str] = ()) -> NotFound:
    found = voc.lookup(value)
    hint = f" Did you mean '{found}'?" if found else ""
    outside = sorted(kept)
    also = f" Kept as written by an import (outside the list): {', '.join(outside)}." if outside else ""
    return NotFound(f"'{value}' is not {a_name(voc.kind)} of this program.{hint} The "
                    f"{KIND_NAMES[voc.kind][1]} are: {', '.join(voc.values())}.{also}")


def _existing(voc: Vocabulary, value: str) -> Term:
    term = voc.term(value)
    if term is None:
        raise _not_found(voc, value)
    return term


def kept_values(con: db.Connection, kind: str) -> dict[str, dict[str, int]]:
    """The values of ``kind`` stored but outside the vocabulary (an import kept them as written, for a director to
    add, rename or merge), with where each is used: value -> {what: rows}."""
    voc = vocabulary(con, kind)
    return {value: counts for value, counts in usage(con, kind).items() if value not in voc}


def _term_or_kept(con: db.Connection, voc: Vocabulary, value: str) -> tuple[Term | None, str]:
    """The term ``value`` names exactly, or (None, value) when it is a value kept as written; else NotFound."""
    term = voc.term(value)
    if term is not None:
        return term, term.value
    kept = kept_values(con, voc.kind)
    if value in kept:
        return None, value
    raise _not_found(voc, value, kept)


def _check_version(term: Term, version: int | None, kind: str) -> None:
    if version is not None and version != term.version:
        raise StaleEdit(f"The {KIND_NAMES[kind][0]} '{term.value}' was changed by someone else since you loaded it "
                        f"(your version {version}, now {term.version}). Nothing was saved: reload and try again.")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _term_row(kind: str, term: Term) -> dict[str, Any]:
    return {"kind": kind, "value": term.value, "label": term.label, "synonyms": list(term.synonyms),
            "position": term.position}


def add_term(con: db.Connection, kind: str, value: str, *, label: str | None = None,
             synonyms: Iterable[str] = (), by: User) -> Term:
    """Add ``value`` at the end of the vocabulary ``kind`` (a director's change, audited)."""
    require(by, Action.SETTINGS)
    _check_kind(kind)
    value = _clean(value, "value", kind)
    label = _clean(label, "label", kind) if label is not None and str(label).strip() else value
    words = _clean_synonyms(synonyms, kind)
    with db.transaction(con):
        voc = vocabulary(con, kind)
        if value in voc:
            raise VocabularyError(f"'{value}' is already {a_name(kind)} of this program.")
        _clash(voc, [value, label, *words], None)
        position = max((t.position for t in voc.terms), default=0) + 1
        term = Term(value, label, tuple(words), position, 1)
        con.execute("INSERT INTO vocabulary_terms VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                    [kind, value, label, list(words), position, _now(), by.actor])
        db.audit(con, actor=by.actor, action="add vocabulary term", entity="vocabulary_terms",
                 entity_id=f"{kind}:{value}", after=_term_row(kind, term))
    return term


def _update_term(con: db.Connection, kind: str, old: Term, new: Term, *, actor: str) -> None:
    con.execute("UPDATE vocabulary_terms SET label = ?, synonyms = ?, position = ?, version = version + 1, "
                "updated_at = ?, updated_by = ? WHERE kind = ? AND value = ?",
                [new.label, list(new.synonyms), new.position, _now(), actor, kind, old.value])


def set_synonyms(con: db.Connection, kind: str, value: str, synonyms: Iterable[str], *, by: User,
                 version: int | None = None) -> Term:
    """Replace the synonyms of a term (the words an import accepts for it)."""
    require(by, Action.SETTINGS)
    _check_kind(kind)
    words = _clean_synonyms(synonyms, kind)
    with db.transaction(con):
        voc = vocabulary(con, kind)
        term = _existing(voc, value)
        _check_version(term, version, kind)
        _clash(voc, words, term.value)
        new = Term(term.value, term.label, tuple(words), term.position, term.version + 1)
        _update_term(con, kind, term, new, actor=by.actor)
        db.audit(con, actor=by.actor, action="change vocabulary synonyms", entity="vocabulary_terms",
                 entity_id=f"{kind}:{value}", before={"synonyms": list(term.synonyms)},
                 after={"synonyms": words})
    return new


def set_label(con: db.Connection, kind: str, value: str, label: str, *, by: User,
              version: int | None = None) -> Term:
    """Change the label people read for a term (the stored value stays)."""
    require(by, Action.SETTINGS)
    _check_kind(kind)
    label = _clean(label, "label", kind)
    with db.transaction(con):
        voc = vocabulary(con, kind)
        term = _existing(voc, value)
        _check_version(term, version, kind)
        _clash(voc, [label], term.value)
        new = Term(term.value, label, term.synonyms, term.position, term.version + 1)
        _update_term(con, kind, term, new, actor=by.actor)
        db.audit(con, actor=by.actor, action="change vocabulary label", entity="vocabulary_terms",
                 entity_id=f"{kind}:{value}", before={"label": term.label}, after={"label": label})
    return new


def rename_term(con: db.Connection, kind: str, old: str, new: str, *, by: User,
                version: int | None = None) -> dict[str, int]:
    """Rename the value ``old`` to ``new`` everywhere it is stored, in one transaction.

    The old value stays a synonym (a form that still says it imports). A label equal to the old value follows
    the new one. Returns the rows rewritten per use ({"applications": 812, "partner wishes": 40}).

    ``old`` may also be a value an import kept as written (outside the vocabulary, :func:`kept_values`): its
    uses are rewritten and ``new`` joins the vocabulary, with ``old`` as its synonym.
    """
    require(by, Action.SETTINGS)
    _check_kind(kind)
    new = _clean(new, "value", kind)
    with db.transaction(con):
        voc = vocabulary(con, kind)
        found, value = _term_or_kept(con, voc, old)
        if found is None:
            return _adopt_kept(con, voc, value, new, by=by)
        term = found
        _check_version(term, version, kind)
        if new == term.value:
            raise VocabularyError(f"'{old}' is already called '{new}': nothing to rename.")
        if new in voc:
            raise VocabularyError(f"'{new}' is already {a_name(kind)}. To put the two together, merge "
                                  f"them: `workbench vocab merge {kind} '{old}' '{new}'`.")
        _clash(voc, [new], term.value)
        label = new if term.label == term.value else term.label
        synonyms = [*term.synonyms, *([term.value] if term_key(term.value) != term_key(new) else [])]
        changed = _rewrite(con, kind, term.value, new)
        con.execute("DELETE FROM vocabulary_terms WHERE kind = ? AND value = ?", [kind, term.value])
        con.execute("INSERT INTO vocabulary_terms VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [kind, new, label, synonyms, term.position, term.version + 1, _now(), by.actor])
        db.audit(con, actor=by.actor, action="rename vocabulary term", entity="vocabulary_terms",
                 entity_id=f"{kind}:{term.value}", before=_term_row(kind, term),
                 after={**_term_row(kind, Term(new, label, tuple(synonyms), term.position)), "rewritten": changed})
    return changed


def merge_terms(con: db.Connection, kind: str, source: str, into: str, *, by: User,
                version: int | None = None) -> dict[str, int]:
    """Merge the value ``source`` into ``into``: every stored use of ``source`` becomes ``into`` (a list that
    held both keeps one), ``source``'s value, label and synonyms become synonyms of ``into``, and ``source``
    leaves the vocabulary. One transaction; returns the rows rewritten per use.

    ``source`` may also be a value an import kept as written (outside the vocabulary, :func:`kept_values`): its
    uses become ``into`` and it becomes a synonym of ``into``, so the next import reads it as ``into``."""
    require(by, Action.SETTINGS)
    _check_kind(kind)
    with db.transaction(con):
        voc = vocabulary(con, kind)
        found, value = _term_or_kept(con, voc, source)
        kept = _existing(voc, into)
        gone = found if found is not None else Term(value, value, (), 0, 0)
        if found is not None:
            _check_version(gone, version, kind)
        if gone.value == kept.value:
            raise VocabularyError(f"'{source}' cannot be merged into itself: choose another {KIND_NAMES[kind][0]}.")
        if found is None:
            words = list(kept.synonyms)
            if voc.index.get(term_key(value)) is None:
                words.append(value)
            changed = _rewrite(con, kind, value, kept.value)
            _update_term(con, kind, kept, Term(kept.value, kept.label, tuple(words), kept.position), actor=by.actor)
            db.audit(con, actor=by.actor, action="merge vocabulary terms", entity="vocabulary_terms",
                     entity_id=f"{kind}:{value}",
                     before={"from": {"kind": kind, "value": value, "kept_as_written": True},
                             "into": _term_row(kind, kept)},
                     after={"into": {**_term_row(kind, kept), "synonyms": words}, "rewritten": changed})
            return changed
        words = [*kept.synonyms]
        keys = {term_key(kept.value), term_key(kept.label), *(term_key(w) for w in words)}
        for word in (gone.value, gone.label, *gone.synonyms):
            if term_key(word) not in keys:
                words.append(word)
                keys.add(term_key(word))
        changed = _rewrite(con, kind, gone.value, kept.value)
        con.execute("DELETE FROM vocabulary_terms WHERE kind = ? AND value = ?", [kind, gone.value])
        _update_term(con, kind, kept, Term(kept.value, kept.label, tuple(words), kept.position), actor=by.actor)
        db.audit(con, actor=by.actor, action="merge vocabulary terms", entity="vocabulary_terms",
                 entity_id=f"{kind}:{gone.value}",
                 before={"from": _term_row(kind, gone), "into": _term_row(kind, kept)},
                 after={"into": {**_term_row(kind, kept), "synonyms": words}, "rewritten": changed})
    return changed


def _adopt_kept(con: db.Connection, voc: Vocabulary, value: str, new: str, *, by: User) -> dict[str, int]:
    """Rename a value kept as written: its uses become ``new``, a new term with ``value`` as its synonym (inside
    the caller's transaction)."""
    kind = voc.kind
    if new in voc:
        raise VocabularyError(f"'{new}' is already {a_name(kind)}. To put '{value}' with it, merge them: "
                              f"`workbench vocab merge {kind} '{value}' '{new}'`.")
    synonyms = [value] if term_key(value) != term_key(new) and voc.index.get(term_key(value)) is None else []
    _clash(voc, [new], None)
    changed = _rewrite(con, kind, value, new)
    position = max((t.position for t in voc.terms), default=0) + 1
    term = Term(new, new, tuple(synonyms), position, 1)
    con.execute("INSERT INTO vocabulary_terms VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                [kind, new, new, synonyms, position, _now(), by.actor])
    db.audit(con, actor=by.actor, action="rename vocabulary term", entity="vocabulary_terms",
             entity_id=f"{kind}:{value}", before={"kind": kind, "value": value, "kept_as_written": True},
             after={**_term_row(kind, term), "rewritten": changed})
    return changed


def remove_term(con: db.Connection, kind: str, value: str, *, by: User, version: int | None = None) -> None:
    """Remove a term no stored row uses (otherwise say where it is used and suggest merging it)."""
    require(by, Action.SETTINGS)
    _check_kind(kind)
    with db.transaction(con):
        voc = vocabulary(con, kind)
        term = _existing(voc, value)
        _check_version(term, version, kind)
        used = usage(con, kind).get(term.value, {})
        if used:
            raise VocabularyError(
                f"'{term.value}' is used by {_where_used(used)}, so it cannot be removed. Merge it into another "
                f"{KIND_NAMES[kind][0]} instead (`workbench vocab merge {kind} '{term.value}' OTHER`): every use "
                "moves there.")
        con.execute("DELETE FROM vocabulary_terms WHERE kind = ? AND value = ?", [kind, term.value])
        db.audit(con, actor=by.actor, action="remove vocabulary term", entity="vocabulary_terms",
                 entity_id=f"{kind}:{term.value}", before=_term_row(kind, term))


# --- rewriting the stored uses -----------------------------------------------------------------


def _list_swap(column: str) -> str:
    """SQL: ``column`` with $old replaced by $new (dropped where $new is already there)."""
    return (f"CASE WHEN NOT list_contains({column}, $old) THEN {column} "
            f"WHEN list_contains({column}, $new) THEN list_filter({column}, x -> x <> $old) "
            f"ELSE list_transform({column}, x -> CASE WHEN x = $old THEN $new ELSE x END) END")


def _uses_old(use: Use) -> str:
    return f"list_contains({use.column}, $old)" if use.is_list else f"{use.column} = $old"


def _rewrite(con: db.Connection, kind: str, old: str, new: str) -> dict[str, int]:
    """Replace ``old`` by ``new`` in every stored use of ``kind`` (inside the caller's transaction)."""
    params = {"old": old, "new": new}
    changed: dict[str, int] = {}
    by_table: dict[str, list[Use]] = {}
    for use in USES[kind]:
        by_table.setdefault(use.table, []).append(use)
    for table, uses in by_table.items():
        for use in uses:
            (n,) = con.execute(f"SELECT count(*) FROM {table} WHERE {_uses_old(use)}", {"old": old}).fetchone()  # type: ignore[misc]
            changed[use.what] = changed.get(use.what, 0) + int(n)
        touched = " OR ".join(_uses_old(u) for u in uses)
        sets = {u.column: (_list_swap(u.column) if u.is_list else f"CASE WHEN {u.column} = $old THEN $new "
                           f"ELSE {u.column} END") for u in uses}
        if "version" in _columns(con, table):
            sets["version"] = f"CASE WHEN {touched} THEN version + 1 ELSE version END"
        if table == "applications" and any(u.is_list for u in uses):
            _rebuild_rewriting(con, table, sets, touched, params)
        else:
            assignments = ", ".join(f"{c} = {expr}" for c, expr in sets.items())
            con.execute(f"UPDATE {table} SET {assignments} WHERE {touched}", params)
    return changed


def _columns(con: db.Connection, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' "
        "AND table_name = ? ORDER BY column_index", [table]).fetchall()]


def _descendants(con: db.Connection, table: str) -> list[str]:
    """``table`` and every table that references it, directly or through others, parents first."""
    parents: dict[str, set[str]] = {}
    for child, text in con.execute(
            "SELECT table_name, constraint_text FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY' "
            "AND database_name = current_database()").fetchall():
        parent = text.split("REFERENCES", 1)[1].strip().split("(", 1)[0].strip().strip('"')
        if parent != child:
            parents.setdefault(child, set()).add(parent)
    members = {table}
    while grown := {c for c, ps in parents.items() if ps & members} - members:
        members |= grown
    order: list[str] = []
    while len(order) < len(members):
        ready = sorted(t for t in members if t not in order and parents.get(t, set()) & members <= set(order))
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle among {sorted(members - set(order))}")
        order += ready
    return order


def _rebuild_rewriting(con: db.Connection, table: str, sets: dict[str, str], touched: str,
                       params: dict[str, str]) -> None:
    """Rewrite rows of ``table`` whose LIST columns change, although other tables reference them.

    ``table`` and the tables referencing it are copied aside, dropped (children first), created again from
    their stored definitions (parents first) and refilled by column name, ``table`` with ``sets`` applied.
    Runs inside the caller's transaction: a failure leaves every table as it was.
    """
    (n,) = con.execute(f"SELECT count(*) FROM {table} WHERE {touched}",  # type: ignore[misc]
                       {"old": params["old"]}).fetchone()
    if not n:
        return
    tables = _descendants(con, table)
    ddl = {t: con.execute("SELECT sql FROM duckdb_tables() WHERE database_name = current_database() "
                          "AND schema_name = 'main' AND table_name = ?", [t]).fetchone()[0] for t in tables}  # type: ignore[index]
    for t in tables:
        con.execute(f"CREATE TEMP TABLE _vocab_{t} AS SELECT * FROM main.{t}")
    for t in reversed(tables):
        con.execute(f"DROP TABLE main.{t}")
    replace = ", ".join(f"{expr} AS {column}" for column, expr in sets.items())
    for t in tables:
        con.execute(ddl[t])
        if t == table:
            con.execute(f"INSERT INTO main.{t} BY NAME SELECT * REPLACE ({replace}) FROM _vocab_{t}", params)
        else:
            con.execute(f"INSERT INTO main.{t} BY NAME SELECT * FROM _vocab_{t}")
        con.execute(f"DROP TABLE _vocab_{t}")
