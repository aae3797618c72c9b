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
        "from workbench.sample.vocabularies import IMPACT_SHARES\n\n"
        "impact = con.sql(\"SELECT code, label, sum(respondents) / sum(coded_respondents) AS share \"\n"
        "                 \"FROM impact_by_round GROUP BY code, label, category_seq ORDER BY category_seq\").df()\n"
        "impact['published'] = impact.code.map(IMPACT_SHARES)\n"
        "impact.round(3)"
    ),
    new_markdown_cell("## Satisfaction: returning participants against newcomers (all rounds, 95% Wilson intervals)"),
    new_code_cell(
        "# wilson_low and wilson_high are the database's macros (macros.sql): the interval the views use\n"
        "groups = con.sql(\"SELECT participant_group, respondents, program_satisfied, partner_satisfied, \"\n"
        "                 \"partner_respondents, wilson_low(program_satisfied, respondents) AS program_low, \"\n"
        "                 \"wilson_high(program_satisfied, respondents) AS program_high FROM (\"\n"
        "                 \"SELECT participant_group, sum(respondents) AS respondents, \"\n"
        "                 \"sum(program_satisfied) AS program_satisfied, \"\n"
        "                 \"sum(partner_satisfied) AS partner_satisfied, \"\n"
        "                 \"sum(partner_respondents) AS partner_respondents FROM satisfaction_by_returning \"\n"
        "                 \"GROUP BY participant_group) ORDER BY participant_group\").df()\n"
        "groups['program_share'] = groups.program_satisfied / groups.respondents\n"
        "groups['partner_share'] = groups.partner_satisfied / groups.partner_respondents\n"
        "for g in groups.itertuples():\n"
        "    print(f'{g.participant_group}: {g.program_share:.1%} satisfied '\n"
        "          f'({g.program_low:.1%} to {g.program_high:.1%}, n={int(g.respondents)})')\n"
        "per_round = con.sql(\"PIVOT (SELECT round_id, round_seq, participant_group, program_satisfied_share \"\n"
        "                    \"FROM satisfaction_by_returning) ON participant_group \"\n"
        "                    \"USING first(program_satisfied_share) ORDER BY round_seq\").df()\n"
        "per_round"
    ),
    new_markdown_cell("## Retention: of the participants of round X, how many took part in round Y"),
    new_code_cell(
        "retention = con.sql(\"SELECT from_round_id, from_seq, to_round_id, to_seq, cohort, took_part, \"\n"
        "                    \"took_part_share FROM retention WHERE to_round_id IN \"\n"
        "                    \"(SELECT DISTINCT round_id FROM participants)\").df()\n"
        "matrix = retention.pivot(index='from_round_id', columns='to_round_id', values='took_part_share')\n"
        "order = retention.sort_values('from_seq').from_round_id.unique()\n"
        "later = retention.sort_values('to_seq').to_round_id.unique()\n"
        "matrix = matrix.reindex(index=order, columns=later)\n"
        "next_round = retention[retention.to_seq == retention.from_seq + 1]\n"
        "print(f'back the next round: {next_round.took_part.sum() / next_round.cohort.sum():.1%}')\n"
        "matrix.round(3)"
    ),
    new_markdown_cell("## Communication by the time-zone distance between partners"),
    new_code_cell(
        "by_zone = con.sql(\"SELECT distance_band, band_seq, method, method_seq, \"\n"
        "                  \"sum(partnerships_using) / sum(partnerships_reporting) AS share \"\n"
        "                  \"FROM communication_by_timezone GROUP BY ALL ORDER BY band_seq, method_seq\").df()\n"
        "table = by_zone.pivot(index='method', columns='distance_band', values='share')\n"
        "table = table.reindex(index=by_zone.drop_duplicates('method').method,\n"
        "                      columns=by_zone.drop_duplicates('distance_band').distance_band)\n"
        "print('video call share, near to far:', ' / '.join(f'{v:.0%}' for v in table.loc['video call']))\n"
        "table.round(3)"
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
