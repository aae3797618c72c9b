"""The audit log for directors: who changed what, when, and the values before and after.

Every change the workbench makes is written by :func:`workbench.db.audit` (who, when, what, before,
after as JSON). :func:`audit_log` reads it back newest first, filtered by person, action and dates,
with the actor's name beside their account id and the JSON turned into ``field: value`` text a
person can read. Reading the log is a director's action (``Action.VIEW_AUDIT``): the entries name
participants and carry their old values.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from workbench.access import Action, User, require
from workbench.db import Connection

#: The columns of :func:`audit_log`, in order.
COLUMNS = ["audit_id", "logged_at", "actor", "actor_name", "action", "entity", "entity_id", "before", "after"]


def readable(value: Any) -> str:
    """An audit entry's JSON as ``field: value; field: value`` (lists joined by commas)."""
    if not isinstance(value, str) or value == "":
        return ""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return str(value)
    return _text(data)


def _text(data: Any) -> str:
    if isinstance(data, dict):
        return "; ".join(f"{key}: {_text(item)}" for key, item in data.items())
    if isinstance(data, list):
        return ", ".join(_text(item) for item in data)
    if data is None:
        return "(none)"
    if isinstance(data, bool):
        return "yes" if data else "no"
    return str(data)


def _day_start(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)


def audit_log(con: Connection, *, by: User, actor: str | None = None, action: str | None = None,
              since: date | datetime | None = None, until: date | datetime | None = None) -> pd.DataFrame:
    """The audit log, newest first: one row per change (a director's read).

    ``actor`` is an account id (``amorgan``) or the command line's ``cli:<login>``; ``action`` is the
    logged action (``set password``, ``publish run``, …). ``since`` and ``until`` are inclusive: a date
    covers its whole day (UTC, as the log is written).
    """
    require(by, Action.VIEW_AUDIT, what="The audit log")
    where: list[str] = []
    params: list[object] = []
    if actor:
        where.append("a.actor = ?")
        params.append(actor)
    if action:
        where.append("a.action = ?")
        params.append(action)
    if since is not None:
        where.append("a.logged_at >= ?")
        params.append(_day_start(since))
    if isinstance(until, datetime):
        where.append("a.logged_at <= ?")
        params.append(until)
    elif until is not None:
        where.append("a.logged_at < ?")
        params.append(_day_start(until) + timedelta(days=1))
    frame = con.execute(
        "SELECT a.audit_id, a.logged_at, a.actor, coalesce(c.name, a.actor) AS actor_name, a.action, a.entity, "
        "a.entity_id, a.before, a.after FROM audit_log a LEFT JOIN coordinators c ON c.coordinator_id = a.actor "
        + (f"WHERE {' AND '.join(where)} " if where else "")
        + "ORDER BY a.logged_at DESC, a.audit_id DESC", params).df()
    frame["before"] = [readable(v) for v in frame["before"].astype(object)]
    frame["after"] = [readable(v) for v in frame["after"].astype(object)]
    return frame[COLUMNS]


def audit_people(con: Connection, *, by: User) -> pd.DataFrame:
    """Everyone who appears in the audit log as an actor (``actor``, ``actor_name``), by name."""
    require(by, Action.VIEW_AUDIT, what="The audit log")
    return con.execute(
        "SELECT DISTINCT a.actor, coalesce(c.name, a.actor) AS actor_name FROM audit_log a "
        "LEFT JOIN coordinators c ON c.coordinator_id = a.actor ORDER BY actor_name, a.actor").df()


def audit_actions(con: Connection, *, by: User) -> list[str]:
    """The actions that appear in the audit log, alphabetically."""
    require(by, Action.VIEW_AUDIT, what="The audit log")
    return [row[0] for row in con.execute("SELECT DISTINCT action FROM audit_log ORDER BY action").fetchall()]
