"""Matching a file's column headers to the columns an import knows: one matcher for every import.

An import describes its columns as :class:`ColumnSpec` (name, what it holds, required or not, exact
header names, keyword patterns); :func:`match_columns` maps a file's headers onto them, tolerating case,
spacing, punctuation, accents and form-export questions. :func:`match_headers` is that for application
files (:data:`APPLICATION_COLUMNS`); the check-in and survey import (:mod:`workbench.followup.checkins`)
passes its own specs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from workbench.errors import ImportFileError, WorkbenchError

__all__ = [
    "APPLICATION_COLUMNS",
    "CANONICAL",
    "OPTIONAL",
    "REQUIRED",
    "ColumnSpec",
    "HeaderMatch",
    "MissingColumns",
    "form_signature",
    "header_key",
    "match_columns",
    "match_headers",
    "word_rule",
]

#: The application columns, in the order the workbench shows them.
CANONICAL: tuple[str, ...] = (
    "submitted_at", "name", "email", "country", "sector", "career_stage", "interests",
    "languages", "timezone", "partner_sector", "partner_stage", "partner_interests", "organisation",
)
#: Columns every file must have (a missing one stops the import: nothing can be checked without it).
REQUIRED: tuple[str, ...] = (
    "submitted_at", "name", "email", "country", "sector", "career_stage", "interests",
)
#: Columns that get a default when the file lacks them (languages: English; timezone: the country's main
#: zone; partner wishes: none; organisation: not given).
OPTIONAL: tuple[str, ...] = tuple(c for c in CANONICAL if c not in REQUIRED)

#: Whole headers (after :func:`header_key`) that name a column exactly: form-export names included.
_EXACT: dict[str, tuple[str, ...]] = {
    "submitted_at": ("submitted at", "submitted", "timestamp", "time stamp", "submission date",
                     "submission time", "date submitted", "submitted on", "date", "date time",
                     "completion time", "start time", "created at", "response date"),
    "name": ("name", "full name", "your name", "your full name", "applicant", "applicant name",
             "participant name", "first and last name", "name and surname", "what is your name",
             "what is your full name"),
    "email": ("email", "e mail", "email address", "e mail address", "your email", "your email address",
              "emailaddress", "mail", "contact email", "what is your email address"),
    "country": ("country", "country of work", "country of residence", "your country", "location",
                "which country do you work in", "which country do you live in",
                "in which country do you work", "where do you work", "where are you based"),
    "sector": ("sector", "library sector", "sector you work in", "library type", "type of library",
               "what type of library do you work in", "which sector do you work in", "your sector",
               "what sector do you work in", "workplace type"),
    "career_stage": ("career stage", "career", "stage", "career level", "experience level",
                     "what stage of your career are you at", "your career stage",
                     "stage of career", "level of experience", "professional stage"),
    "interests": ("interests", "areas of interest", "interest areas", "your interests",
                  "professional interests", "topics of interest", "what are your areas of interest",
                  "what are your professional interests", "areas of professional interest"),
    "languages": ("languages", "language", "languages you can work in", "working languages",
                  "languages spoken", "what languages can you work in", "which languages do you speak",
                  "languages you speak"),
    "timezone": ("timezone", "time zone", "your time zone", "tz", "what time zone are you in",
                 "which time zone are you in", "utc offset"),
    "partner_sector": ("partner sector", "preferred partner sector", "partner s sector",
                       "partner library sector", "preferred sector of partner",
                       "which sector would you like your partner to work in"),
    "partner_stage": ("partner stage", "partner career stage", "partner s career stage",
                      "preferred partner career stage", "preferred partner stage",
                      "career stage of partner", "partner experience level"),
    "partner_interests": ("partner interests", "partner s interests", "preferred partner interests",
                          "partner areas of interest", "interests of partner"),
    "organisation": ("organisation", "organization", "institution", "library", "employer", "workplace",
                     "organisation name", "organization name", "institution name", "library name", "employer name",
                     "your organisation", "your organization", "your institution", "your library", "your employer",
                     "name of your library", "name of your institution", "name of your organisation",
                     "name of your organization", "library or institution", "institution or library",
                     "institution organisation", "institution organization", "affiliation", "company"),
}

#: The same columns as forms in French, Spanish and Portuguese head them (accents folded by :func:`header_key`).
_TRANSLATED: dict[str, tuple[str, ...]] = {
    "submitted_at": ("horodatage", "marca temporal", "marca de tiempo", "carimbo de data hora", "date de soumission",
                     "fecha de envio", "fecha"),
    "name": ("nom", "nom complet", "nom et prenom", "prenom et nom", "votre nom", "nombre", "nombre completo",
             "nombre y apellido", "nombre y apellidos", "su nombre", "nome", "nome completo"),
    "email": ("courriel", "adresse courriel", "adresse e mail", "adresse electronique", "correo", "correo electronico",
              "direccion de correo electronico", "direccion de correo", "e mail adresse", "endereco de e mail",
              "endereco de email"),
    "country": ("pays", "pais", "pays de travail", "pais de trabajo", "pays de residence", "pais de residencia",
                "dans quel pays travaillez vous", "en que pais trabaja", "en que pais trabajas"),
    "sector": ("secteur", "secteur de bibliotheque", "type de bibliotheque", "sector de la biblioteca",
               "sector de biblioteca", "tipo de biblioteca", "setor", "tipo de biblioteca"),
    "career_stage": ("etape de carriere", "stade de carriere", "niveau d experience", "etapa profesional",
                     "etapa de la carrera", "etapa de carrera", "nivel de experiencia", "etapa da carreira"),
    "interests": ("intereses", "areas de interes", "temas de interes", "centres d interet", "domaines d interet",
                  "interets", "interesses", "areas de interesse"),
    "languages": ("langues", "langue", "langues de travail", "idiomas", "idioma", "idiomas de trabajo", "linguas",
                  "lenguas"),
    "timezone": ("fuseau horaire", "zona horaria", "fuso horario", "huso horario"),
    "partner_sector": ("secteur du partenaire", "sector del companero", "sector de la pareja"),
    "partner_stage": ("etape de carriere du partenaire", "etapa del companero"),
    "partner_interests": ("interets du partenaire", "intereses del companero"),
    "organisation": ("organisme", "organisation", "etablissement", "employeur", "bibliotheque", "institution",
                     "organizacion", "institucion", "empleador", "biblioteca", "organizacao", "instituicao"),
}
_EXACT = {name: (*aliases, *_TRANSLATED.get(name, ())) for name, aliases in _EXACT.items()}

# Keyword rules for question-like headers ("Which country do you work in?"); a header that mentions a
# partner is only ever matched to a partner column.
_PARTNER = re.compile(r"\b(partner|partners|mentor|match|partenaire|companero|pareja|parceiro)\b")
# "Library name", "First name", "Username": names, but not the applicant's full name.
_NOT_A_PERSON = re.compile(
    r"\b(library|institution|organi[sz]ation|employer|workplace|company|school|university|first|last|"
    r"given|family|user|sur|middle|preferred|nick|bibliotheque|biblioteca|institucion|etablissement|prenom|"
    r"apellido|usuario|utilisateur)\b"
)


def word_rule(*words: str) -> re.Pattern[str]:
    """A keyword rule: every word must start a word of the header key ("repl" finds "replied", not "reply"
    inside "nonreply"); a word ending in a space must be a whole word."""
    parts = []
    for word in words:
        end = r"\b" if word.endswith(" ") else ""
        parts.append(rf"(?=.*\b{re.escape(word.strip())}{end})")
    return re.compile("".join(parts))


@dataclass(frozen=True)
class ColumnSpec:
    """A column an import knows.

    ``aliases`` are whole header keys (after :func:`header_key`) that name it; ``rules`` keyword patterns
    searched in the key of a form question; ``when`` / ``unless`` patterns the key must / must not match
    for the rules to apply. Rules are tried in ``rank`` order (then the order of the specs).
    """

    name: str
    label: str
    required: bool
    aliases: tuple[str, ...] = ()
    rules: tuple[re.Pattern[str], ...] = ()
    when: re.Pattern[str] | None = None
    unless: tuple[re.Pattern[str], ...] = ()
    rank: int = 0


_SECTOR_RULE = re.compile(r"\b(sector|type of library|library type|kind of library|secteur|setor|"
                          r"type de bibliotheque|tipo de biblioteca)\b")
_STAGE_RULE = re.compile(r"\b(career|stage|carriere|carrera|carreira|etapa|etape)\b")
_INTEREST_RULE = re.compile(r"\b(interests?|areas|topics|interets?|intereses|interes|interesses|temas)\b")
_APPLICATION_RULES: dict[str, tuple[int, re.Pattern[str], str]] = {  # rank, rule, what the column holds
    "submitted_at": (3, re.compile(r"\b(timestamp|submitted|submission|horodatage)\b"),
                     "the date the application was sent"),
    "name": (9, re.compile(r"\b(name|nom|nombre|nome)\b"), "the applicant's full name"),
    "email": (1, re.compile(r"\b(e ?mail|email address|courriel|correo)\b"), "the applicant's email address"),
    "country": (5, re.compile(r"\b(country|countries|nation|pays|pais)\b"), "the country they work in"),
    "sector": (7, _SECTOR_RULE, "their library sector"),
    "career_stage": (6, _STAGE_RULE, "their career stage"),
    "interests": (8, _INTEREST_RULE, "their areas of interest"),
    "languages": (4, re.compile(r"\b(languages?|langues?|idiomas?|lenguas?|linguas?)\b"),
                  "the languages they can work in"),
    "timezone": (2, re.compile(r"\b(time ?zone|utc|gmt|fuseau|zona horaria|huso horario|fuso)\b"), "their time zone"),
    "partner_sector": (10, _SECTOR_RULE, "the sector they would like their partner in"),
    "partner_stage": (11, _STAGE_RULE, "the career stage they would like their partner at"),
    "partner_interests": (12, _INTEREST_RULE, "the interests they would like their partner to share"),
    "organisation": (13, re.compile(r"\b(organi[sz]ations?|institutions?|employers?|workplace|affiliation|"
                                    r"library name|name of (your )?library|etablissement|employeur|organisme|"
                                    r"institucion|organizacion|empleador)\b"),
                     "the organisation they work at (optional)"),
}

#: The application columns as :func:`match_columns` reads them.
APPLICATION_COLUMNS: tuple[ColumnSpec, ...] = tuple(
    ColumnSpec(
        name, _APPLICATION_RULES[name][2], name in REQUIRED, _EXACT[name], (_APPLICATION_RULES[name][1],),
        when=_PARTNER if name.startswith("partner_") else None,
        unless=() if name.startswith("partner_") else ((_PARTNER, _NOT_A_PERSON) if name == "name" else (_PARTNER,)),
        rank=_APPLICATION_RULES[name][0],
    )
    for name in CANONICAL
)


class MissingColumns(ImportFileError):
    """Required columns are missing: nothing can be imported until they are mapped."""

    def __init__(self, message: str, missing: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.missing = tuple(missing)


def header_key(text: str) -> str:
    """A header for comparison: accents folded, lower case, bracketed remarks ("(choose up to 6)",
    "[optional]", "(1-5)") dropped, punctuation and underscores -> one space."""
    folded = unicodedata.normalize("NFKD", str(text))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    folded = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", folded)
    return re.sub(r"[^0-9a-z]+", " ", folded).strip()


@dataclass(frozen=True)
class HeaderMatch:
    """How a file's columns map onto the columns an import knows.

    ``mapping`` is column name -> source column; ``unknown`` the source columns left unmapped (in file
    order); ``missing_required`` the required columns no source column maps to.
    """

    mapping: dict[str, str]
    unknown: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    record: str = "application"
    filename: str = ""

    @property
    def ok(self) -> bool:
        return not self.missing_required

    def message(self) -> str:
        """What is missing and how to map it, in words ("" when nothing is)."""
        return missing_columns_message(self.missing_required, self.columns, self.unknown, labels=self.labels,
                                       record=self.record, filename=self.filename)

    def require(self) -> dict[str, str]:
        """The mapping, or :class:`MissingColumns` naming what is missing and how to map it."""
        if self.missing_required:
            raise MissingColumns(self.message(), self.missing_required)
        return dict(self.mapping)


def missing_columns_message(missing: Iterable[str], columns: Iterable[str], unknown: Iterable[str], *,
                            labels: Mapping[str, str] | None = None, record: str = "application",
                            filename: str = "") -> str:
    """One message for a missing column in any import: which, what it holds, the file's columns, what to do."""
    missing = list(missing)
    if not missing:
        return ""
    labels = labels or {}
    names = ", ".join(f"'{m}'" + (f" ({labels[m]})" if m in labels else "") for m in missing)
    columns = [str(c) for c in columns]
    listed = ", ".join(f"'{c}'" for c in columns[:30]) + (", …" if len(columns) > 30 else "")
    unknown = list(unknown)
    text = f"{filename or 'The file'} has no column for {names}, which every {record} needs."
    if columns:
        text += f" Its columns are: {listed}."
    if unknown:
        shown = ", ".join(f"'{u}'" for u in unknown[:12])
        return (text + f" Map one of the unrecognised columns ({shown}) to '{missing[0]}' by hand on the Import "
                f"page, or rename the file's column to '{missing[0]}' and import again.")
    return text + f" Add a column headed '{missing[0]}' to the file and import again."


def _score(key: str, specs: Sequence[ColumnSpec], ranked: Sequence[ColumnSpec]) -> tuple[str | None, int]:
    """(column, strength): 3 = the column's own name, 2 = an alias, 1 = a keyword rule."""
    for spec in specs:
        if key == header_key(spec.name):
            return spec.name, 3
    for spec in specs:
        if key in spec.aliases:
            return spec.name, 2
    for spec in ranked:
        if spec.when is not None and not spec.when.search(key):
            continue
        if any(p.search(key) for p in spec.unless):
            continue
        if any(rule.search(key) for rule in spec.rules):
            return spec.name, 1
    return None, 0


def match_columns(columns: Iterable[str], specs: Sequence[ColumnSpec],
                  manual: Mapping[str, str | None] | None = None, *, record: str = "application",
                  filename: str = "") -> HeaderMatch:
    """Match source columns to ``specs``, tolerantly (case, spacing, punctuation, form-export questions).

    Each source column gets the column its header names (own name, then an alias, then the first keyword
    rule by rank); when several source columns get one column, the stronger match wins (then the earlier
    column) and the others are unknown. ``manual`` maps source column -> column by hand and wins over the
    automatic match; a value of ``None`` or ``""`` leaves that source column unmapped.
    """
    columns = [str(c) for c in columns]
    names = [spec.name for spec in specs]
    article = "an" if record[:1] in "aeiou" else "a"
    manual = dict(manual or {})
    for source, canonical in manual.items():
        if source not in columns:
            raise WorkbenchError(
                f"The file has no column '{source}' to map by hand. Its columns are: "
                + ", ".join(f"'{c}'" for c in columns) + "."
            )
        if canonical and canonical not in names:
            raise WorkbenchError(
                f"'{canonical}' is not {article} {record} column; map '{source}' to one of: " + ", ".join(names) + "."
            )
    mapping: dict[str, str] = {}
    for source, canonical in manual.items():
        if canonical:
            if canonical in mapping:
                raise WorkbenchError(
                    f"Both '{mapping[canonical]}' and '{source}' are mapped to '{canonical}' by hand; "
                    "map only one of them."
                )
            mapping[canonical] = source
    ranked = sorted(specs, key=lambda spec: spec.rank)  # stable: equal ranks keep the specs' order
    best: dict[str, tuple[int, int, str]] = {}
    for position, source in enumerate(columns):
        if source in manual:
            continue
        canonical, strength = _score(header_key(source), specs, ranked)
        if canonical is None or canonical in mapping:
            continue
        current = best.get(canonical)
        if current is None or (strength, -position) > (current[0], -current[1]):
            best[canonical] = (strength, position, source)
    mapping.update({canonical: source for canonical, (_, _, source) in best.items()})
    used = set(mapping.values())
    unknown = [c for c in columns if c not in used]
    ordered = {n: mapping[n] for n in names if n in mapping}
    missing = [spec.name for spec in specs if spec.required and spec.name not in ordered]
    return HeaderMatch(ordered, unknown, missing, columns, {spec.name: spec.label for spec in specs}, record,
                       filename)


def form_signature(columns: Iterable[str]) -> str:
    """A form's header row as one key (each header through :func:`header_key`, in order, hashed): the same
    form exported again, for the next round, has the same signature, so a mapping made by hand is remembered."""
    import hashlib

    joined = "\x1f".join(header_key(str(c)) for c in columns)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:16]


def match_headers(columns: Iterable[str], manual: Mapping[str, str | None] | None = None, *,
                  filename: str = "") -> HeaderMatch:
    """Match an application file's columns to :data:`CANONICAL` (see :func:`match_columns`)."""
    return match_columns(columns, APPLICATION_COLUMNS, manual, record="application", filename=filename)
