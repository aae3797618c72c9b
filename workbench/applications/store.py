"""Reading and writing the tables an import, a decision or a new round touches."""

from __future__ import annotations

import uuid
from typing import Any

import duckdb
import pandas as pd

from workbench import db
from workbench.applications.round import OPEN_STATUSES  # its home; admission and importing read it here
from workbench.errors import NotFound, WorkbenchError
from workbench.matching.rules import organisation_key
from workbench.people.identity import record_addresses


def write_failed(exc: duckdb.Error, round_id: str) -> WorkbenchError:
    text = str(exc)
    if isinstance(exc, duckdb.ConstraintException | duckdb.TransactionException):
        return WorkbenchError(
            f"Nothing was saved: another coordinator changed {round_id} at the same time ({text.splitlines()[0]}). "
            "Import the file again: the applications already in the round are recognised and skipped."
        )
    return WorkbenchError(f"Nothing was saved: the database refused the import ({text.splitlines()[0]}).")


# --- reading the database --------------------------------------------------------------------------


def round_row(con: db.Connection, round_id: str) -> dict[str, Any] | None:
    found = con.execute(
        "SELECT round_id, label, seq, status, country_cap, version FROM rounds WHERE round_id = ?", [round_id]
    ).fetchone()
    if found is None:
        return None
    return dict(zip(("round_id", "label", "seq", "status", "country_cap", "version"), found, strict=True))


def next_seq(con: db.Connection) -> int:
    (top,) = con.execute("SELECT coalesce(max(seq), 0) FROM rounds").fetchone()  # type: ignore[misc]
    return int(top) + 1


def round_emails(con: db.Connection, round_id: str) -> dict[str, Any]:
    """Everyone already in the round, by application email and by every address of their person: each address ->
    when that person's latest application in the round was submitted (a row submitted after it is their new
    submission, :func:`workbench.intake.validate`)."""
    rows = con.execute(
        """WITH latest AS (SELECT person_id, max(submitted_at) AS at FROM applications WHERE round_id = $round
                           GROUP BY person_id),
                addresses AS (SELECT lower(trim(email)) AS email, person_id FROM applications WHERE round_id = $round
                              UNION ALL SELECT email, person_id FROM people
                              UNION ALL SELECT email, person_id FROM person_addresses)
           SELECT a.email, max(l.at) FROM addresses AS a JOIN latest AS l USING (person_id) GROUP BY a.email""",
        {"round": round_id}).fetchall()
    return dict(rows)


def people_by_email(con: db.Connection, emails: list[str]) -> dict[str, tuple[int, str]]:
    if not emails:
        return {}
    # any address the person ever used (person_addresses), and their latest (people.email)
    rows = con.execute(
        "SELECT pa.email, p.person_id, p.name FROM person_addresses AS pa JOIN people AS p USING (person_id) "
        "WHERE pa.email IN (SELECT unnest(?::VARCHAR[])) UNION SELECT email, person_id, name FROM people "
        "WHERE email IN (SELECT unnest(?::VARCHAR[]))", [emails, emails]
    ).fetchall()
    return {str(e): (int(p), str(n)) for e, p, n in rows}


def first_seq(con: db.Connection, person_ids: list[int]) -> dict[int, int]:
    if not person_ids:
        return {}
    rows = con.execute(
        "SELECT a.person_id, min(r.seq) FROM applications AS a JOIN rounds AS r USING (round_id) "
        "WHERE a.person_id IN (SELECT unnest(?::INTEGER[])) GROUP BY a.person_id", [person_ids]
    ).fetchall()
    return {int(p): int(s) for p, s in rows}


def insert_application_rows(con: db.Connection, frame: pd.DataFrame) -> None:
    """Insert application rows (the columns of ``applications``) from a frame, in one statement."""
    name = f"incoming_{uuid.uuid4().hex}"
    if "organisation" not in frame.columns:  # optional: a form without the column, an older carry-over
        frame = frame.assign(organisation=None)
    organisations = frame["organisation"].map(lambda o: o.strip() if isinstance(o, str) and o.strip() else None)
    frame = frame.assign(organisation=organisations, organisation_key=organisations.map(
        lambda o: organisation_key(o) if o else None))  # what the cross-border rule compares, stored with the row
    con.register(name, frame)
    try:
        con.execute(
            f"""
            INSERT INTO applications (application_id, round_id, person_id, submitted_at, name, email, country_iso3,
                sector, career_stage, interests, languages, timezone, utc_offset_minutes, partner_sector,
                partner_stage, partner_interests, status, status_reason, source, version, organisation,
                organisation_key)
            SELECT application_id, round_id, person_id, submitted_at, name, email, country_iso3, sector,
                career_stage, interests::VARCHAR[], languages::VARCHAR[], timezone, utc_offset_minutes,
                partner_sector::VARCHAR, partner_stage::VARCHAR, coalesce(partner_interests::VARCHAR[], []),
                status, status_reason::VARCHAR, source, 1, organisation::VARCHAR, organisation_key::VARCHAR
            FROM {name} ORDER BY application_id
            """
        )
    finally:
        con.unregister(name)
    # every address a person applies with is kept; the latest is where messages go (workbench.people.identity)
    record_addresses(con, pd.DataFrame({
        "person_id": frame["person_id"], "email": frame["email"], "seen_at": frame["submitted_at"],
        "source": [f"application in {r}" for r in frame["round_id"]]}))


def open_round_row(con: db.Connection, round_id: str) -> dict[str, Any]:
    current = round_row(con, round_id)
    if current is None:
        raise NotFound(f"No round {round_id}.")
    if current["status"] not in OPEN_STATUSES:
        raise WorkbenchError(f"Round {round_id} is {current['status']}: admission is closed once a round runs.")
    return current


