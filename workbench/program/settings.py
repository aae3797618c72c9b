"""The program's settings: typed values with defaults, stored in the ``settings`` table, changed by a director.

Each setting is declared once in :data:`SETTINGS` (its type, its default, what it means and how a value is
checked). :func:`get_setting` returns the stored value or the default; :func:`set_setting` checks the value,
refuses a stale edit (the row's ``version``), writes it and records the change in the audit log under the
signed-in user. A setting never changed has no row: the default applies.

    >>> get_setting(con, "retention_years")        # None: personal data is kept
    >>> set_setting(con, "retention_years", 5, by=director)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from workbench import db
from workbench.access import Action, User, require
from workbench.errors import NotFound, StaleEdit, WorkbenchError


class SettingError(WorkbenchError):
    """A setting value that cannot be stored as given."""


@dataclass(frozen=True)
class Setting:
    key: str
    label: str
    description: str
    default: Any
    check: Callable[[Any], Any]  #: returns the value to store (normalised) or raises SettingError
    action: Action = Action.SETTINGS  #: who may change it (a presenter saves decks; the rest is a director's)


def _retention_years(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "keep", "never"}):
        return None
    if isinstance(value, bool):
        raise SettingError("The retention period is a number of years (or none, to keep personal data).")
    try:
        years = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise SettingError(f"The retention period is a whole number of years (or none), not {value!r}.") from None
    if years < 1 or years > 100:
        raise SettingError(f"The retention period must be between 1 and 100 years (got {years}); "
                           "use none to keep personal data.")
    return years


SMALL_COUNT_THRESHOLD = 5


def _published(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "on", "1"}:
        return True
    if text in {"false", "no", "off", "0", ""}:
        return False
    raise SettingError(f"Publishing the Present page is yes or no, not {value!r}.")


def _threshold(value: Any) -> int:
    if isinstance(value, bool):
        raise SettingError("The small-count threshold is a whole number (5 hides counts from 1 to 4).")
    try:
        number = value if isinstance(value, int) else int(str(value).strip())
    except ValueError:
        raise SettingError(f"The small-count threshold is a whole number, not {value!r}.") from None
    if number < 2 or number > 100:
        raise SettingError(f"The small-count threshold must be between 2 and 100 (got {number}); 5 hides counts "
                           "from 1 to 4.")
    return number


def _decks(value: Any) -> dict[str, dict[str, Any]]:
    from workbench.present.slides import SLIDES  # the slide keys (imported late: present imports this)

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SettingError(f"The decks setting is JSON: {exc.msg} at character {exc.pos}.") from None
    if not isinstance(value, dict):
        raise SettingError("The decks setting is an object: deck name -> {\"slides\": [...], \"round\": ...}.")
    out: dict[str, dict[str, Any]] = {}
    for name, deck in value.items():
        where = f"Deck {name!r}"
        if not str(name).strip():
            raise SettingError("A deck needs a name.")
        if not isinstance(deck, dict) or not isinstance(deck.get("slides"), list) or not deck["slides"]:
            raise SettingError(f"{where} needs a list of slides (some of: {', '.join(SLIDES)}).")
        unknown = [s for s in deck["slides"] if s not in SLIDES]
        if unknown:
            raise SettingError(f"{where} names unknown slides {', '.join(map(repr, unknown))}; the slides are: "
                               f"{', '.join(SLIDES)}.")
        if len(set(deck["slides"])) != len(deck["slides"]):
            raise SettingError(f"{where} lists a slide twice; list each slide once.")
        round_id = deck.get("round")
        if round_id is not None and not isinstance(round_id, str):
            raise SettingError(f"{where}: the round is a round id such as \"2016B\", or null for the current round.")
        out[str(name).strip()] = {"slides": list(deck["slides"]), "round": round_id}
    return out


_PRESENT_SETTINGS = (
    Setting("present_published", "Present page without sign-in",
            "When on, the Present page (aggregates only) opens for anyone who reaches the app, without signing "
            "in; nothing else does.", False, _published),
    Setting("small_count_threshold", "Small-count threshold",
            "Counts below this number show as \"fewer than N\" on the Present page, its exports and the HTML deck "
            "(with complementary suppression).", SMALL_COUNT_THRESHOLD, _threshold),
    Setting("present_decks", "Presenter decks",
            "Named decks of the Present page: the slides in order and the round.", {}, _decks,
            action=Action.PRESENT),
)



#: Every setting of the program, with its default.
SETTINGS: dict[str, Setting] = {
    s.key: s for s in (
        *_PRESENT_SETTINGS,
        Setting("retention_years", "Retention of personal data (years)",
                "Personal data of people whose rounds all closed more than this many years ago is erased by "
                "`workbench retention apply` (or the Personal data page). None keeps it.",
                None, _retention_years),
    )
}


def _setting(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise NotFound(f"There is no setting {key!r}; the settings are: {', '.join(SETTINGS)}.") from None


def get_setting(con: db.Connection, key: str) -> Any:
    """The value of ``key``: the stored one, or the setting's default."""
    setting = _setting(key)
    row = con.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return setting.default if row is None else json.loads(row[0])


def setting_version(con: db.Connection, key: str) -> int:
    """The version of ``key`` to pass to :func:`set_setting` (0 while the default applies)."""
    _setting(key)
    row = con.execute("SELECT version FROM settings WHERE key = ?", [key]).fetchone()
    return 0 if row is None else int(row[0])


def retention_years(con: db.Connection) -> int | None:
    """How many years after their last round closes people's personal data is kept (None: kept)."""
    value = get_setting(con, "retention_years")
    return None if value is None else int(value)


def set_setting(con: db.Connection, key: str, value: Any, *, by: User, version: int | None = None) -> Any:
    """Store a setting (a director's action; a presenter's for the decks); returns the value stored.

    ``version`` (from :func:`setting_version`) refuses the change if someone else changed the setting since
    it was read; None takes whatever is stored now.
    """
    setting = _setting(key)
    require(by, setting.action)
    stored = setting.check(value)
    now = datetime.now(UTC).replace(tzinfo=None)
    with db.transaction(con):
        row = con.execute("SELECT value, version FROM settings WHERE key = ?", [key]).fetchone()
        current = 0 if row is None else int(row[1])
        if version is not None and version != current:
            raise StaleEdit(f"The setting {setting.label.lower()} was changed by someone else since you loaded "
                            "it. Your change was not saved: reload the page and make it again.")
        before = setting.default if row is None else json.loads(row[0])
        if row is None:
            con.execute("INSERT INTO settings VALUES (?, ?, 1, ?, ?)", [key, json.dumps(stored), now, by.actor])
        else:
            con.execute("UPDATE settings SET value = ?, version = version + 1, updated_at = ?, updated_by = ? "
                        "WHERE key = ? AND version = ?", [json.dumps(stored), now, by.actor, key, current])
        db.audit(con, actor=by.actor, action="change setting", entity="settings", entity_id=key,
                 before={key: before}, after={key: stored})
    return stored


def all_settings(con: db.Connection) -> list[dict[str, Any]]:
    """Every setting with its current value, default, version and who changed it last (for a page or the CLI)."""
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT key, value, version, updated_at, updated_by FROM settings").fetchall()}
    out = []
    for key, setting in SETTINGS.items():
        value, version, at, by = rows.get(key, (None, 0, None, None))
        out.append({"key": key, "label": setting.label, "value": setting.default if value is None
                    else json.loads(value), "default": setting.default, "version": version,
                    "updated_at": at, "updated_by": by, "description": setting.description})
    return out
