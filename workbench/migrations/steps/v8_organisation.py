"""Version 8: applications get the applicant's organisation."""

from __future__ import annotations

from workbench import db
from workbench.migrations.steps import Step


def _v8_organisation(con: db.Connection) -> None:
    """Applications get an optional ``organisation`` (where the applicant works, from the form's Institution,
    Library, Employer… column): the organisation cross-border rule keeps colleagues apart."""
    con.execute("ALTER TABLE applications ADD COLUMN IF NOT EXISTS organisation VARCHAR")


STEP = Step(8, "applications: the applicant's organisation (for the organisation cross-border rule)",
            _v8_organisation)
