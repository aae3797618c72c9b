"""Version 4: people's emails can be erased; survey answers can be cleared for public use."""

from __future__ import annotations

from workbench import db
from workbench.migrations.steps import Step, rebuild_tables


def _v4_erasable_people(con: db.Connection) -> None:
    """People's emails lose their unique index (DuckDB refuses to update an indexed column of a row other
    tables reference, which erasure must do); the check ``people_email_unique`` keeps them unique.
    Survey answers get ``is_cleared``: a coordinator cleared the free text for public use."""
    def people(sql: str) -> str:
        return sql.replace("email VARCHAR NOT NULL UNIQUE", "email VARCHAR NOT NULL", 1)

    def surveys(sql: str) -> str:
        head, sep, tail = sql.partition('"version" INTEGER DEFAULT(1) NOT NULL')
        if not sep:
            raise RuntimeError("surveys has no version column")
        return head + sep + ", is_cleared BOOLEAN DEFAULT(CAST('f' AS BOOLEAN)) NOT NULL" + tail

    rebuild_tables(con, {"people": people, "surveys": surveys})


STEP = Step(4, "people's emails can be erased; survey answers can be cleared for public use",
            _v4_erasable_people)
