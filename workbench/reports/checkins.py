"""Check-ins and surveys as they arrive, by link or by import: response rates per fortnight, each partnership's
last answer and its source, and who was reminded (the Follow-up page's "Check-ins" tab; notebooks alike).

The response rates are the ``checkin_response`` view (aggregate: a country coordinator's rows are recounted over
their countries' participants). The answers and the reminders name participants, so they take the signed-in user
(``by``), need :data:`workbench.access.Action.VIEW_PERSONAL` and keep a country coordinator to the partnerships
with a member in their countries.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from workbench.access import Action, User, country_scope, require
from workbench.db import Connection
from workbench.followup.answers import talked_of

__all__ = ["checkin_response", "last_answers", "reminded", "survey_sources"]

_IN_SCOPE = """($countries IS NULL OR EXISTS (
    SELECT 1 FROM partnership_members AS sm JOIN applications AS sa ON sa.application_id = sm.application_id
    WHERE sm.partnership_id = {alias}.partnership_id AND list_contains($countries, sa.country_iso3)))"""


def checkin_response(con: Connection, *, round_id: str | None = None) -> pd.DataFrame:
    """The ``checkin_response`` rows (of one round): per fortnight, participants asked, answered (by link, by
    import), not answered yet, bounced, reminded, and the response rate with its 95% Wilson interval."""
    return con.execute("SELECT * FROM checkin_response WHERE $round IS NULL OR round_id = $round "
                       "ORDER BY round_seq, fortnight", {"round": round_id}).df()


def last_answers(con: Connection, round_id: str, *, by: User) -> pd.DataFrame:
    """Per partnership of the round (of ``by``'s countries): its latest check-in (fortnight, who, the answer to
    "did you talk?", rating, date) and where it came from (``link`` or ``import``); partnerships without any
    check-in last."""
    require(by, Action.VIEW_PERSONAL)
    frame = con.execute(
        f"""WITH latest AS (
                SELECT partnership_id, arg_max(checkin_id, (fortnight, submitted_on, checkin_id)) AS checkin_id,
                    count(*) AS checkins
                FROM checkins WHERE round_id = $round GROUP BY partnership_id
            ), parts AS (SELECT DISTINCT partnership_id, partnership_status FROM participants WHERE round_id = $round)
            SELECT p.partnership_id, p.partnership_status,
                (SELECT string_agg(a.name || ' (' || a.country_iso3 || ')', ' · ' ORDER BY a.application_id)
                 FROM partnership_members AS mm JOIN applications AS a ON a.application_id = mm.application_id
                 WHERE mm.partnership_id = p.partnership_id) AS members,
                c.fortnight, a.name AS answered_by, c.contact_made, c.partner_replied, c.rating, c.submitted_on,
                c.source, coalesce(l.checkins, 0) AS checkins
            FROM parts AS p LEFT JOIN latest AS l ON l.partnership_id = p.partnership_id
            LEFT JOIN checkins AS c ON c.checkin_id = l.checkin_id
            LEFT JOIN applications AS a ON a.application_id = c.application_id
            WHERE {_IN_SCOPE.format(alias='p')}
            ORDER BY c.fortnight DESC NULLS LAST, p.partnership_id""",
        {"round": round_id, "countries": _countries(country_scope(by))}).df()
    frame.insert(4, "answer", [talked_of(None if pd.isna(c) else bool(c), None if pd.isna(r) else bool(r))
                               for c, r in zip(frame["contact_made"], frame["partner_replied"], strict=True)])
    return frame.drop(columns=["contact_made", "partner_replied"])


def reminded(con: Connection, round_id: str, *, by: User) -> pd.DataFrame:
    """The check-in reminders of the round (of ``by``'s countries): fortnight, who, when sent (or queued) and
    whether they have answered since."""
    require(by, Action.VIEW_PERSONAL)
    return con.execute(
        f"""WITH r AS (
                SELECT o.outbox_id, o.partnership_id, t.seq AS fortnight, o.created_at, o.sent_at,
                    unnest(o.recipients) AS rc
                FROM outbox AS o JOIN topics AS t ON t.topic_id = o.topic_id
                WHERE o.kind = 'reminder' AND o.round_id = $round)
            SELECT r.fortnight, r.rc.name AS name, a.country_iso3, r.rc.status AS status, r.created_at AS queued_at,
                r.sent_at, c.checkin_id IS NOT NULL AS has_answered, c.source
            FROM r JOIN applications AS a ON a.application_id = r.rc.application_id
            LEFT JOIN checkins AS c ON c.application_id = r.rc.application_id AND c.fortnight = r.fortnight
            WHERE {_IN_SCOPE.format(alias='r')}
            ORDER BY r.fortnight DESC, name""",
        {"round": round_id, "countries": _countries(country_scope(by))}).df()


def survey_sources(con: Connection, *, round_id: str | None = None) -> pd.DataFrame:
    """Per round: survey answers by link and by import (aggregate)."""
    return con.execute(
        """SELECT round_id, count(*) AS answers, count(*) FILTER (WHERE source = 'link') AS by_link,
               count(*) FILTER (WHERE coalesce(source, 'import') <> 'link') AS by_import
           FROM surveys WHERE $round IS NULL OR round_id = $round GROUP BY round_id ORDER BY round_id""",
        {"round": round_id}).df()


def _countries(countries: Sequence[str] | None) -> list[str] | None:
    return None if countries is None else list(countries)
