"""Version 7: the outbox, the program's email queued and sent from the workbench."""

from __future__ import annotations

from workbench import db
from workbench.migrations.steps import Step

_OUTBOX = """
CREATE TABLE IF NOT EXISTS outbox (
    outbox_id        INTEGER PRIMARY KEY,
    kind             VARCHAR NOT NULL CHECK (kind IN ('introduction', 'topic', 'reminder', 'survey')),
    round_id         VARCHAR NOT NULL REFERENCES rounds (round_id),
    partnership_id   INTEGER,
    topic_id         INTEGER,
    language         VARCHAR NOT NULL,
    subject          VARCHAR NOT NULL,
    body             VARCHAR NOT NULL,
    sender           VARCHAR NOT NULL,
    reply_to         VARCHAR,
    list_unsubscribe VARCHAR,
    recipients       STRUCT(application_id INTEGER, name VARCHAR, email VARCHAR, status VARCHAR,
                            server_response VARCHAR)[] NOT NULL,
    countries        VARCHAR[] NOT NULL DEFAULT [],
    status           VARCHAR NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'partial')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       VARCHAR,
    message_id       VARCHAR NOT NULL,
    dedupe_key       VARCHAR NOT NULL UNIQUE,
    created_at       TIMESTAMP NOT NULL,
    created_by       VARCHAR NOT NULL,
    sent_at          TIMESTAMP
)
"""


def _v7_outbox(con: db.Connection) -> None:
    """The outbox (``workbench.messages.outbox``): every message the program sends, with its recipients."""
    con.execute(_OUTBOX)


STEP = Step(7, "the outbox: the program's email, queued and sent from the workbench", _v7_outbox)
