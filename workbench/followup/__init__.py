"""Following a round: topics, check-ins and surveys, partnership health, interventions, re-matching,
impact coding.

One module per responsibility; the functions that change the database are verbs and take the
connection first and the signed-in user as ``by`` (:class:`workbench.access.User`): each asks
:mod:`workbench.access` before it writes and audits under ``by.actor``. Reading functions for pages and
notebooks are in :mod:`workbench.reports.followup` and :mod:`workbench.reports.outcomes`.

- :mod:`~workbench.followup.topics`: plan a round's fortnightly topics and export them as messages;
- :mod:`~workbench.followup.checkins`: import check-ins and end-of-round surveys from CSV or XLSX, read
  by :mod:`workbench.intake` (the one form reader);
- :mod:`~workbench.followup.health`: the health rules and opening cases from their flags;
- :mod:`~workbench.followup.interventions`: the intervention queue (open, contacted, resolved,
  re-matched, ended);
- :mod:`~workbench.followup.rematch`: re-match a stranded participant under the matching's hard rules;
- :mod:`~workbench.followup.impact`: keyword suggestions for the impact question, confirming codes and
  clearing answers for public use.

The ``workbench import checkins|surveys`` commands are in :mod:`workbench.cli.followup`.
"""
