"""Version 5: the program's settings table."""

from __future__ import annotations

from workbench import db
from workbench.migrations.steps import Step

_SETTINGS = """
CREATE TABLE IF NOT EXISTS settings (
    key        VARCHAR PRIMARY KEY,
    value      VARCHAR NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL
)
"""


def _v5_program_settings(con: db.Connection) -> None:
    """The program's settings (``workbench.program``): a key, a JSON value, a version, who changed it when."""
    con.execute(_SETTINGS)


STEP = Step(5, "the program's settings (retention, …)", _v5_program_settings)
