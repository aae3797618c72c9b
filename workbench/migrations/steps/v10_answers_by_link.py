"""Version 10: check-ins and surveys record where each answer came from; a check-in may carry a note."""

from __future__ import annotations

from workbench import db
from workbench.migrations.steps import Step


def _v10_answers_by_link(con: db.Connection) -> None:
    """Check-ins and surveys get ``source`` (``import``: a form service's file; ``link``: answered on the
    workbench's own page from the program's email), every stored row an import; a check-in gets ``note``
    (the participant's note to the coordinators)."""
    con.execute("ALTER TABLE checkins ADD COLUMN IF NOT EXISTS source VARCHAR DEFAULT 'import'")
    con.execute("ALTER TABLE checkins ADD COLUMN IF NOT EXISTS note VARCHAR")
    con.execute("ALTER TABLE surveys ADD COLUMN IF NOT EXISTS source VARCHAR DEFAULT 'import'")
    con.execute("UPDATE checkins SET source = 'import' WHERE source IS NULL")
    con.execute("UPDATE surveys SET source = 'import' WHERE source IS NULL")


STEP = Step(10, "check-ins and surveys: the answer's source (import or link); a check-in's note to the "
                "coordinators", _v10_answers_by_link)
