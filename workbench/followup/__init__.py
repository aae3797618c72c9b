"""Following a round: topics, check-ins and surveys, partnership health, interventions, re-matching,
impact coding.

One module per responsibility; the functions that change the database are verbs and take the
connection first and an ``actor`` (who, for the audit log). Reading functions for pages and notebooks
are in :mod:`workbench.reports.followup` and :mod:`workbench.reports.outcomes`.

- :mod:`~workbench.followup.topics`: plan a round's fortnightly topics and export them as messages;
- :mod:`~workbench.followup.csvfile`: reading a CSV export, its headers and each cell (pure);
- :mod:`~workbench.followup.checkins`: import check-ins and end-of-round surveys from CSV;
- :mod:`~workbench.followup.health`: the health rules and opening cases from their flags;
- :mod:`~workbench.followup.interventions`: the intervention queue (open, contacted, resolved,
  re-matched, ended) and who may act on a case;
- :mod:`~workbench.followup.rematch`: re-match a stranded participant under the matching's hard rules;
- :mod:`~workbench.followup.impact`: keyword suggestions for the impact question and confirming codes;
- :mod:`~workbench.followup.cli`: ``workbench import checkins|surveys`` (``register(import_subparsers)``).
"""
