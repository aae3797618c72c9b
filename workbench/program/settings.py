"""The program's settings: typed values with defaults, stored in the ``settings`` table, changed by a director.

Each setting is declared once in :data:`SETTINGS` (its type, its default, what it means and how a value is
checked). :func:`get_setting` returns the stored value or the default; :func:`set_setting` checks the value,
refuses a stale edit (the row's ``version``), writes it and records the change in the audit log under the
signed-in user. A setting never changed has no row: the default applies.

    >>> get_setting(con, "retention_years")        # None: personal data is kept
    >>> set_setting(con, "retention_years", 5, by=director)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from workbench import db
from workbench.access import Action, User, require
from workbench.emails import parse_mailbox
from workbench.errors import NotFound, StaleEdit, WorkbenchError
from workbench.program.survey import SURVEY_QUESTIONS, SurveyQuestionsInvalid, check_survey_questions
from workbench.program.vocabularies import KIND_NAMES, vocabulary
from workbench.rejections import Problem


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
    #: a further check against the program's own data (its vocabularies…): (con, checked value) -> value to store
    against: Callable[[Any, Any], Any] | None = None
    choices: tuple[str, ...] = ()  #: the values allowed, when the setting is a choice (for a page's select box)


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


def _min_group(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "off"}):
        return None
    if isinstance(value, bool):
        raise SettingError("The smallest group is a number of applications (or none).")
    try:
        size = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise SettingError(f"The smallest group is a whole number of applications (or none), not {value!r}.") from None
    if size < 1 or size > 100:
        raise SettingError(f"The smallest group must be between 1 and 100 applications (got {size}); use none to "
                           "keep sector and career stage for everyone.")
    return None if size == 1 else size


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
    """The decks' shape (name -> slides and round). Which slide keys exist is the Present package's to say:
    ``present.deck.save_deck`` checks them, and a deck read back skips a key that no longer exists."""
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
        slides = deck.get("slides") if isinstance(deck, dict) else None
        if not isinstance(slides, list) or not slides or not all(isinstance(k, str) and k for k in slides):
            raise SettingError(f"{where} needs a list of slide keys (the Present page names them).")
        if len(set(slides)) != len(slides):
            raise SettingError(f"{where} lists a slide twice; list each slide once.")
        round_id = deck.get("round")
        if round_id is not None and not isinstance(round_id, str):
            raise SettingError(f"{where}: the round is a round id such as \"2016B\", or null for the current round.")
        out[str(name).strip()] = {"slides": list(slides), "round": round_id}
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
            action=Action.EDIT_DECKS),
)



# --- the program's own settings (issue 11): name, languages, cap, round length, cadence, rules, mail ----------

#: A new round's per-country cap: 20% of its live applications (domain.md: the ILN capped a country at 20%).
DEFAULT_COUNTRY_CAP = 0.2
#: A round runs about four months (domain.md): sixteen weeks from the day partnerships start.
DEFAULT_ROUND_WEEKS = 16
#: A topic every other week.
DEFAULT_TOPIC_CADENCE_DAYS = 14
#: Who may be partners (``workbench.matching.rules.CROSS_BORDER``): the key and what it asks of partners.
CROSS_BORDER_CHOICES: dict[str, str] = {
    "country": "live in different countries",
    "region": "come from different UN M49 sub-regions",
    "organisation": "work at different organisations",
    "none": "no cross-border condition",
}


def _text(what: str, *, longest: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        text = "" if value is None else " ".join(str(value).split())
        if len(text) > longest:
            raise SettingError(f"The {what} is at most {longest} characters (this one has {len(text)}).")
        return text or None
    return check


def _program_name(value: Any) -> str:
    text = _text("program's name", longest=120)(value)
    if not text:
        raise SettingError("The program needs a name (e.g. \"Mentoring Across America\"); it cannot be blank.")
    return text


def _language_list(value: Any) -> str:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    names = [" ".join(str(x).split()) for x in items if str(x).strip()]
    if not names:
        raise SettingError("The program runs in at least one language: list them separated by commas, the main "
                           "one first (e.g. \"French, English\").")
    return ", ".join(names)


def _languages_known(con: Any, value: str) -> str:
    voc = vocabulary(con, "language")
    found: list[str] = []
    for name in value.split(", "):
        term = voc.lookup(name)
        if term is None:
            import difflib

            close = difflib.get_close_matches(name, [t.label for t in voc.terms], n=1, cutoff=0.7)
            hint = f"Did you mean {close[0]}? " if close else ""
            raise SettingError(
                f"{name!r} is not one of the program's {KIND_NAMES['language'][1]}. {hint}Correct it, or add it to "
                f"the vocabulary first (`workbench vocab add language {name}` or the Settings page). The program's "
                f"languages: {voc.names()}.")
        if term in found:
            raise SettingError(f"{term} is listed twice in the program's languages; list each language once.")
        found.append(term)
    return ", ".join(found)


def _country_cap(value: Any) -> float:
    if isinstance(value, bool):
        raise SettingError("The country cap is a share such as 0.2 or 20%.")
    text = str(value).strip()
    try:
        share = float(text.removesuffix("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise SettingError(f"The country cap is a share such as 0.2 or 20%, not {value!r}.") from None
    if not 0 < share <= 1:
        raise SettingError(f"The country cap must be more than 0 and at most 1 (100%), got {value!r}: 0.2 (or 20%) "
                           "lets no country have more than a fifth of a round's places; 1 switches the cap off.")
    return round(share, 4)


def _whole(what: str, low: int, high: int, unit: str, example: str) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool):
            raise SettingError(f"The {what} is a whole number of {unit} ({example}).")
        try:
            number = value if isinstance(value, int) else int(str(value).strip())
        except ValueError:
            raise SettingError(f"The {what} is a whole number of {unit} ({example}), not {value!r}.") from None
        if not low <= number <= high:
            raise SettingError(f"The {what} must be between {low} and {high} {unit} (got {number}); {example}.")
        return number
    return check


def _reworded(value: Any) -> dict[str, dict[str, str]]:
    try:
        return check_survey_questions(value)
    except SurveyQuestionsInvalid as exc:
        raise SettingError(str(exc)) from None


def _send_rate(value: Any) -> float | None:
    """Messages a minute the outbox sends (0: no limit), or None: the mail settings' ``per_minute`` applies."""
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "default"}):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        rate = float(str(value).strip())
    except ValueError:
        raise SettingError(f"The sending rate is a number of messages a minute (0 for no limit, none for the mail "
                           f"settings' rate), not {value!r}.") from None
    if not 0 <= rate <= 6000:
        raise SettingError(f"The sending rate must be between 0 (no limit) and 6000 messages a minute (got {rate:g}); "
                           "your mail provider's limit is a good value (30 a minute suits most).")
    return rate


def _cross_border(value: Any) -> str:
    text = str(value or "").strip().lower().replace("organization", "organisation")
    if text not in CROSS_BORDER_CHOICES:
        choices = "; ".join(f"{k} (partners {v})" if k != "none" else f"{k} ({v})"
                            for k, v in CROSS_BORDER_CHOICES.items())
        raise SettingError(f"The cross-border rule is one of: {choices}. {value!r} is not one of them.")
    return text


def _form_link(value: Any) -> str | None:
    text = _text("survey form link", longest=2000)(value)
    if text is None:
        return None
    if not text.startswith(("https://", "http://")) or " " in text or "." not in text.split("/")[2:3][0]:
        raise SettingError(f"The survey form link is a web address starting with https:// (e.g. "
                           f"https://forms.example.org/end-of-round), not {text!r}.")
    return text


def _base_url(value: Any) -> str | None:
    text = _text("public address", longest=500)(value)
    if text is None:
        return None
    host = text.split("/")[2] if text.count("/") >= 2 else ""
    if not text.startswith(("https://", "http://")) or " " in text or not host or "?" in text or "#" in text:
        raise SettingError(f"The public address is where participants reach the workbench, starting with https:// "
                           f"(e.g. https://mentoring.example.org), not {text!r}.")
    return text.rstrip("/")


#: The application form's optional questions (the import's optional canonical fields a program may leave out).
FORM_OPTIONAL = ("organisation", "languages", "timezone", "partner_sector", "partner_stage", "partner_interests")


def _form_questions(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else [v for v in str(value or "").replace(";", ",").split(",")]
    chosen = [str(v).strip() for v in items if str(v).strip()]
    unknown = [v for v in chosen if v not in FORM_OPTIONAL]
    if unknown:
        raise SettingError(f"The form's optional questions are among {', '.join(FORM_OPTIONAL)}; "
                           f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not one of them.")
    return [v for v in FORM_OPTIONAL if v in chosen]


def _email(what: str, *, links: bool = False) -> Callable[[Any], str | None]:
    """One email address (``help@program.org`` or ``Program help <help@program.org>``), checked by the import's
    own checker (:func:`workbench.emails.parse_mailbox`); with ``links``, a web or mailto link too."""

    def check(value: Any) -> str | None:
        text = _text(what, longest=320)(value)
        if text is None:
            return None
        examples = ("an email address such as coordinators@program.example.org (a name may come first: Program "
                    "coordinators <coordinators@program.example.org>)"
                    f"{', or a web address for unsubscribing (https://…)' if links else ''}")
        if links and text.startswith(("https://", "http://", "mailto:")):
            if any(ch in text for ch in ' <>"') or any(not ch.isprintable() for ch in text):
                raise SettingError(f"The {what} is {examples}; {text!r} is a link with a space, a quote or an "
                                   "angle bracket in it. Correct the link and save it again.")
            return text
        found = parse_mailbox(text)
        if isinstance(found, Problem):
            raise SettingError(f"The {what} is {examples}; {found.reason}. Correct it and save it again.")
        if links and found.endswith(">"):  # List-Unsubscribe takes the address alone
            found = found.rpartition("<")[2].removesuffix(">")
        return found
    return check


_PROGRAM_SETTINGS = (
    Setting("program_name", "Program name",
            "The program's name, shown on the pages and in its messages.", "My mentoring program", _program_name),
    Setting("languages", "Languages",
            "The languages the program runs in, separated by commas, the main one first. An introduction is "
            "written in a language all partners share, preferring the first. Each must be a working language of "
            "the program's vocabulary.", "English", _language_list, against=_languages_known),
    Setting("country_cap", "Per-country cap (new rounds)",
            "A new round's cap: no country may have more than this share of the round's applications (the "
            "earliest get in, the rest are offered the next round). 0.2 is 20%; 1 switches the cap off.",
            DEFAULT_COUNTRY_CAP, _country_cap),
    Setting("round_weeks", "Round length (weeks)",
            "How long a new round runs, in weeks, from the day its partnerships start.",
            DEFAULT_ROUND_WEEKS, _whole("round length", 4, 52, "weeks", "16 is about four months")),
    Setting("topic_cadence_days", "Topic cadence (days)",
            "Days between two discussion topics (14: one a fortnight).",
            DEFAULT_TOPIC_CADENCE_DAYS, _whole("topic cadence", 7, 31, "days", "14 is one topic a fortnight")),
    Setting("cross_border", "Who may be partners",
            "The cross-border rule: country (partners live in different countries), region (different UN M49 "
            "sub-regions), organisation (different organisations: a program inside one nation), none.",
            "country", _cross_border, choices=tuple(CROSS_BORDER_CHOICES)),
    Setting("survey_form_link", "Survey form link",
            "The end-of-round survey form the program's survey message links to.", None, _form_link),
    Setting("reminder_after_days", "Check-in reminder after (days)",
            "Days after a topic was sent before `workbench outbox queue reminders` nudges a participant who has not "
            "answered its check-in (once a fortnight at most).", 5,
            _whole("reminder delay", 1, 13, "days", "5 nudges five days after the topic")),
    Setting("survey_questions", "Survey questions",
            "The end-of-round survey's questions per language (en, fr, es: the shipped texts; a question left out "
            "keeps its shipped text). The choices come from the vocabularies.", SURVEY_QUESTIONS,
            lambda v: _reworded(v)),
    Setting("reply_to", "Reply-to address",
            "Where replies to the program's messages go (the mail settings' reply_to, if set, wins).", None,
            _email("reply-to address")),
    Setting("unsubscribe_address", "Unsubscribe address",
            "The address (or web page) the program's messages offer for unsubscribing (List-Unsubscribe).",
            None, _email("unsubscribe address", links=True)),
    Setting("base_url", "Public address of the participants' pages",
            "The address participants reach the workbench at (https://…, behind the reverse proxy): the links in "
            "confirmations, in every message (/me, /unsubscribe) and the List-Unsubscribe header start with it.",
            None, _base_url),
    Setting("privacy_notice", "Privacy notice",
            "The text applicants consent to on the application form (/apply): who holds their data, why, for how "
            "long, and how to ask for it or have it erased.", None, _text("privacy notice", longest=5000)),
    Setting("form_questions", "The application form's optional questions",
            "Which optional questions /apply asks, of: organisation, languages, timezone, partner_sector, "
            "partner_stage, partner_interests (the others are always asked).", list(FORM_OPTIONAL), _form_questions),
    Setting("send_rate_per_minute", "Sending rate (messages a minute)",
            "How many messages a minute the outbox sends (0: no limit). Set here, it wins over the mail settings' "
            "rate; none uses WORKBENCH_SMTP_PER_MINUTE (or per_minute in the secrets' [smtp] table, else 30).",
            None, _send_rate),
)


#: Every setting of the program, with its default.
def _form_mappings(value: Any) -> dict[str, dict[str, Any]]:
    """{signature: {"columns": [the form's headers], "mapping": {header: application field or null}}}."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SettingError(f"The form mappings setting is JSON: {exc.msg} at character {exc.pos}.") from None
    if not isinstance(value, dict):
        raise SettingError("The form mappings setting is an object: a form's signature -> {\"columns\": [...], "
                           "\"mapping\": {header: field}}.")
    out: dict[str, dict[str, Any]] = {}
    for signature, form in value.items():
        if not isinstance(form, dict) or not isinstance(form.get("columns"), list) \
                or not isinstance(form.get("mapping"), dict):
            raise SettingError(f"The form mapping {signature!r} needs \"columns\" (the headers, in order) and "
                               "\"mapping\" (header -> application field, or null to ignore the column).")
        mapping = {str(k): (None if v in (None, "") else str(v)) for k, v in form["mapping"].items()}
        out[str(signature)] = {"columns": [str(c) for c in form["columns"]], "mapping": mapping,
                               **{k: form[k] for k in ("saved_at", "file") if k in form}}
    return out


def _link_model(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SettingError(f"The linking model is splink's JSON: {exc.msg} at character {exc.pos}. Retrain it "
                               "with `workbench people train`.") from None
    if not isinstance(value, dict) or not isinstance(value.get("comparisons"), list):
        raise SettingError("The linking model is splink's settings JSON with its trained \"comparisons\"; "
                           "retrain it with `workbench people train`.")
    return value


def _link_threshold(which: str) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool):
            raise SettingError(f"The {which} linking threshold is a probability between 0 and 1, such as 0.9.")
        try:
            share = float(str(value).strip())
        except ValueError:
            raise SettingError(f"The {which} linking threshold is a probability between 0 and 1, not {value!r}.") \
                from None
        if not 0 < share < 1:
            raise SettingError(f"The {which} linking threshold must be more than 0 and less than 1 (got {value!r}).")
        return round(share, 4)
    return check


#: Remembered column mappings of application forms (written by an import, so a coordinator may change it).
_IMPORT_SETTINGS = (
    Setting("form_mappings", "Remembered form mappings",
            "How the columns of each application form were mapped by hand on import, remembered for the next "
            "export of the same form (the same header row).", {}, _form_mappings, action=Action.IMPORT),
    Setting("link_model", "Trained model for recognising people",
            "The record-linkage model (splink's JSON) an import uses to recognise returning applicants under a new "
            "address, trained on the program's own rounds (`workbench people train`); none: the model trained on the "
            "sample program.", None, _link_model, action=Action.IMPORT),
)


SETTINGS: dict[str, Setting] = {
    s.key: s for s in (
        *_PROGRAM_SETTINGS,
        *_PRESENT_SETTINGS,
        *_IMPORT_SETTINGS,
        Setting("link_high", "Link a returning applicant automatically from",
                "An import links an application to a known person automatically when the match probability is at "
                "least this (and no second candidate is plausible, and more than the name agrees).", 0.9,
                _link_threshold("high")),
        Setting("link_low", "Offer a known person for review from",
                "Below this match probability an application is a new person; between this and the high "
                "threshold it goes to the import's review list.", 0.05, _link_threshold("low")),
        Setting("retention_years", "Retention of personal data (years)",
                "Personal data of people whose rounds all closed more than this many years ago is erased by "
                "`workbench retention apply` (or the Personal data page). None keeps it.",
                None, _retention_years),
        Setting("snapshot_min_group", "Smallest group in the analyst snapshot",
                "In the pseudonymised analyst snapshot, an application whose round, country, sector and career "
                "stage it shares with fewer than this many applications has its sector and career stage "
                "withheld, so those four together cannot single it out. None (or 1) keeps them all.",
                None, _min_group),
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


def topic_cadence(con: db.Connection) -> dt.timedelta:
    """The time between two topics: the program's ``topic_cadence_days`` (a fortnight by default)."""
    return dt.timedelta(days=int(get_setting(con, "topic_cadence_days")))


def round_length(con: db.Connection) -> dt.timedelta:
    """How long a round runs from the day it starts: the program's ``round_weeks`` (sixteen by default)."""
    return dt.timedelta(weeks=int(get_setting(con, "round_weeks")))


def snapshot_min_group(con: db.Connection) -> int | None:
    """The smallest group the analyst snapshot lets round, country, sector and career stage describe (None: off)."""
    value = get_setting(con, "snapshot_min_group")
    return None if value is None else int(value)


def check_setting(con: db.Connection, key: str, value: Any) -> Any:
    """The value ``key`` would store for ``value`` (normalised), or :class:`SettingError` saying what is wrong;
    nothing is written (a form's preview, the CLI's dry check)."""
    setting = _setting(key)
    stored = setting.check(value)
    return setting.against(con, stored) if setting.against is not None and stored is not None else stored


#: What follows a change of a setting, inside the same transaction: key -> hooks ``(con, stored value, by=user)``,
#: registered by the module that owns the consequence (``cross_border`` re-applies the cap to the open rounds:
#: :mod:`workbench.applications.admission`), so this module imports nothing above it.
_AFTER_CHANGE: dict[str, list[Callable[..., Any]]] = {}


def after_change(key: str, hook: Callable[..., Any]) -> None:
    """Run ``hook(con, stored, by=user)`` in :func:`set_setting`'s transaction whenever ``key`` changes value."""
    _setting(key)
    if hook not in _AFTER_CHANGE.setdefault(key, []):
        _AFTER_CHANGE[key].append(hook)


def set_setting(con: db.Connection, key: str, value: Any, *, by: User, version: int | None = None) -> Any:
    """Store a setting (a director's action; a presenter's for the decks); returns the value stored.

    ``version`` (from :func:`setting_version`) refuses the change if someone else changed the setting since
    it was read; None takes whatever is stored now.
    """
    setting = _setting(key)
    require(by, setting.action)
    stored = setting.check(value)
    if setting.against is not None and stored is not None:
        stored = setting.against(con, stored)
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
        if stored != before:
            for hook in _AFTER_CHANGE.get(key, ()):
                hook(con, stored, by=by)
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
