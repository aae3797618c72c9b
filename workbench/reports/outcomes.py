"""Reports on the program's outcomes across rounds: satisfaction (returners against newcomers),
retention from round to round, and the coded impact answers.

All are aggregates except two: :func:`impact_answers` (the answers' text, for coding: personal data, so it
takes the signed-in user) and :func:`cleared_quotes` (only the answers a coordinator cleared for public
use, with round and country and nothing that names the person). A cleared answer is scrubbed before it is
quoted (:func:`quote_scrubber`): the name of any known participant or staff member becomes
:data:`NAME_STAND_IN`, and email addresses and phone numbers are removed, as the analyst snapshot does with
names (:class:`workbench.privacy.Replacer`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from workbench.access import Action, User, country_scope, require
from workbench.db import Connection
from workbench.followup.impact import coding_frame, suggest
from workbench.privacy import Replacer
from workbench.sample.vocabularies import IMPACT_SHARES

__all__ = [
    "NAME_STAND_IN",
    "CodingProgress",
    "OutcomesGlance",
    "cleared_quotes",
    "coding_progress",
    "impact_answers",
    "impact_by_round",
    "impact_categories",
    "impact_overall",
    "new_and_returning",
    "outcomes_glance",
    "quote_scrubber",
    "retention",
    "retention_matrix",
    "satisfaction_by_returning",
    "satisfaction_returning_overall",
]


def satisfaction_by_returning(con: Connection, *, round_id: str | None = None) -> pd.DataFrame:
    """The ``satisfaction_by_returning`` view: per round, returners against newcomers (with labels)."""
    sql = ("SELECT s.*, r.label FROM satisfaction_by_returning AS s JOIN rounds AS r ON r.round_id = s.round_id "
           "{where} ORDER BY s.round_seq, s.is_returning")
    if round_id is None:
        return con.execute(sql.format(where="")).df()
    return con.execute(sql.format(where="WHERE s.round_id = ?"), [round_id]).df()


def satisfaction_returning_overall(con: Connection) -> pd.DataFrame:
    """Returners against newcomers, all rounds together: respondents, shares satisfied with the
    program and the partner with 95% Wilson intervals (the ``wilson_low``/``wilson_high`` macros of
    ``macros.sql``), and the mean ratings."""
    return con.execute(
        """WITH g AS (
               SELECT participant_group, is_returning, sum(respondents) AS respondents,
                   sum(program_satisfied) AS program_satisfied,
                   sum(program_mean * respondents) / sum(respondents) AS program_mean,
                   sum(partner_respondents) AS partner_respondents, sum(partner_satisfied) AS partner_satisfied,
                   sum(partner_mean * partner_respondents) / nullif(sum(partner_respondents), 0) AS partner_mean
               FROM satisfaction_by_returning GROUP BY participant_group, is_returning)
           SELECT participant_group, is_returning, respondents, program_satisfied,
               round(program_mean, 3) AS program_mean, partner_respondents, partner_satisfied,
               round(partner_mean, 3) AS partner_mean,
               round(program_satisfied / nullif(respondents, 0), 4) AS program_satisfied_share,
               round(wilson_low(program_satisfied, respondents), 4) AS program_share_low,
               round(wilson_high(program_satisfied, respondents), 4) AS program_share_high,
               round(partner_satisfied / nullif(partner_respondents, 0), 4) AS partner_satisfied_share,
               round(wilson_low(partner_satisfied, partner_respondents), 4) AS partner_share_low,
               round(wilson_high(partner_satisfied, partner_respondents), 4) AS partner_share_high
           FROM g ORDER BY is_returning""").df()


def new_and_returning(con: Connection) -> pd.DataFrame:
    """The ``returning_participants`` view with round labels, rounds with participants only."""
    return con.execute("SELECT p.*, r.label FROM returning_participants AS p "
                       "JOIN rounds AS r ON r.round_id = p.round_id WHERE p.participants > 0 ORDER BY p.seq").df()


def retention(con: Connection) -> pd.DataFrame:
    """The ``retention`` view with round labels: of round X's participants, how many applied to and
    took part in each later round Y."""
    return con.execute(
        """SELECT t.*, rf.label AS from_label, rt.label AS to_label FROM retention AS t
           JOIN rounds AS rf ON rf.round_id = t.from_round_id JOIN rounds AS rt ON rt.round_id = t.to_round_id
           ORDER BY t.from_seq, t.to_seq""").df()


def retention_matrix(con: Connection, *, measure: str = "took_part_share") -> pd.DataFrame:
    """Retention as a cohort table: rows the round people were in, columns the later rounds.

    ``measure`` is a column of ``retention`` (``took_part_share``, ``applied_share``, ``took_part``,
    ``applied``). Rounds nobody has taken part in yet (not matched) are left out of the columns when
    the measure is about taking part.
    """
    frame = retention(con)
    if measure.startswith("took_part"):
        matched = set(frame.loc[frame["took_part"] > 0, "to_round_id"])
        frame = frame[frame["to_round_id"].isin(matched)]
    order_from = list(dict.fromkeys(frame.sort_values("from_seq")["from_label"]))
    order_to = list(dict.fromkeys(frame.sort_values("to_seq")["to_label"]))
    matrix = frame.pivot(index="from_label", columns="to_label", values=measure)
    return matrix.reindex(index=order_from, columns=order_to)


def impact_categories(con: Connection) -> pd.DataFrame:
    """The program's coding frame (its ``impact_category`` vocabulary): code, label and seq, in order."""
    return con.execute("SELECT value AS code, label, position AS seq FROM vocabulary_terms "
                       "WHERE kind = 'impact_category' ORDER BY position").df()


def impact_by_round(con: Connection) -> pd.DataFrame:
    """The ``impact_by_round`` view with round labels."""
    return con.execute("SELECT i.*, r.label AS round_label FROM impact_by_round AS i "
                       "JOIN rounds AS r ON r.round_id = i.round_id ORDER BY i.round_seq, i.category_seq").df()


def impact_overall(con: Connection) -> pd.DataFrame:
    """Per category, all rounds together: coded respondents, share, and the share "Rethinking
    mentoring" published (for the sample's categories, followed through a rename: the old code stays a synonym)."""
    frame = con.execute(
        """SELECT code, label, category_seq, sum(respondents) AS respondents,
               sum(coded_respondents) AS coded_respondents,
               round(sum(respondents) / sum(coded_respondents), 4) AS share
           FROM impact_by_round GROUP BY code, label, category_seq ORDER BY category_seq""").df()
    coding = coding_frame(con)
    published = {code: share for code, share in IMPACT_SHARES.items() if code in coding}
    for code, share in IMPACT_SHARES.items():  # a renamed category: its old code is a synonym
        current = coding.lookup(code)
        if current is not None:
            published.setdefault(current, share)
    frame["published_share"] = frame["code"].map(published)
    return frame


def impact_answers(con: Connection, round_id: str, *, by: User, which: str = "awaiting", search: str = "",
                   limit: int | None = None) -> pd.DataFrame:
    """A round's answers to the impact question (of ``by``'s countries) with their codes, the suggested
    codes, whether each is cleared for public use and where it came from (``source``: ``link``, answered on the
    survey page, is there as soon as it is given; ``import``, from a form's file).

    ``which``: ``awaiting`` (not confirmed yet), ``coded`` (confirmed), or ``all``. ``search`` keeps
    answers containing the text (case-insensitive).
    """
    require(by, Action.VIEW_PERSONAL)
    scope = country_scope(by)
    condition = {"awaiting": "AND NOT s.codes_confirmed", "coded": "AND s.codes_confirmed", "all": ""}[which]
    frame = con.execute(
        f"""SELECT s.survey_id, s.version, s.round_id, a.country_iso3, s.submitted_on, s.impact_text,
                s.impact_codes, s.codes_confirmed, s.is_cleared, s.source
            FROM surveys AS s JOIN applications AS a ON a.application_id = s.application_id
            WHERE s.round_id = $round AND s.impact_text IS NOT NULL {condition}
              AND ($search = '' OR contains(lower(s.impact_text), lower($search)))
              AND ($countries IS NULL OR list_contains($countries, a.country_iso3))
            ORDER BY s.survey_id {'LIMIT ' + str(int(limit)) if limit else ''}""",
        {"round": round_id, "search": search, "countries": None if scope is None else list(scope)}).df()
    coding = coding_frame(con)
    names = coding.labels()
    suggestions = [suggest(t, coding) for t in frame["impact_text"]]
    frame["suggested_codes"] = [list(s.codes) for s in suggestions]
    frame["why"] = [s.explain() for s in suggestions]
    frame["impact_codes"] = [list(c) for c in frame["impact_codes"]]
    frame["labels"] = [", ".join(names.get(c, c) for c in codes) for codes in frame["impact_codes"]]
    return frame


#: What the name of a participant or a staff member becomes in a public quote.
NAME_STAND_IN = "[name]"
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+%'-]+@[\w-]+(?:\.[\w-]+)+")
#: A run of digits with the separators phone numbers are written with; a phone number if it has 7 to 15 digits
#: and is not a date or a span of years (:func:`_is_phone`).
_PHONE_LIKE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d\s().\-/]{5,}\d(?!\w)")
_NOT_PHONES = (re.compile(r"\d{4}\s*[-–/]\s*\d{2,4}"),  # 2015-2017, 2016/17
               re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}"),  # 12/05/2016
               re.compile(r"\d{4}[./-]\d{1,2}[./-]\d{1,2}"))  # 2016-05-12


def _is_phone(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    return 7 <= digits <= 15 and not any(p.fullmatch(candidate.strip()) for p in _NOT_PHONES)


def _tidy(text: str) -> str:
    text = re.sub(r"\(\s*\)|\[\s*\]|<\s*>", "", text)  # brackets left empty by a removed address
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"\(\s+", "(", text)
    return re.sub(r"\s+([,.;:!?)])", r"\1", text).strip()


def quote_scrubber(con: Connection) -> Callable[[str], str]:
    """A function that makes an answer fit to quote in public: every known participant's and staff member's
    name (whole words, any case) becomes :data:`NAME_STAND_IN`; email addresses and phone numbers go.

    A coordinator clears an answer when it names nobody; this catches what a reader missed. It knows the names
    the database holds (a first name alone, or a person the program never met, stays)."""
    names = [r[0] for r in con.execute(
        "SELECT name FROM people UNION SELECT name FROM applications UNION SELECT name FROM coordinators").fetchall()
        if r[0]]
    replacer = Replacer(dict.fromkeys(names, NAME_STAND_IN), ambiguous=NAME_STAND_IN)

    def scrub(text: str) -> str:
        text = _EMAIL.sub("", str(text))  # first: an address often holds the person's name
        text = _PHONE_LIKE.sub(lambda m: "" if _is_phone(m.group(0)) else m.group(0), text)
        return _tidy(replacer.sub(text))

    return scrub


def cleared_quotes(con: Connection, *, round_id: str | None = None) -> pd.DataFrame:
    """The impact answers cleared for public use, to quote where the public sees them: the text with its
    round, country and confirmed categories, and nothing that names the person (no name, email or id).

    Only answers a coordinator marked cleared (:func:`workbench.followup.impact.set_cleared`) appear, and
    their text is scrubbed (:func:`quote_scrubber`): names, email addresses and phone numbers do not reach the
    public."""
    frame = con.execute(
        """SELECT s.round_id, r.label AS round_label, a.country_iso3, c.name AS country, s.impact_text,
               s.impact_codes
           FROM surveys AS s JOIN applications AS a ON a.application_id = s.application_id
           JOIN rounds AS r ON r.round_id = s.round_id JOIN countries AS c ON c.iso3 = a.country_iso3
           WHERE s.is_cleared AND s.impact_text IS NOT NULL AND trim(s.impact_text) <> ''
             AND ($round IS NULL OR s.round_id = $round)
           ORDER BY r.seq, c.name, s.impact_text""", {"round": round_id}).df()
    if len(frame):
        scrub = quote_scrubber(con)
        frame["impact_text"] = [scrub(t) for t in frame["impact_text"]]
    names = coding_frame(con).labels()
    frame["impact_codes"] = [list(codes) for codes in frame["impact_codes"]]
    frame["labels"] = [", ".join(names.get(c, c) for c in codes) for codes in frame["impact_codes"]]
    return frame


@dataclass(frozen=True)
class CodingProgress:
    round_id: str
    respondents: int
    answers: int
    confirmed: int
    awaiting: int
    no_impact: int  # confirmed with no category
    cleared: int  # cleared for public use


def coding_progress(con: Connection, round_id: str) -> CodingProgress:
    row = con.execute(
        """SELECT count(*), count(impact_text), count(*) FILTER (WHERE impact_text IS NOT NULL AND codes_confirmed),
               count(*) FILTER (WHERE impact_text IS NOT NULL AND NOT codes_confirmed),
               count(*) FILTER (WHERE impact_text IS NOT NULL AND codes_confirmed AND len(impact_codes) = 0),
               count(*) FILTER (WHERE impact_text IS NOT NULL AND is_cleared)
           FROM surveys WHERE round_id = ?""", [round_id]).fetchone()
    assert row is not None
    return CodingProgress(round_id, *(int(x) for x in row))


@dataclass(frozen=True)
class OutcomesGlance:
    """Headline outcome figures across rounds."""

    rounds: int
    respondents: int
    program_satisfied_share: float | None
    partner_satisfied_share: float | None
    returning_satisfied_share: float | None
    new_satisfied_share: float | None
    next_round_return_share: float | None  # participants who took part again in the next round
    awaiting_coding: int


def outcomes_glance(con: Connection) -> OutcomesGlance:
    row = con.execute(
        """SELECT
               (SELECT count(*) FROM satisfaction_by_round),
               (SELECT count(*) FROM surveys),
               (SELECT avg((program_satisfaction >= 4)::INTEGER) FROM surveys),
               (SELECT avg((partner_satisfaction >= 4)::INTEGER) FROM surveys WHERE partner_satisfaction IS NOT NULL),
               (SELECT sum(program_satisfied) / sum(respondents) FROM satisfaction_by_returning WHERE is_returning),
               (SELECT sum(program_satisfied) / sum(respondents) FROM satisfaction_by_returning WHERE NOT is_returning),
               (SELECT sum(took_part) / sum(cohort) FROM retention
                WHERE rounds_later = 1 AND to_round_id IN (SELECT round_id FROM participants)),
               (SELECT count(*) FROM surveys WHERE impact_text IS NOT NULL AND NOT codes_confirmed)""").fetchone()
    assert row is not None
    shares = [None if x is None else float(x) for x in row[2:7]]
    return OutcomesGlance(int(row[0]), int(row[1]), shares[0], shares[1], shares[2], shares[3], shares[4],
                          int(row[7]))
