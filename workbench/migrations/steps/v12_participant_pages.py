"""Version 12: the participants' own pages: applications on the form, application windows, opt-outs and
requests to be forgotten; the outbox sends confirmations and notices."""

from __future__ import annotations

from workbench import db
from workbench.migrations.steps import Step, rebuild_tables

#: The new tables, as ``schema.sql`` has them.
TABLES = """
CREATE TABLE IF NOT EXISTS application_windows (
    round_id  VARCHAR PRIMARY KEY REFERENCES rounds (round_id),
    opens_on  DATE NOT NULL,
    closes_on DATE NOT NULL,
    closed_at TIMESTAMP,
    opened_by VARCHAR NOT NULL,
    CHECK (opens_on <= closes_on)
);

CREATE TABLE IF NOT EXISTS form_applications (
    form_application_id INTEGER PRIMARY KEY,
    round_id            VARCHAR NOT NULL REFERENCES rounds (round_id),
    email               VARCHAR NOT NULL,
    name                VARCHAR NOT NULL,
    answers             VARCHAR NOT NULL,
    language            VARCHAR NOT NULL,
    earlier_email       VARCHAR,
    status              VARCHAR NOT NULL CHECK (status IN ('unconfirmed', 'confirmed', 'withdrawn', 'expired')),
    submitted_at        TIMESTAMP NOT NULL,
    expires_at          TIMESTAMP NOT NULL,
    confirmed_at        TIMESTAMP,
    withdrawn_at        TIMESTAMP,
    application_id      INTEGER,
    person_id           INTEGER,
    version             INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS opt_outs (
    person_id    INTEGER PRIMARY KEY,
    opted_out_at TIMESTAMP NOT NULL,
    how          VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS forget_requests (
    request_id   INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    status       VARCHAR NOT NULL CHECK (status IN ('requested', 'erased', 'declined')),
    decided_by   VARCHAR,
    decided_at   TIMESTAMP
);
"""

_OLD_KINDS = "CHECK((kind IN ('introduction', 'topic', 'reminder', 'survey')))"
_NEW_KINDS = "CHECK((kind IN ('introduction', 'topic', 'reminder', 'survey', 'confirmation', 'notice')))"


def _outbox_kinds(sql: str) -> str:
    return sql.replace(_OLD_KINDS, _NEW_KINDS)


def _v12_participant_pages(con: db.Connection) -> None:
    """The four tables of the participants' pages; the outbox's kinds gain ``confirmation`` (an applicant
    confirms their address) and ``notice`` (a change to an application, a new link)."""
    con.execute(TABLES)
    rebuild_tables(con, {"outbox": _outbox_kinds})
    for table, key in (("form_applications", "form_application_id"), ("forget_requests", "request_id")):
        (top,) = con.execute(f"SELECT coalesce(max({key}), 0) FROM {table}").fetchone()  # type: ignore[misc]
        con.execute(f"CREATE SEQUENCE IF NOT EXISTS {table}_seq START {int(top) + 1}")


STEP = Step(12, "the participants' pages: form applications (unconfirmed, confirmed, withdrawn, expired), "
                "application windows, opt-outs, requests to be forgotten; confirmation and notice emails",
            _v12_participant_pages)
