"""Personal data: the pseudonymised analyst snapshot, erasing a person (forget) and retention.

**Snapshot.** :func:`pseudonymise` rewrites the analyst copy (``snapshots.publish_snapshot``'s transform): every
participant's name and email become a stable pseudonym, a keyed hash of their ``person_id`` (the key is
random, made once and kept in the live database's ``schema_info``, never in a copy), so the same person
is the same ``Participant 7f3a9c01d2`` in every round and every snapshot. Free text survives only where a
coordinator cleared it (``surveys.is_cleared``); case notes, non-standard case reasons, rule reasons and
the audit log's before/after are withheld; names inside the remaining texts (reasons a run left someone
unmatched, …) become the pseudonyms; staff accounts keep their id and role only, without password hashes
or sign-in state (:func:`strip_secrets`, which the full copy gets too).

**Erasure.** :func:`forget` erases one person's name, email, free text and notes everywhere, the copies in
the audit log included, in one transaction; every count and aggregate stays as it was (rows are kept, a
text that existed still exists, as ``[erased]``). :func:`apply_retention` does the same for everyone whose
rounds all closed more than the program's ``retention_years`` ago (``workbench.program``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from workbench import backups, db
from workbench.access import Action, User, require
from workbench.config import settings
from workbench.errors import NotFound, WorkbenchError
from workbench.intake.cells import normalise_email
from workbench.matching.rules import organisation_key
from workbench.messages.outbox import ERASED_RESPONSE
from workbench.participants.tokens import TOKEN_KEY
from workbench.program import retention_years

#: The ``schema_info`` key of the live database's pseudonym key (hex); removed from every copy.
PSEUDONYM_KEY = "pseudonym_key"
#: What an erased text becomes (a text that existed still exists, so counts of answers stay the same).
ERASED = "[erased]"
#: What a text not cleared for analysts becomes in the pseudonymised snapshot.
WITHHELD = "[withheld]"
#: An audit entry's before/after about an erased person's own rows.
ERASED_JSON = json.dumps({"erased": True})
#: A name in a text that several people share, in the pseudonymised snapshot.
AMBIGUOUS = "[participant]"
#: Case reasons the workbench writes itself (the health flags); they say nothing about a person.
STANDARD_REASONS = (
    "no contact reported for two fortnights",
    "partner has not replied within a week",
    "low rating at check-in",
    "opened by hand",
)
#: Tables that hold no participant's text (reference data, staff accounts, bookkeeping); the audit log is
#: handled on its own.
_NO_PARTICIPANT_TEXT = frozenset({
    "schema_info", "schema_migrations", "countries", "rounds", "coordinators", "audit_log",
    "settings", "vocabulary_terms",
})
#: Name and email columns, changed by person (never by a text search, which could touch someone else's).
_IDENTITY_COLUMNS = frozenset({("people", "name"), ("people", "email"), ("applications", "name"),
                               ("applications", "email"), ("applications", "organisation")})

ERASED_NAME = "Erased person"


def erased_email(person_id: int) -> str:
    return f"erased-{person_id}@erased.invalid"


# --- pseudonyms ----------------------------------------------------------------------------------


def pseudonym_key(con: db.Connection) -> bytes:
    """The live database's pseudonym key, made (random, 32 bytes) the first time it is needed."""
    row = con.execute("SELECT value FROM schema_info WHERE key = ?", [PSEUDONYM_KEY]).fetchone()
    if row is None:
        try:
            with db.transaction(con):
                con.execute("INSERT INTO schema_info VALUES (?, ?) ON CONFLICT DO NOTHING",
                            [PSEUDONYM_KEY, secrets.token_hex(32)])
        except duckdb.Error as exc:
            raise WorkbenchError(
                "The pseudonymised snapshot needs the database's pseudonym key, which is made once, and this "
                f"connection cannot write it ({exc}). Open the database read-write once (`workbench snapshot`)."
            ) from None
        row = con.execute("SELECT value FROM schema_info WHERE key = ?", [PSEUDONYM_KEY]).fetchone()
    assert row is not None
    return bytes.fromhex(row[0])


def pseudonym(key: bytes, person_id: int) -> str:
    """The person's stable token: a keyed hash (HMAC-SHA256) of their id, 10 hex digits."""
    return hmac.new(key, f"person:{int(person_id)}".encode(), hashlib.sha256).hexdigest()[:10]


def organisation_pseudonym(key: bytes, organisation: str) -> str:
    """A workplace's stable stand-in: the same organisation (as the cross-border rule compares it) keeps one."""
    digest = hmac.new(key, f"organisation:{organisation_key(organisation)}".encode(), hashlib.sha256).hexdigest()
    return f"Organisation {digest[:8]}"


def address_pseudonym(key: bytes, email: str) -> str:
    """One of a person's addresses in the analyst copy: a keyed stand-in of the address, stable across snapshots."""
    digest = hmac.new(key, f"address:{email}".encode(), hashlib.sha256).hexdigest()
    return f"a-{digest[:12]}@pseudonym.invalid"


def pseudonym_name(token: str) -> str:
    return f"Participant {token}"


def pseudonym_email(token: str) -> str:
    return f"p-{token}@pseudonym.invalid"


# --- finding texts ------------------------------------------------------------------------------


def trie_pattern(words: Iterable[str]) -> str:
    """One regular expression matching any of ``words`` (lowercase), as a trie: fast for thousands of them."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        parts = []
        while "" not in node and len(node) == 1:  # a chain: no branching, no recursion
            ((ch, node),) = node.items()
            parts.append(re.escape(ch))
        keys = sorted(k for k in node if k)
        if not keys:
            return "".join(parts)
        group = "(?:" + "|".join(re.escape(k) + build(node[k]) for k in keys) + ")"
        return "".join(parts) + (group + "?" if "" in node else group)

    return build(trie)


@functools.lru_cache(maxsize=8)
def _whole_words(words: tuple[str, ...]) -> re.Pattern[str]:
    """The compiled whole-word, case-insensitive expression for ``words`` (cached: the same names are looked
    for in every snapshot, and building the expression is most of a snapshot's Python time)."""
    return re.compile(r"(?<!\w)" + trie_pattern(words) + r"(?!\w)", re.IGNORECASE)


class Replacer:
    """Replaces whole-word occurrences of known texts (names, emails, answers), case-insensitively.

    ``mapping`` maps each text to its replacement; a text is also found in its JSON-escaped form (the audit
    log's before/after store ``\\u00e9`` for ``é``). Texts that differ only in case and map to different
    replacements map to ``ambiguous``.
    """

    def __init__(self, mapping: dict[str, str], *, ambiguous: str = ERASED) -> None:
        table: dict[str, str] = {}
        for text, replacement in mapping.items():
            text = text.strip()
            if len(text) < 2:
                continue
            forms = {text, json.dumps(text)[1:-1]}
            for form in forms:
                key = form.lower()
                if key in table and table[key] != replacement:
                    table[key] = ambiguous
                else:
                    table[key] = replacement
        self._table = table
        self._regex = _whole_words(tuple(sorted(table))) if table else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def sub(self, text: str) -> str:
        if self._regex is None or not text:
            return text
        return self._regex.sub(lambda m: self._table.get(m.group(0).lower(), ERASED), text)

    def sub_json(self, text: str | None) -> str | None:
        """``text`` (JSON) with every string in it (keys too) rewritten; not JSON: rewritten as text."""
        if text is None or self._regex is None:
            return text
        try:
            value = json.loads(text)
        except ValueError:
            return self.sub(text)
        return json.dumps(self._walk(value))

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.sub(value)
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        if isinstance(value, dict):
            return {self.sub(k): self._walk(v) for k, v in value.items()}
        return value


def text_columns(con: db.Connection) -> list[tuple[str, str]]:
    """The columns that may hold a participant's name inside a text: every VARCHAR column of the tables
    with participants' data, except keys (``*_id``), columns with a CHECK (vocabularies) and the name and
    email columns themselves (changed by person)."""
    checked = {(t, c) for t, cols in con.execute(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints() WHERE database_name = "
        "current_database() AND constraint_type IN ('CHECK', 'UNIQUE', 'PRIMARY KEY')").fetchall() for c in cols}
    rows = con.execute(
        "SELECT c.table_name, c.column_name FROM information_schema.columns AS c "
        "JOIN information_schema.tables AS t ON t.table_catalog = c.table_catalog "
        "AND t.table_schema = c.table_schema AND t.table_name = c.table_name "
        "WHERE c.table_catalog = current_database() AND c.table_schema = 'main' AND t.table_type = 'BASE TABLE' "
        "AND c.data_type = 'VARCHAR' ORDER BY c.table_name, c.ordinal_position").fetchall()
    return [(t, c) for t, c in rows if t not in _NO_PARTICIPANT_TEXT and not c.endswith("_id")
            and (t, c) not in checked and (t, c) not in _IDENTITY_COLUMNS]


# --- the snapshot -------------------------------------------------------------------------------
# The analyst copy is made from the live database's rows in memory (``copies.copy_database`` reads them as
# Arrow tables): the functions below change those tables before anything is written, so a raw name, email,
# note, password hash or the key never reaches the copy's file.

Tables = dict[str, pa.Table]


def _values(table: pa.Table, column: str) -> list[Any]:
    return table.column(column).to_pylist()


def _set(table: pa.Table, column: str, values: list[Any]) -> pa.Table:
    index = table.schema.get_field_index(column)
    field_ = table.schema.field(index)
    return table.set_column(index, field_, pa.array(values, type=field_.type))


def _to_day(values: list[Any]) -> list[Any]:
    return [v.replace(hour=0, minute=0, second=0, microsecond=0) if v is not None else None for v in values]


#: The ``schema_info`` keys no copy carries: the pseudonym key and the participants' link key (whoever holds it
#: can make any participant's ``/me`` or ``/unsubscribe`` link).
SECRET_KEYS = frozenset({PSEUDONYM_KEY, TOKEN_KEY})


def strip_secrets(tables: Tables) -> Tables:
    """What no copy may carry, removed before the copy is written: password hashes, sign-in failures and
    locks, the pseudonym key and the participants' link key (:data:`SECRET_KEYS`); what participants sent on
    their own pages beyond their application: forms never confirmed (nobody proved the address), each form's raw
    answers and earlier address (the application holds the checked answers), requests to be forgotten."""
    out = dict(tables)
    staff = out["coordinators"]
    n = staff.num_rows
    for column, value in (("password_hash", None), ("failed_sign_ins", 0), ("last_failed_at", None),
                          ("locked_until", None)):
        staff = _set(staff, column, [value] * n)
    out["coordinators"] = staff
    info = out["schema_info"]
    out["schema_info"] = info.filter(pa.array([k not in SECRET_KEYS for k in _values(info, "key")], type=pa.bool_()))
    forms = out.get("form_applications")
    if forms is not None:
        forms = forms.filter(pa.array([s in ("confirmed", "withdrawn") for s in _values(forms, "status")],
                                      type=pa.bool_()))
        n = forms.num_rows
        out["form_applications"] = _set(_set(forms, "answers", [WITHHELD] * n), "earlier_email", [None] * n)
    if "forget_requests" in out:
        out["forget_requests"] = out["forget_requests"].slice(0, 0)
    return out


def _form_tables(out: Tables, tokens: dict[int, str]) -> None:
    """The participants' pages' tables in the analyst copy (then :func:`strip_secrets`, as every copy): a confirmed
    form application keeps its round, status and days with its name and address the person's pseudonyms;
    opt-outs keep the person's id and the day."""
    forms = out.get("form_applications")
    if forms is not None:
        pids = _values(forms, "person_id")
        forms = _set(forms, "name", [pseudonym_name(tokens[p]) if p in tokens else WITHHELD for p in pids])
        forms = _set(forms, "email", [pseudonym_email(tokens[p]) if p in tokens else WITHHELD for p in pids])
        for stamp in ("submitted_at", "expires_at", "confirmed_at", "withdrawn_at"):
            forms = _set(forms, stamp, _to_day(_values(forms, stamp)))
        out["form_applications"] = forms
    if "opt_outs" in out:
        out["opt_outs"] = _set(out["opt_outs"], "opted_out_at", _to_day(_values(out["opt_outs"], "opted_out_at")))


def _is_standard_reason(reason: str | None) -> bool:
    return bool(reason) and set(str(reason).split("; ")) <= set(STANDARD_REASONS)


def _standard_reason_sql(column: str) -> str:
    return f"list_has_all($standard, string_split({column}, '; '))"


#: The columns that, together, can single out an application in the analyst copy (with the round).
QUASI_IDENTIFIERS = ("round_id", "country_iso3", "sector", "career_stage")


def pseudonymise(tables: Tables, key: bytes, columns: Iterable[tuple[str, str]], *,
                 min_group: int | None = None) -> Tables:
    """The analyst copy's rows (see the module's docstring), from the live database's ``tables``.

    ``columns`` are the text columns that may name a participant (:func:`text_columns`). Submission times
    are cut to the day. ``min_group`` (the program's ``snapshot_min_group``): an application whose round,
    country, sector and career stage it shares with fewer than that many others has its sector and career
    stage withheld.
    """
    out = dict(tables)
    people, apps = out["people"], out["applications"]
    identities = list(zip(_values(people, "person_id"), _values(people, "name"), _values(people, "email"),
                          strict=True))
    identities += zip(_values(apps, "person_id"), _values(apps, "name"), _values(apps, "email"), strict=True)
    addresses = out.get("person_addresses")
    if addresses is not None:  # every address a person used names them as their pseudonym does
        identities += ((pid, None, email) for pid, email in zip(_values(addresses, "person_id"),
                                                                 _values(addresses, "email"), strict=True))
    tokens = {pid: pseudonym(key, pid) for pid in {pid for pid, _, _ in identities}}  # one hash a person
    mapping: dict[str, str] = {}
    for pid, name, email in identities:
        for text, new in ((name, pseudonym_name(tokens[pid])), (email, pseudonym_email(tokens[pid]))):
            if text and mapping.get(text.lower(), new) != new:
                mapping[text.lower()] = AMBIGUOUS
            elif text:
                mapping[text.lower()] = new
    for name in ("people", "applications"):
        table = out[name]
        pids = _values(table, "person_id")
        table = _set(table, "name", [pseudonym_name(tokens[p]) for p in pids])
        table = _set(table, "email", [pseudonym_email(tokens[p]) for p in pids])
        stamp = "created_at" if name == "people" else "submitted_at"
        out[name] = _set(table, stamp, _to_day(_values(table, stamp)))
    if addresses is not None:  # each address its own keyed stand-in (one person may have several); days only
        addresses = _set(addresses, "email", [address_pseudonym(key, e) for e in _values(addresses, "email")])
        addresses = _set(addresses, "first_seen_at", _to_day(_values(addresses, "first_seen_at")))
        out["person_addresses"] = _set(addresses, "last_seen_at", _to_day(_values(addresses, "last_seen_at")))
    apps = out["applications"]
    stand_ins = [organisation_pseudonym(key, o) if o else o for o in _values(apps, "organisation")]
    apps = _set(apps, "organisation", stand_ins)
    apps = _set(apps, "organisation_key", [organisation_key(o) if o else None for o in stand_ins])
    if min_group and min_group > 1:
        apps = _generalise(apps, min_group)
    out["applications"] = apps
    surveys = out["surveys"]
    out["surveys"] = _set(surveys, "impact_text", [
        WITHHELD if text is not None and not cleared else text
        for text, cleared in zip(_values(surveys, "impact_text"), _values(surveys, "is_cleared"), strict=True)])
    # a check-in's note is written to the coordinators, never to analysts
    out["checkins"] = _set(out["checkins"], "note", [None] * out["checkins"].num_rows)
    cases = out["interventions"]
    cases = _set(cases, "notes", [""] * cases.num_rows)
    out["interventions"] = _set(cases, "reason", [r if _is_standard_reason(r) else WITHHELD
                                                  for r in _values(cases, "reason")])
    out["match_rules"] = _set(out["match_rules"], "reason", [None] * out["match_rules"].num_rows)
    log = out["audit_log"]
    out["audit_log"] = _set(_set(log, "before", [None] * log.num_rows), "after", [None] * log.num_rows)
    replacer = Replacer(mapping, ambiguous=AMBIGUOUS)
    out["outbox"] = _pseudonymise_outbox(out["outbox"], tables["applications"], tokens, replacer)
    _form_tables(out, tokens)
    for table_name, column in columns:
        if (table_name, column) == ("interventions", "notes") or table_name == "form_applications" or not replacer:
            continue
        table = out[table_name]
        values = _values(table, column)
        changed = [replacer.sub(v) if v else v for v in values]
        if changed != values:
            out[table_name] = _set(table, column, changed)
    staff = out["coordinators"]
    ids = _values(staff, "coordinator_id")
    staff = _set(staff, "name", [f"Staff {i}" for i in ids])
    out["coordinators"] = _set(staff, "email", [f"{i}@staff.invalid" for i in ids])
    return strip_secrets(out)


def _generalise(apps: pa.Table, min_group: int) -> pa.Table:
    """Sector and career stage withheld where the quasi-identifiers single out fewer than ``min_group``."""
    keys = list(zip(*(_values(apps, c) for c in QUASI_IDENTIFIERS), strict=True))
    sizes: dict[tuple[Any, ...], int] = {}
    for k in keys:
        sizes[k] = sizes.get(k, 0) + 1
    rare = [sizes[k] < min_group for k in keys]
    for column in ("sector", "career_stage"):
        apps = _set(apps, column, [WITHHELD if r else v for r, v in zip(rare, _values(apps, column), strict=True)])
    return apps


def unique_applications(con: db.Connection, *, min_group: int | None = None) -> dict[str, int]:
    """How many applications the quasi-identifiers (round, country, sector, career stage) single out: in the
    live data, and in the analyst copy once ``min_group`` withholds sector and career stage of small groups."""
    keys = ", ".join(QUASI_IDENTIFIERS)
    (total, unique, small) = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n < $k) FROM "
        f"(SELECT count(*) OVER (PARTITION BY {keys}) AS n FROM applications)",
        {"k": max(int(min_group or 0), 2)}).fetchone()  # type: ignore[misc]
    (after,) = con.execute(
        f"""SELECT count(*) FILTER (WHERE n = 1) FROM (
              SELECT count(*) OVER (PARTITION BY round_id, country_iso3, g_sector, g_stage) AS n FROM (
                SELECT round_id, country_iso3,
                       CASE WHEN n < $k THEN NULL ELSE sector END AS g_sector,
                       CASE WHEN n < $k THEN NULL ELSE career_stage END AS g_stage
                FROM (SELECT *, count(*) OVER (PARTITION BY {keys}) AS n FROM applications)))""",
        {"k": int(min_group or 0)}).fetchone()  # type: ignore[misc]
    return {"applications": int(total), "unique": int(unique), "in_small_groups": int(small),
            "unique_in_snapshot": int(after)}


def _outbox_rows(con: db.Connection, application_ids: list[int] | None = None) -> list[tuple[int, list[Any]]]:
    if application_ids is None:
        return con.execute("SELECT outbox_id, recipients FROM outbox").fetchall()
    return con.execute("SELECT outbox_id, recipients FROM outbox WHERE list_has_any(list_transform(recipients, "
                       "r -> r.application_id), ?)", [application_ids]).fetchall()


def _pseudonymise_outbox(outbox: pa.Table, apps: pa.Table, tokens: dict[int, str], replacer: Replacer) -> pa.Table:
    """The outbox in the analyst copy: bodies withheld, recipients as their pseudonyms (status kept), the
    server's words with names and addresses replaced. Subjects are rewritten with the other texts."""
    person = dict(zip(_values(apps, "application_id"), _values(apps, "person_id"), strict=True))
    recipients = []
    for row in _values(outbox, "recipients"):
        new = []
        for r in row:
            token = tokens.get(person.get(r["application_id"], -1))
            new.append({**r, "name": pseudonym_name(token) if token else AMBIGUOUS,
                        "email": pseudonym_email(token) if token else WITHHELD,
                        "server_response": replacer.sub(r["server_response"]) if r["server_response"] else None})
        recipients.append(new)
    outbox = _set(outbox, "body", [WITHHELD] * outbox.num_rows)
    return _set(outbox, "recipients", recipients)


def _erase_outbox(con: db.Connection, application_ids: list[int]) -> int:
    """The erased people in the outbox: their name and address blanked in every message; a message still waiting
    for them will not go to them (their part is marked failed, "not sent"). Returns the messages changed."""
    if not application_ids:
        return 0
    person = dict(con.execute("SELECT application_id, person_id FROM applications WHERE application_id IN ?",
                              [application_ids]).fetchall())
    updates = []
    for outbox_id, recipients in _outbox_rows(con, application_ids):
        new = []
        for r in recipients:
            if r["application_id"] in person:
                waiting = r["status"] == "queued"
                r = {**r, "name": ERASED_NAME, "email": erased_email(person[r["application_id"]]),
                     "status": "failed" if waiting else r["status"],
                     "server_response": ERASED_RESPONSE if waiting else (ERASED if r["server_response"] else None)}
            new.append(r)
        states = {r["status"] for r in new}
        status = ("queued" if "queued" in states else "sent" if states == {"sent"}
                  else "partial" if "sent" in states else "failed")
        updates.append((new, status, outbox_id))
    if updates:
        con.executemany("UPDATE outbox SET recipients = ?, status = ? WHERE outbox_id = ?", updates)
    return len(updates)


# --- erasure ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A participant as the erasure shows them before it is confirmed."""

    person_id: int
    name: str
    email: str
    rounds: tuple[str, ...]
    applications: int
    surveys_with_text: int
    cases: int

    def describe(self) -> str:
        rounds = ", ".join(self.rounds) or "no round"
        return (f"{self.name} <{self.email}> (person {self.person_id}): {self.applications} application(s) in "
                f"{rounds}, {self.surveys_with_text} survey answer(s) with text, {self.cases} follow-up case(s)")


@dataclass(frozen=True)
class Erasure:
    """What an erasure changed, in counts (no erased data)."""

    person_ids: tuple[int, ...]
    applications: int = 0
    surveys: int = 0
    cases: int = 0
    texts: int = 0  #: other cells in which a name or email was replaced
    audit_entries: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, int]:
        return {"applications": self.applications, "surveys": self.surveys, "cases": self.cases,
                "other_texts": self.texts, "audit_entries": self.audit_entries}

    def summary(self) -> str:
        who = f"{len(self.person_ids)} people" if len(self.person_ids) != 1 else f"person {self.person_ids[0]}"
        return (f"Erased the personal data of {who}: {self.applications} application(s), {self.surveys} survey "
                f"answer(s), {self.cases} case(s), {self.texts} other text(s) naming them and "
                f"{self.audit_entries} audit entr{'y' if self.audit_entries == 1 else 'ies'}. Counts and reports "
                "are unchanged.")


def _normalise(email: str) -> str:
    """The person's email key, as the import stores it (one home: ``intake.cells.normalise_email``)."""
    return normalise_email(email)


def _is_erased_sql(alias: str) -> str:
    return f"({alias}.email LIKE 'erased-%@erased.invalid')"


def find_person(con: db.Connection, email: str, *, by: User) -> Person:
    """The participant with this email, to confirm before erasing (a director's action)."""
    require(by, Action.ERASE)
    address = _normalise(email)
    row = con.execute(
        "SELECT p.person_id, p.name, p.email, list(DISTINCT a.round_id ORDER BY a.round_id) FILTER "
        "(WHERE a.round_id IS NOT NULL), count(DISTINCT a.application_id) FROM people AS p "
        "LEFT JOIN applications AS a ON a.person_id = p.person_id WHERE p.email = $e OR p.person_id IN "
        "(SELECT person_id FROM person_addresses WHERE email = $e) GROUP BY ALL",  # any address they used
        {"e": address}).fetchone()
    if row is None:
        raise NotFound(f"No participant has the email {address}. Check the spelling; a person already erased "
                       "has no email any more.")
    pid = int(row[0])
    rounds = con.execute("SELECT list(round_id ORDER BY seq) FROM rounds WHERE round_id IN ?",
                         [list(row[3] or [])]).fetchone()
    (texts,) = con.execute(
        "SELECT count(*) FROM surveys AS s JOIN applications AS a USING (application_id) WHERE a.person_id = ? "
        "AND s.impact_text IS NOT NULL", [pid]).fetchone()  # type: ignore[misc]
    cases = len(_cases(con, _applications(con, [pid])))
    return Person(pid, row[1], row[2], tuple((rounds[0] if rounds else None) or ()), int(row[4]), int(texts), cases)


def _applications(con: db.Connection, person_ids: list[int]) -> list[int]:
    return [r[0] for r in con.execute("SELECT application_id FROM applications WHERE person_id IN ? "
                                      "ORDER BY application_id", [person_ids]).fetchall()]


def _cases(con: db.Connection, application_ids: list[int]) -> list[tuple[int, str, str]]:
    """The follow-up cases about these applications' partnerships or raised by them: (id, reason, notes)."""
    if not application_ids:
        return []
    return con.execute(
        "SELECT intervention_id, reason, notes FROM interventions WHERE application_id IN $apps OR partnership_id IN "
        "(SELECT partnership_id FROM partnership_members WHERE application_id IN $apps) ORDER BY intervention_id",
        {"apps": application_ids}).fetchall()


def forget(con: db.Connection, email: str, *, by: User) -> Erasure:
    """Erase the personal data of the participant with this email, everywhere, in one transaction.

    Their name and email (in people and every application), their survey answers' text, the notes and
    reasons of the cases about their partnerships or raised by them, every text naming them (reasons a
    run left someone unmatched, rule reasons, …) and the copies of all of these in the audit log. Rows
    and ids stay, so every count and report is unchanged. The erasure is in the audit log without the
    erased data. A director's action.
    """
    require(by, Action.ERASE)
    address = _normalise(email)
    with db.transaction(con):
        row = con.execute("SELECT person_id FROM people WHERE email = $e UNION SELECT person_id FROM "
                          "person_addresses WHERE email = $e", {"e": address}).fetchone()  # any address they used
        if row is None:
            raise NotFound(f"No participant has the email {address}. Check the spelling; a person already "
                           "erased has no email any more.")
        return erase_people(con, [int(row[0])], actor=by.actor, detail={"reason": "request"})


def forget_requests(con: db.Connection, *, by: User) -> pd.DataFrame:
    """The requests to be forgotten that participants sent from their own page (``/me``), waiting for a director:
    ``request_id, person_id, name, email, rounds, requested_at``, oldest first."""
    require(by, Action.ERASE, what="Requests to be forgotten")
    return con.execute(
        """SELECT r.request_id, r.person_id, p.name, p.email,
               (SELECT string_agg(DISTINCT a.round_id, ', ' ORDER BY a.round_id) FROM applications AS a
                WHERE a.person_id = r.person_id) AS rounds, r.requested_at
           FROM forget_requests AS r JOIN people AS p USING (person_id)
           WHERE r.status = 'requested' ORDER BY r.requested_at, r.request_id""").df()


def decide_forget_request(con: db.Connection, request_id: int, *, erase: bool, by: User) -> Erasure | None:
    """A director's answer to a request to be forgotten: ``erase`` runs :func:`erase_people` on the person (the
    caller then rewrites the file, as after :func:`forget`); otherwise the request is declined and kept (the
    person's opt-out stays: they get no topic, reminder or survey). Audited either way; one transaction."""
    require(by, Action.ERASE, what="Requests to be forgotten")
    with db.transaction(con):
        row = con.execute("SELECT person_id, status FROM forget_requests WHERE request_id = ?",
                          [int(request_id)]).fetchone()
        if row is None:
            raise NotFound(f"There is no request to be forgotten {request_id}: it was decided and the person erased. "
                           "Reload the page.")
        person_id, status = int(row[0]), str(row[1])
        if status != "requested":
            raise WorkbenchError(f"Request {request_id} was already {status}; reload the page to see those waiting.")
        db.audit(con, actor=by.actor, action="confirm forget request" if erase else "decline forget request",
                 entity="forget_requests", entity_id=int(request_id), after={"person_id": person_id})
        if not erase:
            con.execute("UPDATE forget_requests SET status = 'declined', decided_by = ?, decided_at = ? "
                        "WHERE request_id = ?", [by.actor, dt.datetime.now(dt.UTC).replace(tzinfo=None),
                                                 int(request_id)])
            return None
        return erase_people(con, [person_id], actor=by.actor,
                            detail={"reason": "request from the participant's page", "request": int(request_id)})


def erase_people(con: db.Connection, person_ids: list[int], *, actor: str,
                 detail: dict[str, Any] | None = None) -> Erasure:
    """The erasure itself, inside the caller's transaction (no permission check: :func:`forget` and
    :func:`apply_retention` ask first). One audit entry per person: ``erase person``, counts only.

    By record, never by a search of the whole database: the person's own rows (people, applications, survey
    answers, check-ins, the reasons a run left them unmatched), the cases about their partnerships or raised
    by them, the rules about them, the messages addressed to them, the audit entries of all of these, and
    the reasons other people of the same runs were left unmatched where they name them. Another person's
    text is never touched for holding the same words (a namesake's introduction, "Will" in a survey answer).
    """
    if not person_ids:
        return Erasure(())
    apps = _applications(con, person_ids)
    identities = con.execute(
        "SELECT name, email FROM people WHERE person_id IN $p UNION SELECT name, email FROM applications "
        "WHERE person_id IN $p", {"p": person_ids}).fetchall()
    surveys = con.execute("SELECT survey_id, impact_text FROM surveys WHERE application_id IN ?",
                          [apps or [-1]]).fetchall()
    cases = _cases(con, apps)
    checkins = [r[0] for r in con.execute("SELECT checkin_id FROM checkins WHERE application_id IN ?",
                                          [apps or [-1]]).fetchall()]
    rules = con.execute("SELECT rule_id, reason FROM match_rules WHERE application_a_id IN $a OR "
                        "application_b_id IN $a", {"a": apps or [-1]}).fetchall()
    partnerships = [r[0] for r in con.execute(
        "SELECT DISTINCT partnership_id FROM partnership_members WHERE application_id IN ?", [apps or [-1]]).fetchall()]
    needles: dict[str, str] = {}
    for name, email in identities:
        needles[name] = ERASED
        needles[email] = ERASED
    for (address,) in con.execute("SELECT email FROM person_addresses WHERE person_id IN ?", [person_ids]).fetchall():
        needles[address] = ERASED
    texts = [t for _, t in surveys if t and t != ERASED]
    texts += [n for _, _, n in cases if n and n != ERASED]
    texts += [r for _, r, _ in cases if r and not _is_standard_reason(r) and r != ERASED]
    texts += [r for _, r in rules if r and r != ERASED]
    own_words = Replacer(needles)
    replacer = Replacer({**needles, **dict.fromkeys(texts, ERASED)})

    con.execute("UPDATE people SET name = $name, email = 'erased-' || person_id || '@erased.invalid' "
                "WHERE person_id IN $p", {"p": person_ids, "name": ERASED_NAME})
    # what they sent on the form (by person, and unconfirmed ones by any of their addresses) and their requests to
    # be forgotten go; an opt-out stays (an id, a day, how): the erased record gets no topic, reminder or survey
    addresses = sorted({e for _, e in identities if e} | {k for k in needles if "@" in k})
    con.execute("DELETE FROM form_applications WHERE person_id IN $p OR email IN $e OR earlier_email IN $e",
                {"p": person_ids, "e": addresses or [""]})
    con.execute("DELETE FROM forget_requests WHERE person_id IN ?", [person_ids])
    # every address they used goes (workbench.people.identity): an erased person has none
    con.execute("DELETE FROM person_addresses WHERE person_id IN ?", [person_ids])
    status_reasons = con.execute("SELECT application_id, status_reason FROM applications WHERE person_id IN ? "
                                 "AND status_reason IS NOT NULL", [person_ids]).fetchall()
    con.execute("UPDATE applications SET name = $name, email = 'erased-' || person_id || '@erased.invalid', "
                "organisation = NULL, organisation_key = NULL, version = version + 1 WHERE person_id IN $p",
                {"p": person_ids, "name": ERASED_NAME})
    others = _rewrite_rows(con, "applications", "application_id", ["status_reason"],
                           [a for a, _ in status_reasons], own_words)
    with_text = [sid for sid, t in surveys if t is not None]
    if with_text:
        con.execute("UPDATE surveys SET impact_text = ?, is_cleared = false, version = version + 1 "
                    "WHERE survey_id IN ?", [ERASED, with_text])
    if checkins:
        con.execute("UPDATE checkins SET note = $erased WHERE checkin_id IN $ids AND note IS NOT NULL",
                    {"erased": ERASED, "ids": checkins})
    if cases:
        con.execute(
            f"UPDATE interventions SET notes = CASE WHEN notes = '' THEN '' ELSE $erased END, reason = CASE WHEN "
            f"{_standard_reason_sql('reason')} THEN reason ELSE $erased END, version = version + 1 "
            "WHERE intervention_id IN $ids",
            {"erased": ERASED, "standard": list(STANDARD_REASONS), "ids": [c[0] for c in cases]})
    with_reason = [rid for rid, r in rules if r]
    if with_reason:
        con.execute("UPDATE match_rules SET reason = ? WHERE rule_id IN ?", [ERASED, with_reason])
    others += len(with_reason)
    others += _erase_unmatched(con, apps, person_ids, identities)
    messages = [m for m, _ in _outbox_rows(con, apps)] if apps else []
    _erase_outbox(con, apps)
    others += _rewrite_rows(con, "outbox", "outbox_id", ["subject", "body"], messages, own_words)

    own = {"people": [*person_ids, *_merged_into(con, person_ids)], "applications": apps,
           "surveys": [s for s, _ in surveys], "checkins": checkins, "interventions": [c[0] for c in cases]}
    marked = 0
    for entity, ids in own.items():
        if not ids:
            continue
        (n,) = con.execute(
            "SELECT count(*) FROM audit_log WHERE entity = ? AND entity_id IN ? AND (before IS NOT NULL OR "
            "after IS NOT NULL)", [entity, [str(i) for i in ids]]).fetchone()  # type: ignore[misc]
        con.execute("UPDATE audit_log SET before = CASE WHEN before IS NULL THEN NULL ELSE $m END, "
                    "after = CASE WHEN after IS NULL THEN NULL ELSE $m END WHERE entity = $e AND entity_id IN $ids",
                    {"m": ERASED_JSON, "e": entity, "ids": [str(i) for i in ids]})
        marked += int(n)
    about = {"match_rules": [r for r, _ in rules], "partnerships": partnerships, "outbox": messages}
    rewritten = 0
    for entity, ids in about.items():
        if not ids:
            continue
        rows = con.execute("SELECT audit_id, before, after FROM audit_log WHERE entity = ? AND entity_id IN ? "
                           "AND (before IS NOT NULL OR after IS NOT NULL)", [entity, [str(i) for i in ids]]).fetchall()
        updates = []
        for audit_id, before, after in rows:
            new_before, new_after = replacer.sub_json(before), replacer.sub_json(after)
            if (new_before, new_after) != (before, after):
                updates.append((new_before, new_after, audit_id))
        if updates:
            con.executemany("UPDATE audit_log SET before = ?, after = ? WHERE audit_id = ?", updates)
        rewritten += len(updates)

    result = Erasure(tuple(person_ids), applications=len(apps), surveys=len(with_text), cases=len(cases),
                     texts=others, audit_entries=marked + rewritten)
    _log_erasures(con, person_ids, actor=actor, after={**(detail or {}), **result.as_json()}
                  if len(person_ids) == 1 else dict(detail or {}))
    return result


def _merged_into(con: db.Connection, person_ids: list[int]) -> list[int]:
    """The people merged into these (workbench.people.identity files a merged person's name and addresses under
    their own id), and those merged into them in turn: their audit entries are the erased person's too."""
    found: set[int] = set()
    todo = [int(p) for p in person_ids]
    while todo:
        rows = con.execute("SELECT DISTINCT entity_id FROM audit_log WHERE entity = 'people' "
                           "AND action = 'merge people' AND json_extract(after, '$.merged_into')::INTEGER IN ?",
                           [todo]).fetchall()
        todo = [int(r[0]) for r in rows if int(r[0]) not in found and int(r[0]) not in person_ids]
        found.update(todo)
    return sorted(found)


def _rewrite_rows(con: db.Connection, table: str, key: str, columns: list[str], ids: list[int],
                  replacer: Replacer) -> int:
    """Apply ``replacer`` to ``columns`` of the rows ``ids`` of ``table`` (and only those); cells changed."""
    if not ids or not replacer:
        return 0
    changed = 0
    for column in columns:
        col = db.quote_identifier(column)
        rows = con.execute(f"SELECT {key}, {col} FROM {table} WHERE {key} IN ? AND {col} IS NOT NULL",
                           [ids]).fetchall()
        updates = [(new, row_id) for row_id, old in rows if (new := replacer.sub(old)) != old]
        if updates:
            con.executemany(f"UPDATE {table} SET {col} = ? WHERE {key} = ?", updates)
            changed += len(updates)
    return changed


def _erase_unmatched(con: db.Connection, apps: list[int], person_ids: list[int],
                     identities: list[tuple[str, str]]) -> int:
    """The reasons runs left people unmatched: the erased people's own, and those of others in the same runs
    that name them. A name another (not erased) person of the same round also has is left in others' reasons:
    it may be theirs."""
    if not apps:
        return 0
    own = con.execute("SELECT run_id, application_id FROM match_unmatched WHERE application_id IN ?", [apps]).fetchall()
    needles = {text: ERASED for pair in identities for text in pair if text}
    changed = 0
    for column in ("reason", "change"):
        rows = con.execute(f"SELECT run_id, application_id, {column} FROM match_unmatched WHERE application_id IN ?",
                           [apps]).fetchall()
        updates = [(new, run, app) for run, app, old in rows if (new := Replacer(needles).sub(old)) != old]
        if updates:
            con.executemany(f"UPDATE match_unmatched SET {column} = ? WHERE run_id = ? AND application_id = ?",
                            updates)
            changed += len(updates)
    runs = sorted({run for run, _ in own} | {r[0] for r in con.execute(
        "SELECT DISTINCT p.run_id FROM partnerships AS p JOIN partnership_members AS m USING (partnership_id) "
        "WHERE m.application_id IN ?", [apps]).fetchall()})
    if not runs:
        return changed
    shared = {r[0].lower() for r in con.execute(
        "SELECT DISTINCT a.name FROM applications AS a WHERE a.person_id NOT IN $p AND a.round_id IN "
        "(SELECT round_id FROM match_runs WHERE run_id IN $runs)", {"p": person_ids, "runs": runs}).fetchall()}
    theirs = Replacer({t: ERASED for t in needles if t.lower() not in shared})
    for column in ("reason", "change"):
        rows = con.execute(f"SELECT run_id, application_id, {column} FROM match_unmatched WHERE run_id IN ? AND "
                           "application_id NOT IN ?", [runs, apps]).fetchall()
        updates = [(new, run, app) for run, app, old in rows if (new := theirs.sub(old)) != old]
        if updates:
            con.executemany(f"UPDATE match_unmatched SET {column} = ? WHERE run_id = ? AND application_id = ?",
                            updates)
            changed += len(updates)
    return changed


def _log_erasures(con: db.Connection, person_ids: list[int], *, actor: str, after: dict[str, Any]) -> None:
    ids = db.next_ids(con, "audit_log", len(person_ids))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.executemany("INSERT INTO audit_log VALUES (?, ?, ?, 'erase person', 'people', ?, NULL, ?)",
                    [[audit_id, now, actor, str(pid), json.dumps(after, default=str)]
                     for audit_id, pid in zip(ids, person_ids, strict=True)])


# --- copies the erasure cannot reach --------------------------------------------------------------


@dataclass(frozen=True)
class HeldCopy:
    """A file beside the database that still holds an erased person: a backup made before the erasure."""

    path: Path
    kind: str  #: "dated backup", "pre-upgrade copy" or "replaced by a restore"
    made_at: dt.datetime
    removed_by: dt.datetime | None  #: when the workbench deletes it on its own; None: kept until deleted by hand

    def describe(self) -> str:
        until = (f"removed by the workbench around {self.removed_by:%Y-%m-%d %H:%M} UTC" if self.removed_by
                 else "kept until someone deletes it")
        return f"{self.path} ({self.kind}, made {self.made_at:%Y-%m-%d %H:%M} UTC): {until}"


def _copies_beside(db_path: Path) -> list[tuple[Path, str]]:
    found: dict[Path, str] = {}
    for folder in {settings().backup_dir, db_path.parent / "backups"}:
        for path in backups.dated_backups(folder):
            found[path.resolve()] = "dated backup"
        if folder.exists():
            for path in folder.glob(f"{db_path.stem}-schema-v*"):
                found[path.resolve()] = "pre-upgrade copy"
    for path in db_path.parent.glob(f"{db_path.stem}.replaced-*"):
        found[path.resolve()] = "replaced by a restore"
    return sorted(found.items())


def copies_holding(person_ids: Iterable[int], db_path: str | Path) -> list[HeldCopy]:
    """The backups and other copies of the database at ``db_path`` in which any of these people is not erased.

    Dated backups are removed by the app as newer ones are made (the last ``WORKBENCH_BACKUP_KEEP``, one
    every ``WORKBENCH_BACKUP_EVERY_HOURS``); pre-upgrade copies and files a restore replaced stay until
    someone deletes them. A file that cannot be read is listed too: it may hold them.
    """
    ids = [int(p) for p in person_ids]
    conf = settings()
    life = dt.timedelta(hours=conf.backup_keep * conf.backup_every_hours) if conf.backup_every_hours > 0 else None
    held = []
    for path, kind in _copies_beside(Path(db_path)):
        try:
            copy = db.connect(path, read_only=True)
        except (WorkbenchError, duckdb.Error):
            holds = True
        else:
            try:
                (n,) = copy.execute(f"SELECT count(*) FROM people AS p WHERE person_id IN ? AND NOT "
                                    f"{_is_erased_sql('p')}", [ids]).fetchone()  # type: ignore[misc]
                holds = n > 0
            except duckdb.Error:
                holds = True
            finally:
                copy.close()
        if holds:
            made = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).replace(tzinfo=None)
            removed = made + life if kind == "dated backup" and life is not None else None
            held.append(HeldCopy(path, kind, made, removed))
    return held


def held_copies_summary(held: list[HeldCopy]) -> str:
    """One paragraph for ``forget`` and the Personal data page: how many copies still hold the person."""
    if not held:
        return "No backup or other copy beside the database holds them any more."
    dated = [h for h in held if h.removed_by is not None]
    kept = [h for h in held if h.removed_by is None]
    parts = []
    if dated:
        last = max(h.removed_by for h in dated if h.removed_by is not None)
        parts.append(f"{len(dated)} dated backup(s) made before the erasure still hold them; the workbench removes "
                     f"them as newer backups replace them, the last around {last:%Y-%m-%d} (UTC)")
    if kept:
        parts.append(f"{len(kept)} other cop{'y' if len(kept) == 1 else 'ies'} (pre-upgrade copies, files a "
                     "restore replaced, or backups the app no longer rotates) still hold them and stay until "
                     "someone deletes them: " + ", ".join(str(h.path) for h in kept))
    return "; ".join(parts) + "."


# --- retention ----------------------------------------------------------------------------------


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Retention:
    """Who the retention period makes due for erasure (and, once applied, what was erased)."""

    years: int | None
    cutoff: dt.date | None
    due: pd.DataFrame
    erasure: Erasure | None = None

    def summary(self) -> str:
        if self.years is None:
            return ("No retention period is set: personal data is kept. Set one on the Personal data page "
                    "(or `workbench retention set YEARS`).")
        if self.due.empty:
            return (f"Nobody's rounds all closed before {self.cutoff} ({self.years} years ago): nothing to erase.")
        if self.erasure is None:
            return (f"{len(self.due)} people's rounds all closed before {self.cutoff} ({self.years} years ago): "
                    "their personal data would be erased.")
        return self.erasure.summary()


def retention_due(con: db.Connection, *, by: User, years: int | None = None,
                  today: dt.date | None = None) -> Retention:
    """The people whose rounds all closed (ended) more than ``years`` (default: the program's setting) ago,
    not erased yet: person_id, name, email, rounds, last_round_ended_on. A director's read."""
    require(by, Action.ERASE)
    years = retention_years(con) if years is None else years
    columns = ["person_id", "name", "email", "rounds", "last_round_ended_on"]
    if years is None:
        return Retention(None, None, pd.DataFrame(columns=columns))
    cutoff = _years_before(today or dt.date.today(), int(years))
    due = con.execute(
        f"""SELECT p.person_id, p.name, p.email, list(r.round_id ORDER BY r.seq) AS rounds,
                   max(r.ends_on) AS last_round_ended_on
            FROM people AS p JOIN applications AS a ON a.person_id = p.person_id
            JOIN rounds AS r ON r.round_id = a.round_id
            WHERE NOT {_is_erased_sql('p')}
            GROUP BY p.person_id, p.name, p.email
            HAVING bool_and(r.status = 'closed') AND max(r.ends_on) < ?
            ORDER BY p.person_id""", [cutoff]).df()
    return Retention(int(years), cutoff, due[columns])


def apply_retention(con: db.Connection, *, by: User, today: dt.date | None = None,
                    dry_run: bool = False) -> Retention:
    """Erase (as :func:`forget`) everyone :func:`retention_due` lists, in one transaction; ``dry_run`` only
    lists them. A director's action; nothing happens while no retention period is set."""
    require(by, Action.ERASE)
    if dry_run:
        return retention_due(con, by=by, today=today)
    with db.transaction(con):
        found = retention_due(con, by=by, today=today)
        if found.years is None or found.due.empty:
            return found
        erasure = erase_people(con, [int(p) for p in found.due["person_id"]], actor=by.actor,
                               detail={"reason": "retention", "retention_years": found.years,
                                       "closed_before": str(found.cutoff)})
    return Retention(found.years, found.cutoff, found.due, erasure)
