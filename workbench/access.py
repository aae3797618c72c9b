"""Who may do what: the one home of the workbench's access rules.

Every function that changes the database, and every function that returns personal data, takes the
signed-in :class:`User` and asks this module first (:func:`require`), so a page that forgets to hide a
button still cannot do what the role may not. Pages use :func:`pages_for` to show only what a role can
use; that is convenience, the refusal here is the rule.

| role          | may                                                                                  |
|---------------|--------------------------------------------------------------------------------------|
| ``director``    | everything                                                                         |
| ``coordinator`` | everything except accounts, erasure, the audit log, backups and the full snapshot  |
| ``country``     | the applicants, partnerships, cases and exports that involve their countries        |
| ``analyst``     | reports and the pseudonymised snapshot; no edits, no personal data                 |
| ``presenter``   | the Present page alone                                                             |

A country coordinator sees a partnership with one member in their countries; its other members show
by name and country only (:func:`redact_outside`).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from workbench.errors import WorkbenchError

ROLES = ("director", "coordinator", "country", "analyst", "presenter")


class NotAllowed(WorkbenchError):
    """The signed-in user's role may not do this (or not for these countries)."""


class Action(StrEnum):
    MANAGE_ACCOUNTS = "manage accounts"
    ERASE = "erase a person's data"
    VIEW_AUDIT = "read the audit log"
    BACKUP = "make or restore backups"
    FULL_SNAPSHOT = "make a full (not pseudonymised) analyst snapshot"
    SETTINGS = "change the program's settings"
    IMPORT = "import files into a round"
    ADMIT = "decide on applications and the country cap"
    MATCH = "run, edit and publish the matching"
    TOPICS = "plan and edit the fortnightly topics"
    CASES = "open and update follow-up cases"
    IMPACT_CODING = "code survey answers"
    VIEW_PERSONAL = "see participants' names and contact details"
    EXPORT_PERSONAL = "export participants' data"
    VIEW_REPORTS = "see the program's reports"
    PRESENT = "show the presenter slides"
    EDIT_DECKS = "save and delete the presenter decks"
    SEND = "queue and send the program's email"
    LINK_PEOPLE = "merge and split people's records"


_ALL = frozenset(ROLES)
_STAFF = frozenset({"director", "coordinator"})
_SCOPED = frozenset({"director", "coordinator", "country"})

#: The role table, action by action. Country coordinators' actions are further limited to their countries.
RULES: dict[Action, frozenset[str]] = {
    Action.MANAGE_ACCOUNTS: frozenset({"director"}),
    Action.ERASE: frozenset({"director"}),
    Action.VIEW_AUDIT: frozenset({"director"}),
    Action.BACKUP: frozenset({"director"}),
    Action.FULL_SNAPSHOT: frozenset({"director"}),
    Action.SETTINGS: frozenset({"director"}),
    Action.IMPORT: _STAFF,
    Action.ADMIT: _STAFF,
    Action.MATCH: _STAFF,
    Action.TOPICS: _STAFF,
    Action.IMPACT_CODING: _STAFF,
    Action.CASES: _SCOPED,
    Action.VIEW_PERSONAL: _SCOPED,
    Action.EXPORT_PERSONAL: _SCOPED,
    Action.SEND: _SCOPED,
    Action.LINK_PEOPLE: _STAFF,
    Action.VIEW_REPORTS: frozenset({"director", "coordinator", "country", "analyst"}),
    Action.PRESENT: _ALL,
    Action.EDIT_DECKS: frozenset({"director", "coordinator", "presenter"}),
}

#: What each screen needs; a role sees the screens whose action it may take.
PAGES: dict[str, Action] = {
    "overview": Action.VIEW_REPORTS,
    "applicants": Action.VIEW_PERSONAL,
    "import": Action.IMPORT,
    "matching": Action.MATCH,
    "topics": Action.TOPICS,
    "followup": Action.CASES,
    "outcomes": Action.VIEW_REPORTS,
    "impact": Action.IMPACT_CODING,
    "outbox": Action.SEND,
    "present": Action.PRESENT,
    "audit": Action.VIEW_AUDIT,
    "backups": Action.BACKUP,
    "privacy": Action.ERASE,
    "settings": Action.SETTINGS,
}


@dataclass(frozen=True)
class User:
    """The person signed in (or the command line's operator)."""

    id: str
    email: str
    name: str
    role: str
    countries: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; roles: {', '.join(ROLES)}")

    @property
    def actor(self) -> str:
        """How the audit log names this user."""
        return self.id

    @property
    def is_country(self) -> bool:
        return self.role == "country"

    def covers(self, countries: Iterable[str]) -> bool:
        """Does an item involving ``countries`` fall within this user's scope?"""
        if self.role != "country":
            return True
        return bool(set(self.countries) & set(countries))

    def describe(self) -> str:
        scope = f" for {', '.join(self.countries)}" if self.is_country and self.countries else ""
        return f"{self.name} ({self.role}{scope})"


def command_line_user() -> User:
    """Who acts from the command line: the operating-system user, with a director's rights.

    Whoever can run ``workbench`` on the server can read and replace the database file itself, so the
    command line does not pretend to restrict them; the audit log names them ``cli:<login>``.
    """
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return User(id=f"cli:{login}", email="", name=f"{login} (command line)", role="director")


def system_user(task: str) -> User:
    """Who acts for the workbench itself when nobody is signed in: a background task of the app, such as
    ``system_user("backup keeper")`` (the dated backups), with a director's rights.

    The task runs in the app's own process, which owns the database file and could read it whole anyway, so
    the role does not restrict it; the user names it, so the library's checks still run and the audit log
    (``system:backup-keeper``) says which task acted.
    """
    slug = "-".join(task.lower().split()) or "task"
    return User(id=f"system:{slug}", email="", name=f"{task} (the workbench)", role="director")


def may(user: User | None, action: Action, countries: Iterable[str] | None = None) -> bool:
    """True when ``user`` may take ``action`` (for items involving ``countries``, if given)."""
    if user is None or user.role not in RULES[action]:
        return False
    return countries is None or user.covers(list(countries))


def require(user: User | None, action: Action, countries: Iterable[str] | None = None, *,
            what: str | None = None) -> User:
    """Refuse with :class:`NotAllowed` unless ``user`` may take ``action``; returns the user."""
    if user is None:
        raise NotAllowed(f"Sign in to {action.value}.")
    if user.role not in RULES[action]:
        allowed = " or ".join(sorted(RULES[action]))
        raise NotAllowed(
            f"{user.describe()} may not {action.value}: that needs the {allowed} role. Ask a director if you need it.")
    if countries is not None:
        involved = sorted(set(countries))
        if not user.covers(involved):
            raise NotAllowed(
                f"{what or 'This'} involves {', '.join(involved) or 'no country'}, outside {user.name}'s countries "
                f"({', '.join(user.countries) or 'none'}). A director or that country's coordinator can act on it.")
    return user


def country_scope(user: User) -> tuple[str, ...] | None:
    """The countries a user's personal-data reads are limited to; None for every country."""
    return user.countries if user.is_country else None


def pages_for(user: User | None) -> list[str]:
    """The screens ``user`` may open, in the order of :data:`PAGES`."""
    return [page for page, action in PAGES.items() if may(user, action)]


def scope_frame(user: User, frame: pd.DataFrame, country_column: str = "country_iso3") -> pd.DataFrame:
    """Rows of ``frame`` within the user's countries (all rows for roles without a country scope)."""
    scope = country_scope(user)
    if scope is None:
        return frame
    return frame[frame[country_column].isin(scope)].reset_index(drop=True)


def redact_outside(user: User, frame: pd.DataFrame, *, country_column: str,
                   personal_columns: Sequence[str]) -> pd.DataFrame:
    """Blank ``personal_columns`` on rows outside a country coordinator's countries (name and country stay)."""
    scope = country_scope(user)
    if scope is None or frame.empty:
        return frame
    out = frame.copy()
    outside = ~out[country_column].isin(scope)
    for column in personal_columns:
        if column in out.columns:
            out[column] = out[column].astype(object)
            out.loc[outside, column] = None
    return out
