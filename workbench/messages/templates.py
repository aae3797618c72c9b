"""The program's message templates, per language and kind, and the choice of a message's language.

Each template is a file ``templates/<code>/<kind>.txt`` (``en``, ``fr``, ``es``; the kinds of :data:`KINDS`):
a first line ``Subject: …``, a blank line, then the body. Placeholders are ``{name}``; each kind has its own
(:data:`PLACEHOLDERS`), and a template using another is refused with the list of those it may use.

A message is written in a language every recipient shares (:func:`choose_language`): the program's own
languages first, in their order (the setting ``languages``, the first is the main one), then any other
shared language that has templates; when the members share none that has, English, with a note.

A participant's name (or organisation) is written by the participant, so before it is placed in a subject, a
body or a recipient's display name it goes through :func:`safe_name`: Unicode bidirectional controls are
removed (a right-to-left override makes "moc.live" read "evil.com"), line breaks become spaces, and web
addresses are made unclickable ("http://evil.example/" becomes "http[:]//evil[.]example/"), so a name cannot
carry a link or a fake line into the program's messages. Anything placed in a header (the subject, the
Reply-To, …) loses its line breaks too (:func:`header_text`).
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from workbench import program
from workbench.errors import WorkbenchError

TEMPLATE_DIR = Path(__file__).with_name("templates")
#: The kinds of message the program sends.
KINDS = ("introduction", "topic", "reminder", "survey")
#: Language name (as applications list it) -> the template folder's code.
LANGUAGE_CODES = {"English": "en", "French": "fr", "Spanish": "es"}
FALLBACK = "English"
#: The placeholders each kind may use.
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "introduction": ("round", "names", "people", "shared_interests", "s", "partnership_id"),
    "topic": ("round", "names", "seq", "total", "title", "body", "send_on"),
    "reminder": ("round", "names"),
    "survey": ("round", "name", "form_link", "ends_on"),
}

_MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
}
#: How a member is described in an introduction, per language: sentence words for the sample's sectors and
#: career stages. A value without words here (a program's own, or a renamed one) is described by its label in
#: the program's vocabulary (:func:`member_line`'s ``sector_label`` and ``stage_label``).
_SECTORS = {
    "en": {"academic": "academic library", "public": "public library", "school": "school library",
           "special": "special library", "national": "national library", "other": "other library"},
    "fr": {"academic": "bibliothèque universitaire", "public": "bibliothèque publique",
           "school": "bibliothèque scolaire", "special": "bibliothèque spécialisée",
           "national": "bibliothèque nationale", "other": "autre bibliothèque"},
    "es": {"academic": "biblioteca universitaria", "public": "biblioteca pública", "school": "biblioteca escolar",
           "special": "biblioteca especializada", "national": "biblioteca nacional", "other": "otra biblioteca"},
}
_STAGES = {
    "en": {"student": "library student", "early": "early career", "mid": "mid career", "senior": "senior"},
    "fr": {"student": "en formation", "early": "en début de carrière", "mid": "en milieu de carrière",
           "senior": "expérience confirmée"},
    "es": {"student": "en formación", "early": "inicio de carrera", "mid": "mitad de carrera",
           "senior": "amplia experiencia"},
}
_AND = {"en": "and", "fr": "et", "es": "y"}
_FIELD = {"en": "librarianship", "fr": "les bibliothèques", "es": "las bibliotecas"}
#: Whom a message to every participant of a round greets ("Dear participants,", "Bonjour à toutes et à tous,").
_EVERYONE = {"en": "participants", "fr": "à toutes et à tous", "es": "participantes"}


#: The Unicode bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069),
#: the left-to-right and right-to-left marks (U+200E, U+200F) and the Arabic letter mark (U+061C).
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
#: Line breaks of any kind (CR, LF, and the Unicode line and paragraph separators a mail program may honour).
_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
#: ``scheme://`` (any scheme), and the schemes that need no slashes (``mailto:``, ``javascript:``, …).
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*):(?=//)|\b(mailto|javascript|vbscript|data|file|tel|sms|callto):")
#: A dotted name: labels of letters, digits or hyphens separated by dots (ASCII or ideographic/full-width).
_DOTS = "[.\u3002\uff0e\uff61]"
_DOTTED = re.compile(rf"[\w-]+(?:{_DOTS}[\w-]+)+")


def _unlinked(match: re.Match[str]) -> str:
    """A dotted name that a mail program would take for a host (its last label a top-level domain of two or
    more letters, or an IPv4 address) with its dots broken: ``evil[.]example``; others (``J.R.R``) as written."""
    text = match.group(0)
    labels = re.split(_DOTS, text)
    last = labels[-1]
    is_host = (len(last) >= 2 and last.isalpha()) or last.lower().startswith("xn--")
    is_ip = len(labels) == 4 and all(label.isdigit() and len(label) <= 3 for label in labels)
    return re.sub(_DOTS, "[.]", text) if is_host or is_ip else text


def header_text(text: str) -> str:
    """``text`` fit for a header: bidirectional controls removed, line breaks (and runs of spaces) made one
    space, so a value can neither add a header nor end the headers."""
    return " ".join(_LINE_BREAKS.sub(" ", BIDI_CONTROLS.sub("", str(text))).split())


def safe_name(name: str) -> str:
    """A participant's name (or organisation) as the program's messages show it: one line, no bidirectional
    controls, web addresses and host names unclickable (``http://evil.example/`` -> ``http[:]//evil[.]example/``;
    ``moc.live`` -> ``moc[.]live``). Idempotent; an ordinary name ("Ana Souza-Lima", "J.R.R. Tolkien") is
    unchanged."""
    text = header_text(name)
    text = _SCHEME.sub(lambda m: f"{m.group(1) or m.group(2)}[:]", text)
    return _DOTTED.sub(_unlinked, text)


#: The placeholders that hold participants' names (``names`` is already joined by :func:`join_names`).
NAME_PLACEHOLDERS = ("name", "names")


class TemplateError(WorkbenchError):
    """A template that cannot be used as written (an unknown placeholder, a stray brace, no subject)."""


@dataclass(frozen=True)
class Template:
    language: str
    kind: str
    subject: str
    body: str

    @property
    def code(self) -> str:
        return LANGUAGE_CODES[self.language]

    def render(self, values: dict[str, Any]) -> tuple[str, str]:
        """(subject, body) with the placeholders filled: names made safe (:func:`safe_name`), the subject one
        line (:func:`header_text`)."""
        values = {k: safe_name(str(v)) if k in NAME_PLACEHOLDERS else v for k, v in values.items()}
        return (header_text(fill(self.subject, values, kind=self.kind, field="subject")),
                fill(self.body, values, kind=self.kind, field="message"))


@dataclass(frozen=True)
class LanguageChoice:
    language: str
    note: str | None = None


def languages() -> list[str]:
    """The languages the workbench has templates for, English first."""
    return [name for name, code in LANGUAGE_CODES.items() if (TEMPLATE_DIR / code).is_dir()]


def parse(text: str, *, language: str, kind: str, where: str = "the template") -> Template:
    """A template's text: ``Subject: …``, a blank line, the body."""
    head, _, body = text.replace("\r\n", "\n").partition("\n")
    if not head.startswith("Subject:"):
        raise TemplateError(f"{where} must start with a line 'Subject: …' followed by a blank line, then the message.")
    return Template(language, kind, head.removeprefix("Subject:").strip(), body.lstrip("\n"))


@cache
def template(language: str, kind: str) -> Template:
    """The shipped template of ``kind`` in ``language``."""
    if kind not in KINDS:
        raise TemplateError(f"There is no kind of message {kind!r}; the kinds are {', '.join(KINDS)}.")
    code = LANGUAGE_CODES.get(language)
    path = TEMPLATE_DIR / (code or "-") / f"{kind}.txt"
    if code is None or not path.is_file():
        raise TemplateError(f"There is no {kind} template in {language}; the templates exist in "
                            f"{', '.join(languages())}.")
    found = parse(path.read_text(encoding="utf-8"), language=language, kind=kind, where=str(path))
    for field, text in (("subject", found.subject), ("message", found.body)):
        check(text, kind=kind, field=f"{path.name} ({field})")
    return found


def check(text: str, *, kind: str, field: str) -> None:
    unknown = sorted(set(re.findall(r"{(\w*)}", text)) - set(PLACEHOLDERS[kind]))
    if unknown:
        raise TemplateError(
            f"The {field} uses unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}. "
            f"Use only {', '.join('{' + p + '}' for p in PLACEHOLDERS[kind])}.")


def fill(text: str, values: dict[str, Any], *, kind: str, field: str) -> str:
    check(text, kind=kind, field=field)
    try:
        return text.format(**{k: str(v) for k, v in values.items()})
    except (ValueError, IndexError, KeyError) as exc:
        raise TemplateError(f"The {field} is not a valid template ({exc}); write literal braces as {{{{ }}}}.") \
            from None


def parse_languages(value: str | Sequence[str] | None) -> list[str]:
    """The program's ``languages`` setting (comma-separated, or a list) as a list; English when unset."""
    items = value.split(",") if isinstance(value, str) else list(value or [])
    out = [str(x).strip() for x in items if str(x).strip()]
    return out or [FALLBACK]


def choose_language(member_languages: Sequence[Iterable[str]], program_languages: Sequence[str]) -> LanguageChoice:
    """A language every member speaks: the first of the program's languages they share, else another shared
    language with templates (English before the rest), else English with a note saying so."""
    sets = [{str(x).strip().casefold() for x in langs} for langs in member_languages]
    shared = set.intersection(*sets) if sets else set()
    available = languages()
    preferred = [*program_languages, FALLBACK, *sorted(available)]
    for name in preferred:
        if name.casefold() in shared and name in available:
            return LanguageChoice(name)
    spoken = "; ".join(", ".join(sorted(s)) or "none" for s in sets)
    return LanguageChoice(FALLBACK, f"The members share no language the program has templates for "
                                    f"({', '.join(available)}); they speak: {spoken}. Written in {FALLBACK}.")


def long_date(day: dt.date, language: str) -> str:
    """``22 February 2016``, ``22 février 2016``, ``22 de febrero de 2016``."""
    code = LANGUAGE_CODES.get(language, "en")
    if code == "fr":
        return f"{day.day} {_MONTHS['fr'][day.month - 1]} {day.year}"
    if code == "es":
        return f"{day.day} de {_MONTHS['es'][day.month - 1]} de {day.year}"
    return f"{day.day} {day:%B %Y}"


def join_names(names: Sequence[str], language: str) -> str:
    """"Ana and Bo", "Ana, Bo and Chen" (or et / y)."""
    word = _AND[LANGUAGE_CODES.get(language, "en")]
    names = [safe_name(str(n)) for n in names]
    if len(names) <= 2:
        return f" {word} ".join(names)
    return f"{', '.join(names[:-1])} {word} {names[-1]}"


@cache
def _country_names(code: str) -> gettext.NullTranslations:
    import pycountry

    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[code])
    except OSError:
        return gettext.NullTranslations()


def country_name(iso3: str, english_name: str, language: str) -> str:
    """The country's name in ``language`` (pycountry's translations); the program's own name in English."""
    code = LANGUAGE_CODES.get(language, "en")
    if code == "en":
        return english_name
    import pycountry

    found = pycountry.countries.get(alpha_3=iso3)
    return _country_names(code).gettext(found.name) if found is not None else english_name


def member_line(*, name: str, iso3: str, country: str, sector: str, stage: str, email: str, language: str,
                sector_label: str | None = None, stage_label: str | None = None) -> str:
    """One member of an introduction: ``- Ana Souza (Brazil; public library, mid career), ana@…`` (the name
    made safe: :func:`safe_name`).

    ``sector_label`` and ``stage_label`` are the labels of the program's vocabularies (sector, career stage):
    they describe a value the language has no words for, a program's own stage or a renamed one."""
    code = LANGUAGE_CODES.get(language, "en")
    name = safe_name(name)
    sector_words = _SECTORS[code].get(sector) or (sector_label or sector)
    stage_words = _STAGES[code].get(stage) or (stage_label or stage)
    space = " " if code == "fr" else ""  # French puts a space before a semicolon
    return (f"- {name} ({country_name(iso3, country, language)}{space}; {sector_words}, {stage_words}), "
            f"{email.strip()}")


def field_word(language: str) -> str:
    """What partners with no interest in common still share, in ``language``."""
    return _FIELD[LANGUAGE_CODES.get(language, "en")]


def everyone(language: str) -> str:
    """The ``names`` of a message to every participant of a round at once (a topic exported as a draft)."""
    return _EVERYONE[LANGUAGE_CODES.get(language, "en")]


def render_topic(language: str, *, round_label: str, names: str, seq: int, total: int, title: str, body: str,
                 send_on: dt.date) -> tuple[str, str]:
    """A fortnightly topic's subject and text in ``language``, from its template (``templates/<code>/topic.txt``):
    the one path of a topic message, for the outbox (each partnership, ``names`` its members) and for the Topics
    page's ``.eml`` drafts (``names`` :func:`everyone`)."""
    return template(language, "topic").render({"round": round_label, "names": names, "seq": seq, "total": total,
                                               "title": title, "body": body, "send_on": long_date(send_on, language)})


def program_setting(con: Any, key: str, default: Any = None) -> Any:
    """A program setting (``workbench.program``), or ``default`` while the program does not declare it."""
    if key not in program.SETTINGS:
        return default
    value = program.get_setting(con, key)
    return default if value in (None, "") else value


def program_languages(con: Any) -> list[str]:
    """The languages the program runs in, main first (the setting ``languages``; English by default)."""
    return parse_languages(program_setting(con, "languages", FALLBACK))
