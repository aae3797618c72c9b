"""Version 9: the organisation key is stored with each application; the impact_categories table goes."""

from __future__ import annotations

from workbench import db
from workbench.migrations.steps import Step, fill_organisation_keys


def _v9_organisation_key(con: db.Connection) -> None:
    """Applications get ``organisation_key`` (the organisation as the cross-border rule compares it), filled for
    the rows there are; the ``impact_categories`` table goes (the impact coding frame is the vocabulary
    ``impact_category``, its only home)."""
    con.execute("ALTER TABLE applications ADD COLUMN IF NOT EXISTS organisation_key VARCHAR")
    fill_organisation_keys(con)
    con.execute("DROP TABLE IF EXISTS impact_categories")


STEP = Step(9, "applications: the organisation key the cross-border rule compares; impact_categories dropped "
               "(the impact_category vocabulary is the frame)", _v9_organisation_key)
