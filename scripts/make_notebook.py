"""Write notebooks/analyst.ipynb (the analyst notebook) from the cells below: `python scripts/make_notebook.py`.

Kept as a script so the notebook's JSON is generated, reviewed as Python, and free of stale outputs.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    new_markdown_cell(
        "# The program's outcomes, from the analyst snapshot\n\n"
        "Reproduces the outcome figures of the workbench from the views of the read-only analyst snapshot "
        "(`data/analytics.duckdb`, or `WORKBENCH_SNAPSHOT`). Plain DuckDB and pandas: run it top to bottom. "
        "The live database stays with the app; this notebook never opens it."
    ),
    new_code_cell(
        "from workbench import db\n"
        "from workbench.config import settings\n\n"
        "snapshot = settings().snapshot_path\n"
        "con = db.connect(snapshot, read_only=True)\n"
        "print(f'Reading {snapshot}')\n"
        "con.sql(\"SELECT key, value FROM schema_info ORDER BY key\").df()"
    ),
    new_markdown_cell("## Rounds: participants and countries (domain.md's table)"),
    new_code_cell(
        "rounds = con.sql(\"SELECT round_id, label, status, applications, participants, countries, \"\n"
        "                 \"partnerships, trios FROM round_summary ORDER BY seq\").df()\n"
        "print('participations:', int(rounds.participants.sum()))\n"
        "rounds"
    ),
    new_markdown_cell("## Satisfaction with the program and with the partner (95% Wilson intervals)"),
    new_code_cell(
        "satisfaction = con.sql(\"SELECT round_id, respondents, program_satisfied_share, program_share_low, \"\n"
        "                       \"program_share_high, partner_satisfied_share FROM satisfaction_by_round \"\n"
        "                       \"ORDER BY round_seq\").df()\n"
        "assert satisfaction.program_satisfied_share.between(0.8, 0.9).all()\n"
        "satisfaction"
    ),
    new_markdown_cell("## Returning participants"),
    new_code_cell(
        "returning = con.sql(\"SELECT round_id, participants, new_participants, returning_participants, \"\n"
        "                    \"returning_share, returning_applicant_share FROM returning_participants \"\n"
        "                    \"ORDER BY seq\").df()\n"
        "returning"
    ),
    new_markdown_cell("## Use of the fortnightly topics, and how partners talk"),
    new_code_cell(
        "topics = con.sql(\"SELECT DISTINCT round_id, round_seq, share_used_topics FROM topic_uptake \"\n"
        "                 \"WHERE respondents > 0 ORDER BY round_seq\").df()\n"
        "methods = con.sql(\"PIVOT (SELECT round_id, round_seq, method, share_of_partnerships \"\n"
        "                  \"FROM communication_methods) ON method USING first(share_of_partnerships) \"\n"
        "                  \"ORDER BY round_seq\").df()\n"
        "topics.merge(methods, on=['round_id', 'round_seq'])"
    ),
    new_markdown_cell("## Impact: the coded answers, all rounds together, against \"Rethinking mentoring\""),
    new_code_cell(
        "from workbench.vocab import IMPACT_SHARES\n\n"
        "impact = con.sql(\"SELECT code, label, sum(respondents) / sum(coded_respondents) AS share \"\n"
        "                 \"FROM impact_by_round GROUP BY code, label, category_seq ORDER BY category_seq\").df()\n"
        "impact['published'] = impact.code.map(IMPACT_SHARES)\n"
        "impact.round(3)"
    ),
    new_code_cell("con.close()"),
]


def main() -> None:
    nb = new_notebook(cells=CELLS, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    out = Path(__file__).resolve().parents[1] / "notebooks" / "analyst.ipynb"
    nbformat.write(nb, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
