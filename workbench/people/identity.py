"""A person across rounds: every address they used, one person's record, and putting a link right later.

**Addresses.** ``person_addresses`` holds every address a person has applied with (or was given by a merge),
with when it was first and last seen; ``people.email`` is the latest of them, where the program's messages
go. :func:`add_address` / :func:`record_addresses` keep both (every application written goes through them,
from :func:`workbench.applications.store.insert_application_rows`); an address belongs to one person.

**Merge and split.** :func:`merge_people` moves every application and address of one person to another and
removes the first; :func:`split_person` moves one application (and its address) to a new person. Both ask
:data:`~workbench.access.Action.LINK_PEOPLE`, run in one transaction, are in the audit log and are undone by
:func:`undo_change` with the audit entry's id (``workbench people undo AUDIT_ID``). The audit entries that carry a
person's own data (a merged person's name and addresses, a split-off address) are filed under that person's id,
so erasing them (:func:`workbench.privacy.erase_people`) reaches them. The returning figures
(``returning_participants``) and the past partners the no-repeat rule sees (``matchstore``'s pool) are read
from ``applications.person_id``, so they follow at once.

**Applying again.** :func:`reapplied` finds the rows of an import whose person already has an application in
the round (a waitlisted applicant carried over, who applied again under a new address): the import updates that
application with the new answers and address (:func:`replace_answers`) instead of adding a second one, so the
round has one application per person and the cap counts it once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench import db
from workbench.access import Action, User, country_scope, require
from workbench.emails import normalise_email
from workbench.errors import NotFound, WorkbenchError

__all__ = [
    "Change", "PersonRecord", "add_address", "changes_of", "find_people", "merge_people", "person_record", "reapplied",
    "record_addresses", "refresh_latest", "replace_answers", "split_person", "undo_change",
]

#: The pattern of an erased person's email (``privacy.erased_email``): never an address to keep.
_ERASED = "erased-%@erased.invalid"
#: The answer columns an application that replaces an earlier one in the same round brings.
ANSWER_COLUMNS = (
    "submitted_at", "name", "email", "country_iso3", "sector", "career_stage", "interests", "languages", "timezone",
    "utc_offset_minutes", "partner_sector", "partner_stage", "partner_interests", "organisation",
    "organisation_key",
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- addresses -------------------------------------------------------------------------------------


def add_address(con: db.Connection, person_id: int, email: str, *, seen_at: dt.datetime, source: str) -> bool:
    """Record that ``person_id`` used ``email`` at ``seen_at`` (``source``: where, e.g. "application in 2017B").
    The latest address becomes ``people.email``. Returns True when it is now the person's latest.

    Inside the caller's transaction, with the caller's permission (the import, a link answered by hand).
    Raises :class:`WorkbenchError` when the address is another person's."""
    record_addresses(con, pd.DataFrame({"person_id": [int(person_id)], "email": [email],
                                        "seen_at": [pd.Timestamp(seen_at)], "source": [source]}))
    row = con.execute("SELECT email FROM people WHERE person_id = ?", [int(person_id)]).fetchone()
    return row is not None and row[0] == normalise_email(email)


def record_addresses(con: db.Connection, frame: pd.DataFrame) -> int:
    """Record many ``(person_id, email, seen_at, source)`` at once (see :func:`add_address`): new addresses are
    added, known ones have their first and last seen widened, and each person's latest address becomes their
    ``people.email``. An erased person's placeholder is skipped. Returns the addresses added."""
    if frame.empty:
        return 0
    rows = pd.DataFrame({
        "person_id": frame["person_id"].astype("int64"),
        "email": [normalise_email(str(e)) for e in frame["email"]],
        "seen_at": pd.to_datetime(frame["seen_at"]),
        "source": frame["source"].astype(str),
    })
    rows = rows[~rows["email"].str.match(r"^erased-\d+@erased\.invalid$")]
    if rows.empty:
        return 0
    con.register("_seen", rows)
    try:
        clash = con.execute(
            """SELECT s.email, s.person_id, pa.person_id FROM _seen AS s JOIN person_addresses AS pa USING (email)
               WHERE pa.person_id <> s.person_id
               UNION ALL
               SELECT email, min(person_id), max(person_id) FROM _seen GROUP BY email
               HAVING count(DISTINCT person_id) > 1 LIMIT 1""").fetchone()
        if clash is not None:
            raise WorkbenchError(
                f"The address {clash[0]} is person {clash[2]}'s, and it was given to person {clash[1]}: an address "
                f"belongs to one person. If they are one person, merge them first (`workbench people merge "
                f"{clash[2]} {clash[1]}`); nothing was changed.")
        (added,) = con.execute(
            "SELECT count(DISTINCT email) FROM _seen WHERE email NOT IN (SELECT email FROM person_addresses)"
        ).fetchone()  # type: ignore[misc]
        con.execute(
            """INSERT INTO person_addresses (email, person_id, first_seen_at, last_seen_at, source)
               SELECT email, any_value(person_id), min(seen_at), max(seen_at), arg_min(source, seen_at)
               FROM _seen WHERE email NOT IN (SELECT email FROM person_addresses) GROUP BY email""")
        con.execute(
            """UPDATE person_addresses AS pa SET first_seen_at = least(pa.first_seen_at, s.first),
                   last_seen_at = greatest(pa.last_seen_at, s.last)
               FROM (SELECT email, min(seen_at) AS first, max(seen_at) AS last FROM _seen GROUP BY email) AS s
               WHERE pa.email = s.email AND (s.first < pa.first_seen_at OR s.last > pa.last_seen_at)""")
        people = [int(p) for p in rows["person_id"].unique()]
    finally:
        con.unregister("_seen")
    refresh_latest(con, people)
    return int(added)


def refresh_latest(con: db.Connection, person_ids: Iterable[int]) -> None:
    """Set each person's ``people.email`` to their latest address (last seen, then first seen, then the address)."""
    ids = sorted({int(p) for p in person_ids})
    if not ids:
        return
    con.execute(
        """UPDATE people SET email = latest.email
           FROM (SELECT person_id, email FROM person_addresses WHERE person_id IN $ids
                 QUALIFY row_number() OVER (PARTITION BY person_id
                                            ORDER BY last_seen_at DESC, first_seen_at DESC, email) = 1) AS latest
           WHERE people.person_id = latest.person_id AND people.email <> latest.email""", {"ids": ids})


# --- one person ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRecord:
    """One person as the Applicants page's person view shows them: every round and every address."""

    person_id: int
    name: str
    email: str  #: the latest address, where messages go
    applications: pd.DataFrame  #: round, application, submitted, name, address, country, status, partners
    addresses: pd.DataFrame  #: address, first seen, last seen, where it was first seen, is the latest

    def describe(self) -> str:
        rounds = ", ".join(dict.fromkeys(self.applications["round_id"])) or "no round"
        return (f"{self.name} (person {self.person_id}), writes to {self.email}: {len(self.applications)} "
                f"application(s) in {rounds}, {len(self.addresses)} address(es)")


def _person_countries(con: db.Connection, person_id: int) -> list[str]:
    return [r[0] for r in con.execute("SELECT DISTINCT country_iso3 FROM applications WHERE person_id = ?",
                                      [person_id]).fetchall()]


def _person_row(con: db.Connection, person_id: int) -> tuple[int, str, str, dt.datetime]:
    row = con.execute("SELECT person_id, name, email, created_at FROM people WHERE person_id = ?",
                      [int(person_id)]).fetchone()
    if row is None:
        raise NotFound(f"No person has the id {person_id}. Find the person on the Applicants page (search by "
                       "name or address) and use the id it shows.")
    return int(row[0]), str(row[1]), str(row[2]), row[3]


def person_record(con: db.Connection, person_id: int, *, by: User) -> PersonRecord:
    """Every round and every address of one person. Needs ``Action.VIEW_PERSONAL`` (a country coordinator: a
    person with an application in their countries)."""
    require(by, Action.VIEW_PERSONAL)
    pid, name, email, _ = _person_row(con, person_id)
    require(by, Action.VIEW_PERSONAL, _person_countries(con, pid), what=f"Person {pid}")
    apps = con.execute(
        """
        SELECT a.round_id, a.application_id, a.submitted_at, a.name, a.email, a.country_iso3, a.status,
            a.status_reason, coalesce(string_agg(DISTINCT o.name, ', ' ORDER BY o.name), '') AS partners
        FROM applications AS a JOIN rounds AS r USING (round_id)
        LEFT JOIN partnership_members AS m ON m.application_id = a.application_id
        LEFT JOIN partnerships AS p ON p.partnership_id = m.partnership_id AND p.status <> 'broken'
            AND p.run_id IN (SELECT run_id FROM match_runs WHERE status = 'published')
        LEFT JOIN partnership_members AS om ON om.partnership_id = p.partnership_id
            AND om.application_id <> a.application_id
        LEFT JOIN applications AS o ON o.application_id = om.application_id
        WHERE a.person_id = ?
        GROUP BY a.round_id, a.application_id, a.submitted_at, a.name, a.email, a.country_iso3, a.status,
            a.status_reason, r.seq
        ORDER BY r.seq, a.application_id
        """, [pid]).df()
    addresses = con.execute(
        """SELECT email, first_seen_at, last_seen_at, source, email = ? AS is_latest FROM person_addresses
           WHERE person_id = ? ORDER BY last_seen_at DESC, first_seen_at DESC, email""", [email, pid]).df()
    return PersonRecord(pid, name, email, apps, addresses)


def find_people(con: db.Connection, text: str, *, by: User, limit: int = 20) -> pd.DataFrame:
    """People whose id, name or any address matches ``text`` (case and accents as written; a part of a name or
    address is enough): person_id, name, email (the latest), rounds, addresses. Within a country
    coordinator's countries. Needs ``Action.VIEW_PERSONAL``."""
    require(by, Action.VIEW_PERSONAL)
    needle = str(text or "").strip()
    columns = ["person_id", "name", "email", "rounds", "addresses"]
    if not needle:
        return pd.DataFrame(columns=columns)
    scope = country_scope(by)
    frame = con.execute(
        """
        WITH hits AS (
            SELECT person_id FROM people WHERE CAST(person_id AS VARCHAR) = $exact
                OR name ILIKE '%' || $t || '%' OR email ILIKE '%' || $t || '%'
            UNION SELECT person_id FROM person_addresses WHERE email ILIKE '%' || $t || '%'
            UNION SELECT person_id FROM applications WHERE name ILIKE '%' || $t || '%'
        )
        SELECT p.person_id, p.name, p.email,
            (SELECT string_agg(DISTINCT a.round_id, ', ' ORDER BY a.round_id) FROM applications AS a
             WHERE a.person_id = p.person_id) AS rounds,
            (SELECT count(*) FROM person_addresses AS pa WHERE pa.person_id = p.person_id) AS addresses
        FROM people AS p JOIN hits USING (person_id)
        WHERE p.email NOT LIKE $erased
          AND ($scope::VARCHAR[] IS NULL OR EXISTS (SELECT 1 FROM applications AS a WHERE a.person_id = p.person_id
                                                    AND list_contains($scope::VARCHAR[], a.country_iso3)))
        ORDER BY p.name, p.person_id
        LIMIT $limit
        """, {"t": needle, "exact": needle, "erased": _ERASED,
              "scope": None if scope is None else list(scope), "limit": int(limit)}).df()
    return frame[columns]


# --- merge, split and undo -------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A merge, a split or an undo, as done: the audit entry to undo it with and what it changed."""

    kind: str  #: "merge", "split", "undo merge" or "undo split"
    audit_id: int
    person_id: int  #: the person who remains (merge), the new person (split), the one restored (undo)
    other_id: int  #: the person merged away, the person split from, the other person of the undone change
    applications: tuple[int, ...] = ()
    addresses: tuple[str, ...] = ()
    withdrawn: tuple[int, ...] = ()
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        apps = ", ".join(map(str, self.applications)) or "none"
        if self.kind == "merge":
            text = (f"Merged person {self.other_id} into person {self.person_id}: application(s) {apps} and "
                    f"{len(self.addresses)} address(es) moved; person {self.other_id} is gone.")
            if self.withdrawn:
                text += (f" Both had applied to the same round, so the earlier application "
                         f"({', '.join(map(str, self.withdrawn))}) is withdrawn and the latest kept, with its own "
                         "status; the cap counts it once (apply the cap again on the Applicants page to decide it "
                         "afresh).")
            undo = f" To undo it: `workbench people undo {self.audit_id}` (audit entry {self.audit_id})."
        elif self.kind == "split":
            text = (f"Split application {apps} from person {self.other_id} into a new person, "
                    f"{self.person_id}, with its address.")
            undo = f" To undo it: `workbench people undo {self.audit_id}` (audit entry {self.audit_id})."
        else:
            text = (f"Undid the {self.kind.removeprefix('undo ')}: person {self.person_id} and person "
                    f"{self.other_id} are as they were (application(s) {apps}).")
            undo = ""
        return " ".join([text + undo, *self.notes])

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "audit_id": self.audit_id, "person_id": self.person_id,
                "other_id": self.other_id, "applications": list(self.applications),
                "addresses": len(self.addresses), "withdrawn": list(self.withdrawn)}


def _in_published_partnership(con: db.Connection, application_ids: list[int]) -> set[int]:
    if not application_ids:
        return set()
    return {int(r[0]) for r in con.execute(
        """SELECT DISTINCT m.application_id FROM partnership_members AS m
           JOIN partnerships AS p USING (partnership_id) JOIN match_runs AS r USING (run_id)
           WHERE m.application_id IN ? AND r.status = 'published' AND p.status <> 'broken'""",
        [application_ids]).fetchall()}


def _audit(con: db.Connection, *, by: User, action: str, person_id: int, before: Any, after: Any) -> int:
    (audit_id,) = db.next_ids(con, "audit_log")
    con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, 'people', ?, ?, ?)",
                [audit_id, _now(), by.actor, action, str(person_id),
                 None if before is None else json.dumps(before, default=str),
                 None if after is None else json.dumps(after, default=str)])
    return audit_id


def merge_people(con: db.Connection, keep_id: int, other_id: int, *, by: User) -> Change:
    """Merge person ``other_id`` into ``keep_id``: one person from now on. Every application and address of
    ``other_id`` moves to ``keep_id`` (whose latest address becomes the latest of both), and ``other_id`` is
    removed. When both applied to one round not yet published, the latest application is kept and the other
    withdrawn; when both took part in one published round they are two people, and the merge is refused.

    Needs ``Action.LINK_PEOPLE``. Audited (``merge people``) and undone by :func:`undo_change`."""
    require(by, Action.LINK_PEOPLE)
    keep_id, other_id = int(keep_id), int(other_id)
    if keep_id == other_id:
        raise WorkbenchError(f"Person {keep_id} cannot be merged with themselves: give two different people's ids.")
    with db.transaction(con):
        keep = _person_row(con, keep_id)
        other = _person_row(con, other_id)
        for pid, email in ((keep_id, keep[2]), (other_id, other[2])):
            if email.startswith("erased-") and email.endswith("@erased.invalid"):
                raise WorkbenchError(f"Person {pid}'s data was erased: an erased person cannot be merged.")
        apps = con.execute(
            """SELECT a.application_id, a.person_id, a.round_id, a.submitted_at, a.status, a.status_reason,
                      a.version, r.status AS round_status
               FROM applications AS a JOIN rounds AS r USING (round_id)
               WHERE a.person_id IN (?, ?) ORDER BY a.application_id""", [keep_id, other_id]).df()
        moved = [int(a) for a in apps.loc[apps["person_id"] == other_id, "application_id"]]
        live = apps[apps["status"] != "withdrawn"]
        withdrawn: list[dict[str, Any]] = []
        for round_id, group in live.groupby("round_id", sort=True):
            if group["person_id"].nunique() < 2:
                continue
            published = _in_published_partnership(con, [int(a) for a in group["application_id"]])
            if published or str(group["round_status"].iloc[0]) in ("running", "closed"):
                ids = ", ".join(map(str, group["application_id"]))
                raise WorkbenchError(
                    f"Person {keep_id} and person {other_id} both took part in round {round_id} (applications "
                    f"{ids}): one person cannot take part twice in a round, so they are two people. Nothing was "
                    "changed.")
            ordered = group.sort_values(["submitted_at", "application_id"])
            for record in ordered.iloc[:-1].itertuples(index=False):
                withdrawn.append({"application_id": int(record.application_id), "status": record.status,
                                  "status_reason": record.status_reason})
        addresses = [r[0] for r in con.execute(
            "SELECT email FROM person_addresses WHERE person_id = ? ORDER BY email", [other_id]).fetchall()]
        kept_latest = int(apps.loc[apps["status"] != "withdrawn"].sort_values("submitted_at")["application_id"]
                          .iloc[-1]) if len(live) else None
        for item in withdrawn:
            con.execute("UPDATE applications SET status = 'withdrawn', status_reason = ?, version = version + 1 "
                        "WHERE application_id = ?",
                        [f"applied twice (people {keep_id} and {other_id} merged): application {kept_latest}, "
                         "the latest, is kept", item["application_id"]])
        con.execute("UPDATE applications SET person_id = ?, version = version + 1 WHERE person_id = ?",
                    [keep_id, other_id])
        con.execute("UPDATE person_addresses SET person_id = ? WHERE person_id = ?", [keep_id, other_id])
        con.execute("DELETE FROM people WHERE person_id = ?", [other_id])
        refresh_latest(con, [keep_id])
        # the merged person's own data under their own id (erasing the kept person reaches it: privacy)
        audit_id = _audit(con, by=by, action="merge people", person_id=other_id,
                          before={"person_id": other_id, "name": other[1], "email": other[2],
                                  "created_at": other[3], "addresses": addresses, "applications": moved},
                          after={"merged_into": keep_id, "withdrawn": withdrawn})
        _audit(con, by=by, action="merge people", person_id=keep_id, before=None,
               after={"merged": other_id, "applications": moved, "undo_with": audit_id})
    return Change("merge", audit_id, keep_id, other_id, tuple(moved), tuple(addresses),
                  tuple(int(w["application_id"]) for w in withdrawn))


def split_person(con: db.Connection, person_id: int, application_id: int, *, by: User) -> Change:
    """Move ``application_id`` from ``person_id`` to a new person (its name and address): a link made wrongly.
    The address goes with it unless another application of the person uses it (then the split is refused: one
    address is one person).

    Needs ``Action.LINK_PEOPLE``. Audited (``split person``) and undone by :func:`undo_change`."""
    require(by, Action.LINK_PEOPLE)
    person_id, application_id = int(person_id), int(application_id)
    with db.transaction(con):
        _person_row(con, person_id)
        apps = con.execute("SELECT application_id, email, name, submitted_at, round_id FROM applications "
                           "WHERE person_id = ? ORDER BY application_id", [person_id]).fetchall()
        mine = next((a for a in apps if int(a[0]) == application_id), None)
        if mine is None:
            owner = con.execute("SELECT person_id FROM applications WHERE application_id = ?",
                                [application_id]).fetchone()
            where = f"it is person {owner[0]}'s" if owner else "no application has that id"
            raise NotFound(f"Application {application_id} is not person {person_id}'s ({where}). The person view "
                           "on the Applicants page lists each person's applications.")
        if len(apps) < 2:
            raise WorkbenchError(f"Application {application_id} is person {person_id}'s only application: there "
                                 "is nothing to split from. Nothing was changed.")
        address = normalise_email(str(mine[1]))
        shared = [int(a[0]) for a in apps if int(a[0]) != application_id and normalise_email(str(a[1])) == address]
        if shared:
            raise WorkbenchError(
                f"Application {application_id} uses the address {address}, which person {person_id}'s application(s) "
                f"{', '.join(map(str, shared))} use too: one address is one person, so the split was refused. Split "
                "those applications as well, or merge instead if they are one person.")
        rest = con.execute("SELECT count(*) FROM person_addresses WHERE person_id = ? AND email <> ?",
                           [person_id, address]).fetchone()
        if not rest or not rest[0]:
            raise WorkbenchError(f"Person {person_id} would keep no address after the split (every address is "
                                 f"application {application_id}'s). Nothing was changed.")
        (new_id,) = db.next_ids(con, "people")
        con.execute("INSERT INTO people (person_id, email, name, created_at) VALUES (?, ?, ?, ?)",
                    [new_id, address, str(mine[2]), _now()])
        con.execute("UPDATE applications SET person_id = ?, version = version + 1 WHERE application_id = ?",
                    [new_id, application_id])
        moved = con.execute("SELECT count(*) FROM person_addresses WHERE email = ? AND person_id = ?",
                            [address, person_id]).fetchone()
        if moved and moved[0]:
            con.execute("UPDATE person_addresses SET person_id = ?, first_seen_at = ?, last_seen_at = ?, source = ? "
                        "WHERE email = ?", [new_id, mine[3], mine[3], f"application in {mine[4]}", address])
        else:
            con.execute("INSERT INTO person_addresses VALUES (?, ?, ?, ?, ?)",
                        [address, new_id, mine[3], mine[3], f"application in {mine[4]}"])
        refresh_latest(con, [person_id, new_id])
        audit_id = _audit(con, by=by, action="split person", person_id=new_id,
                          before={"person_id": person_id, "application_id": application_id},
                          after={"person_id": new_id, "address": address})
        _audit(con, by=by, action="split person", person_id=person_id, before=None,
               after={"application_id": application_id, "split_into": new_id, "undo_with": audit_id})
    return Change("split", audit_id, new_id, person_id, (application_id,), (address,))


def _entry(con: db.Connection, audit_id: int) -> tuple[int, str, dict[str, Any], dict[str, Any]]:
    """The change's main audit entry (the one filed under the person it created or removed): its id, action,
    before and after. Either person's entry of a change finds it."""
    row = con.execute("SELECT action, before, after FROM audit_log WHERE audit_id = ? AND entity = 'people' "
                      "AND action IN ('merge people', 'split person')", [int(audit_id)]).fetchone()
    if row is None:
        raise NotFound(f"Audit entry {audit_id} is not a merge or a split of people. The Audit page (or the "
                       "message the merge or split printed) gives the entry to undo.")
    before = json.loads(row[1]) if row[1] else {}
    after = json.loads(row[2]) if row[2] else {}
    if before.get("erased") or after.get("erased"):
        raise WorkbenchError(f"Audit entry {audit_id}'s person was erased since: the change cannot be undone.")
    if "undo_with" in after:  # the other person's entry of the same change: undo with the main one
        return _entry(con, int(after["undo_with"]))
    return int(audit_id), str(row[0]), before, after


def undo_change(con: db.Connection, audit_id: int, *, by: User) -> Change:
    """Undo a merge or a split, given its audit entry (either person's): the people, their applications and
    addresses are as before it. Refused when something since depends on it (a person who applied again, an
    erasure). Needs ``Action.LINK_PEOPLE``; audited (``undo merge people`` / ``undo split person``)."""
    require(by, Action.LINK_PEOPLE)
    with db.transaction(con):
        main_id, action, before, after = _entry(con, audit_id)
        done = con.execute("SELECT audit_id FROM audit_log WHERE action = ? AND entity = 'people' AND "
                           "json_extract(after, '$.undoes')::INTEGER = ?", [f"undo {action}", main_id]).fetchone()
        if done is not None:
            raise WorkbenchError(f"Audit entry {main_id} was undone already (audit entry {done[0]}). Nothing changed.")
        if action == "merge people":
            return _undo_merge(con, main_id, before, after, by=by)
        return _undo_split(con, main_id, before, after, by=by)


def changes_of(con: db.Connection, person_id: int, *, by: User) -> pd.DataFrame:
    """The merges and splits that made ``person_id`` what they are and are not undone yet, latest first: audit_id,
    logged_at, actor, what (in words). The person view offers to undo them. Needs ``Action.LINK_PEOPLE``."""
    require(by, Action.LINK_PEOPLE)
    rows = con.execute(
        """
        SELECT l.audit_id, l.logged_at, l.actor, l.action, l.entity_id, l.after
        FROM audit_log AS l
        WHERE l.entity = 'people' AND l.action IN ('merge people', 'split person')
          AND json_extract(l.after, '$.undo_with') IS NULL
          AND (l.entity_id = $p OR json_extract(l.after, '$.merged_into')::INTEGER = $pid
               OR json_extract(l.before, '$.person_id')::INTEGER = $pid)
          AND NOT EXISTS (SELECT 1 FROM audit_log AS u WHERE u.entity = 'people' AND u.action = 'undo ' || l.action
                          AND json_extract(u.after, '$.undoes')::INTEGER = l.audit_id)
        ORDER BY l.audit_id DESC
        """, {"p": str(int(person_id)), "pid": int(person_id)}).fetchall()
    out = []
    for audit_id, logged_at, actor, action, entity_id, after in rows:
        detail = json.loads(after) if after else {}
        if detail.get("erased"):
            continue
        what = (f"person {entity_id} merged into person {detail.get('merged_into')}" if action == "merge people"
                else f"an application split off to person {entity_id}")
        out.append((int(audit_id), logged_at, str(actor), what))
    return pd.DataFrame(out, columns=["audit_id", "logged_at", "actor", "what"])


def _undo_merge(con: db.Connection, main_id: int, before: dict[str, Any], after: dict[str, Any], *,
                by: User) -> Change:
    other_id, keep_id = int(before["person_id"]), int(after["merged_into"])
    apps = [int(a) for a in before.get("applications", [])]
    addresses = [str(a) for a in before.get("addresses", [])]
    if con.execute("SELECT 1 FROM people WHERE person_id = ?", [other_id]).fetchone() is not None:
        raise WorkbenchError(f"Person {other_id} exists again: the merge (audit entry {main_id}) cannot be undone.")
    owners = {int(r[0]) for r in con.execute("SELECT DISTINCT person_id FROM applications WHERE application_id IN ?",
                                             [apps or [-1]]).fetchall()}
    if owners - {keep_id}:
        raise WorkbenchError(
            f"Application(s) {', '.join(map(str, apps))} no longer all belong to person {keep_id} (split or merged "
            f"again since): undo those changes first. Nothing was changed.")
    con.execute("INSERT INTO people (person_id, email, name, created_at) VALUES (?, ?, ?, ?)",
                [other_id, str(before["email"]), str(before["name"]), before["created_at"]])
    if apps:
        con.execute("UPDATE applications SET person_id = ?, version = version + 1 WHERE application_id IN ?",
                    [other_id, apps])
    if addresses:
        con.execute("UPDATE person_addresses SET person_id = ? WHERE email IN ? AND person_id = ?",
                    [other_id, addresses, keep_id])
    for item in after.get("withdrawn", []):
        con.execute("UPDATE applications SET status = ?, status_reason = ?, version = version + 1 "
                    "WHERE application_id = ?", [item["status"], item["status_reason"], int(item["application_id"])])
    refresh_latest(con, [keep_id, other_id])
    audit_id = _audit(con, by=by, action="undo merge people", person_id=other_id, before=None,
                      after={"undoes": main_id, "person_id": other_id, "from": keep_id, "applications": apps})
    return Change("undo merge", audit_id, other_id, keep_id, tuple(apps), tuple(addresses))


def _undo_split(con: db.Connection, main_id: int, before: dict[str, Any], after: dict[str, Any], *,
                by: User) -> Change:
    person_id, new_id, app = int(before["person_id"]), int(after["person_id"]), int(before["application_id"])
    if con.execute("SELECT 1 FROM people WHERE person_id = ?", [person_id]).fetchone() is None:
        raise WorkbenchError(f"Person {person_id} is gone (merged since): the split (audit entry {main_id}) cannot "
                             "be undone. Undo that merge first.")
    theirs = [int(r[0]) for r in con.execute("SELECT application_id FROM applications WHERE person_id = ?",
                                             [new_id]).fetchall()]
    if theirs != [app]:
        raise WorkbenchError(
            f"Person {new_id} now has application(s) {', '.join(map(str, theirs)) or 'none'}, not just {app} (they "
            f"applied again, or were merged since): merge person {new_id} into {person_id} instead "
            f"(`workbench people merge {person_id} {new_id}`). Nothing was changed.")
    con.execute("UPDATE applications SET person_id = ?, version = version + 1 WHERE application_id = ?",
                [person_id, app])
    con.execute("UPDATE person_addresses SET person_id = ? WHERE person_id = ?", [person_id, new_id])
    con.execute("DELETE FROM people WHERE person_id = ?", [new_id])
    # the address's first and last seen, as the application that used it says
    con.execute(
        """UPDATE person_addresses AS pa SET first_seen_at = s.first, last_seen_at = s.last
           FROM (SELECT min(submitted_at) AS first, max(submitted_at) AS last FROM applications
                 WHERE person_id = $p AND lower(trim(email)) = $e) AS s
           WHERE pa.email = $e AND s.first IS NOT NULL""", {"p": person_id, "e": str(after.get("address", ""))})
    refresh_latest(con, [person_id])
    audit_id = _audit(con, by=by, action="undo split person", person_id=new_id, before=None,
                      after={"undoes": main_id, "person_id": person_id, "from": new_id, "applications": [app]})
    return Change("undo split", audit_id, person_id, new_id, (app,))


# --- applying again in the same round ---------------------------------------------------------------


def reapplied(con: db.Connection, round_id: str, person_ids: Iterable[Any]) -> dict[int, tuple[int, Any]]:
    """Of ``person_ids`` (an import's linked rows), those who already have a live application in ``round_id``
    (carried over from the waitlist, or an earlier file): person_id -> that application's id (the latest) and when
    it was submitted."""
    ids = sorted({int(p) for p in person_ids if p is not None and not pd.isna(p)})
    if not ids:
        return {}
    rows = con.execute(
        """SELECT person_id, application_id, submitted_at FROM applications
           WHERE round_id = ? AND person_id IN ? AND status <> 'withdrawn'
           QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY submitted_at DESC, application_id DESC) = 1""",
        [round_id, ids]).fetchall()
    return {int(p): (int(a), at) for p, a, at in rows}


def replace_answers(con: db.Connection, application_id: int, row: dict[str, Any], *, source: str, by: User) -> None:
    """Give ``application_id`` the answers of a later application of the same person to the same round (``row``:
    the :data:`ANSWER_COLUMNS`), keeping its id, status and place; the new address becomes the person's latest.
    Inside the import's transaction; the import has asked ``Action.IMPORT``. Audited (``replace application``)."""
    require(by, Action.IMPORT)
    old = con.execute(f"SELECT person_id, version, {', '.join(ANSWER_COLUMNS)} FROM applications "
                      "WHERE application_id = ?", [int(application_id)]).fetchone()
    if old is None:
        raise NotFound(f"Application {application_id} no longer exists: import the file again.")
    values = [row.get(c) for c in ANSWER_COLUMNS]
    sets = ", ".join(f"{c} = ?" for c in ANSWER_COLUMNS)
    con.execute(f"UPDATE applications SET {sets}, source = ?, version = version + 1 WHERE application_id = ?",
                [*values, source[:200], int(application_id)])
    add_address(con, int(old[0]), str(row["email"]), seen_at=row["submitted_at"], source=source)
    db.audit(con, actor=by.actor, action="replace application", entity="applications", entity_id=application_id,
             before=dict(zip(ANSWER_COLUMNS, old[2:], strict=True)), after={**dict(zip(ANSWER_COLUMNS, values,
                                                                                       strict=True)),
                                                                           "source": source})


# --- the import's review, side by side -------------------------------------------------------------

#: The fields a review row compares, as the Import page shows them: (label, the linking model's field names).
REVIEW_FIELDS = (
    ("name", ("name",)), ("email", ("email", "email domain")), ("organisation", ("organisation",)),
    ("country", ("country",)), ("sector", ("sector",)), ("career stage", ("career stage",)),
    ("interests", ("interests",)), ("languages", ("languages",)), ("time zone", ("time zone",)),
)


def known_answers(con: db.Connection, person_ids: Iterable[int], *, by: User) -> dict[int, dict[str, str]]:
    """Each known person's answers as their latest application gave them (and their latest address), by the
    labels of :data:`REVIEW_FIELDS`: what the import's review shows beside an application. Needs
    ``Action.IMPORT`` (the review names known people)."""
    require(by, Action.IMPORT)
    ids = sorted({int(p) for p in person_ids})
    if not ids:
        return {}
    rows = con.execute(
        """SELECT a.person_id, a.name, p.email, coalesce(a.organisation, ''), c.name, a.sector, a.career_stage,
                  array_to_string(a.interests, '; '), array_to_string(a.languages, '; '), a.timezone, a.round_id
           FROM applications AS a JOIN rounds AS r USING (round_id) JOIN people AS p USING (person_id)
           JOIN countries AS c ON c.iso3 = a.country_iso3
           WHERE a.person_id IN ?
           QUALIFY row_number() OVER (PARTITION BY a.person_id ORDER BY r.seq DESC, a.application_id DESC) = 1""",
        [ids]).fetchall()
    labels = [label for label, _ in REVIEW_FIELDS]
    return {int(r[0]): {**dict(zip(labels, (str(v) for v in r[1:10]), strict=True)), "round": str(r[10])}
            for r in rows}


def side_by_side(application: dict[str, str], candidates: list[Any], known: dict[int, dict[str, str]]
                 ) -> pd.DataFrame:
    """One review row as a table: a line per field, the application's answer and each candidate's, each
    candidate's marked ✓ where the model found them agreeing and ✗ where they differ (its own words in
    ``agree``/``differ``). ``candidates``: the linking's :class:`~workbench.people.model.Candidate` objects."""
    table: dict[str, list[str]] = {"field": [label for label, _ in REVIEW_FIELDS],
                                   "this application": [str(application.get(label, "") or "")
                                                        for label, _ in REVIEW_FIELDS]}
    for n, candidate in enumerate(candidates, start=1):
        answers = known.get(int(candidate.person_id), {})
        column = []
        for label, names in REVIEW_FIELDS:
            mark = ("✓ " if any(x in candidate.agree for x in names) else
                    "✗ " if any(x in candidate.differ for x in names) else "")
            column.append(mark + str(answers.get(label, "") or ""))
        table[f"{n}: person {candidate.person_id} ({candidate.probability:.0%})"] = column
    return pd.DataFrame(table)
