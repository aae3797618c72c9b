"""Version 6: the program's vocabularies in the database (seeded with the sample's lists)."""

from __future__ import annotations

import re

from workbench import db
from workbench.migrations.steps import Step, rebuild_tables
from workbench.program.vocabularies import seed_vocabularies

_VOCABULARY_TERMS = """
CREATE TABLE IF NOT EXISTS vocabulary_terms (
    kind       VARCHAR NOT NULL
        CHECK (kind IN ('sector', 'career_stage', 'interest', 'language', 'method', 'impact_category')),
    value      VARCHAR NOT NULL CHECK (length(trim(value)) > 0),
    label      VARCHAR NOT NULL CHECK (length(trim(label)) > 0),
    synonyms   VARCHAR[] NOT NULL DEFAULT [],
    position   INTEGER NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    PRIMARY KEY (kind, value)
)
"""

#: The CHECKs that pinned applications' sector and career stage (and the partner wishes) to fixed lists.
_FIXED_LISTS = re.compile(r", CHECK\(\((?:sector|career_stage|partner_sector|partner_stage) IN \([^)]*\)\)\)")


def _v6_vocabularies(con: db.Connection) -> None:
    """The program's vocabularies move into the database (``vocabulary_terms``, seeded with the sample's lists);
    applications' sector and career stage are no longer pinned to fixed lists by CHECKs (the data check
    ``values_outside_vocabularies`` keeps them to the program's vocabulary)."""
    con.execute(_VOCABULARY_TERMS)
    seed_vocabularies(con, actor="workbench migrate")

    def applications(sql: str) -> str:
        return _FIXED_LISTS.sub("", sql)

    rebuild_tables(con, {"applications": applications})


STEP = Step(6, "the program's vocabularies in the database; sector and career stage no longer fixed lists",
            _v6_vocabularies)
