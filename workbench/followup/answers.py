"""Check-ins and the end-of-round survey answered on the participant's own page (the links in the program's email).

The pages (``/checkin/<token>``, ``/survey/<token>``: :mod:`workbench.participants.checkins`) know from their token
who answers (an application, its partnership, the fortnight); this module checks the answer and stores it through
:func:`workbench.followup.checkins.write_answers`, the one home the CSV import uses too, marked ``source = 'link'``.
One answer a person a fortnight (one survey): answering again updates it.

A check-in asks "Did you and your partner talk this fortnight?": ``yes``, ``not_yet`` or ``no_reply`` (my partner
has not replied), stored as the import stores a form's answers (``contact_made``; ``partner_replied`` false for
``no_reply``, unknown for ``not_yet``), then optionally how (the program's ``method`` vocabulary), which topics,
a rating 1 to 5 and a note to the coordinators. ``partnership_health`` reads the stored answers, so it changes at
once; when the answer flags a partnership that never had a case (a partner not replying, two fortnights without
contact running, a low rating: :mod:`workbench.followup.health`), the case opens in the same transaction.

The survey's answers: satisfaction with the program and with the partner (1 to 5), whether the topics were used,
the methods, whether they would take part again, the impact text, and "May we quote your answer, without your
name?": a yes clears the text for presenter slides and the analyst snapshot (``surveys.is_cleared``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from workbench import db
from workbench.access import Action, User, require
from workbench.errors import NotFound, WorkbenchError
from workbench.followup.checkins import stored_answers, write_answers
from workbench.followup.health import LOW_RATING, needing_a_case
from workbench.followup.interventions import insert_case
from workbench.intake.cells import MAX_FREE_TEXT
from workbench.program.settings import get_setting
from workbench.program.survey import questions_in
from workbench.program.vocabularies import vocabulary

#: The answers to "Did you and your partner talk this fortnight?".
TALKED: tuple[str, ...] = ("yes", "not_yet", "no_reply")
#: How each is stored: (contact_made, partner_replied).
_TALKED_FIELDS: dict[str, tuple[bool, bool | None]] = {
    "yes": (True, True), "not_yet": (False, None), "no_reply": (False, False)}
#: Partnerships a participant may still report on (a published one).
_REPORTING = ("active", "completed")


class AnswerInvalid(WorkbenchError):
    """An answer that cannot be stored: ``problems`` maps each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def talked_of(contact_made: bool | None, partner_replied: bool | None) -> str | None:
    """The check-in answer a stored row stands for (``yes``, ``not_yet``, ``no_reply``)."""
    if contact_made is None:
        return None
    if contact_made:
        return "yes"
    return "no_reply" if partner_replied is False else "not_yet"


@dataclass(frozen=True)
class CheckinAnswer:
    talked: str
    methods: tuple[str, ...] = ()
    topics: tuple[int, ...] = ()
    rating: int | None = None
    note: str | None = None


@dataclass(frozen=True)
class SurveyAnswer:
    program_satisfaction: int
    partner_satisfaction: int | None = None
    used_topics: bool = False
    methods: tuple[str, ...] = ()
    would_return: bool | None = None
    impact_text: str | None = None
    may_quote: bool = False


@dataclass(frozen=True)
class Who:
    """Who answers: their application, partnership and round (what a token names), with their name."""

    application_id: int
    partnership_id: int
    round_id: str
    round_label: str
    name: str


@dataclass
class CheckinForm:
    """What the check-in page shows: the fortnight, its topic first then the round's others, the methods, and
    the answer stored already (to show and to change)."""

    who: Who
    fortnight: int
    topics: list[tuple[int, str]]
    methods: list[tuple[str, str]]
    stored: dict[str, Any] | None


@dataclass
class SurveyForm:
    who: Who
    questions: dict[str, str]
    methods: list[tuple[str, str]]
    stored: dict[str, Any] | None


@dataclass(frozen=True)
class Answered:
    updated: bool  #: an earlier answer was replaced
    cases: tuple[int, ...] = field(default=())  #: cases the answer opened


def who_answers(con: db.Connection, application_id: int, partnership_id: int | None = None) -> Who:
    """The participant a token names, in a published partnership (their latest one of the round when
    ``partnership_id`` is None); :class:`NotFound` when the application or the partnership is gone."""
    person = con.execute("SELECT a.round_id, r.label, a.name, a.status FROM applications AS a JOIN rounds AS r "
                         "ON r.round_id = a.round_id WHERE a.application_id = ?", [application_id]).fetchone()
    placed = con.execute("SELECT p.partnership_id, p.status FROM partnership_members AS m JOIN partnerships AS p "
                         "ON p.partnership_id = m.partnership_id WHERE m.application_id = ?",
                         [application_id]).fetchall()
    # the named partnership, else the latest live one (a published partnership, not an ended one first)
    live = sorted(((status in _REPORTING, pid) for pid, status in placed
                   if status in (*_REPORTING, "ended") and partnership_id in (None, pid)), reverse=True)
    if person is None or person[3] == "withdrawn" or not live:
        raise NotFound("This link no longer leads to a partnership of the program: the partnership or the "
                       "application was changed. Reply to the program's email and a coordinator will help.")
    return Who(application_id, int(live[0][1]), str(person[0]), str(person[1]), str(person[2]))


def _methods(con: db.Connection) -> list[tuple[str, str]]:
    return [(t.value, t.label) for t in vocabulary(con, "method").terms]


def _topics(con: db.Connection, round_id: str, fortnight: int) -> list[tuple[int, str]]:
    rows = [(int(s), str(t)) for s, t in con.execute(
        "SELECT seq, title FROM topics WHERE round_id = ? ORDER BY seq", [round_id]).fetchall()]
    return sorted(rows, key=lambda r: (r[0] != fortnight, r[0]))


def checkin_form(con: db.Connection, application_id: int, partnership_id: int, fortnight: int) -> CheckinForm:
    who = who_answers(con, application_id, partnership_id)
    stored = stored_answers(con, "checkins", application_id, fortnight)
    return CheckinForm(who, fortnight, _topics(con, who.round_id, fortnight), _methods(con), stored)


def survey_form(con: db.Connection, application_id: int, language: str) -> SurveyForm:
    who = who_answers(con, application_id)
    questions = questions_in(get_setting(con, "survey_questions") or {}, language)
    return SurveyForm(who, questions, _methods(con), stored_answers(con, "surveys", application_id))


def _check_common(con: db.Connection, methods: tuple[str, ...], rating: int | None, what: str,
                  problems: dict[str, str]) -> list[str]:
    known = vocabulary(con, "method")
    unknown = [m for m in methods if m not in known]
    if unknown:
        problems["methods"] = f"not ways of keeping in touch the program knows: {', '.join(unknown)}"
    if rating is not None and not 1 <= rating <= 5:
        problems[what] = f"a number from 1 to 5, not {rating}"
    return known.order(methods)


def _text(value: str | None, what: str, problems: dict[str, str]) -> str | None:
    text = (value or "").strip()
    if len(text) > MAX_FREE_TEXT:
        problems[what] = f"at most {MAX_FREE_TEXT:,} characters (this one has {len(text):,})"
    return text or None


def _open_cases(con: db.Connection, who: Who, raised_by: int, by: User, today: dt.date) -> tuple[int, ...]:
    """Open the case a just-stored answer calls for. The flags are read first outside the write lock (other
    answers are written meanwhile); only a flagged partnership without a case takes the lock, and is asked again
    inside it (two answers at once open one case)."""
    if con.execute("SELECT 1 FROM interventions WHERE partnership_id = ? LIMIT 1", [who.partnership_id]).fetchone():
        return ()  # it has (or had) a case: a new one is a coordinator's call (workbench.followup.health)
    flagged = con.execute("SELECT is_flagged AND interventions = 0 FROM partnership_health WHERE round_id = ? "
                          "AND partnership_id = ?", [who.round_id, who.partnership_id]).fetchone()
    if not flagged or not flagged[0]:
        return ()
    ids = []
    with db.transaction(con):
        for need in needing_a_case(con, who.round_id, partnership_id=who.partnership_id):
            ids.append(insert_case(con, who.partnership_id, reason="; ".join(need.reasons), by=by,
                                   application_id=raised_by, opened_on=today,
                                   note="Opened from the health flags when a check-in was answered by link."))
    return tuple(ids)


def answer_checkin(con: db.Connection, application_id: int, partnership_id: int, fortnight: int,
                   answer: CheckinAnswer, *, by: User, today: dt.date | None = None) -> Answered:
    """Store a check-in answered by link (or update the one given before), then open a case at once when the
    partnership is flagged and never had one. ``by`` is who writes for the participant
    (:func:`workbench.access.system_user`)."""
    require(by, Action.IMPORT)
    day = today or dt.date.today()
    problems: dict[str, str] = {}
    if answer.talked not in TALKED:
        problems["talked"] = f"one of {', '.join(TALKED)}"
    methods = _check_common(con, answer.methods, answer.rating, "rating", problems)
    note = _text(answer.note, "note", problems)
    with db.transaction(con):
        who = who_answers(con, application_id, partnership_id)
        if not 1 <= fortnight <= 12:
            raise NotFound(f"{who.round_label} has no fortnight {fortnight}.")
        seqs = {s for s, _ in _topics(con, who.round_id, fortnight)} if answer.topics else set()
        stray = [t for t in answer.topics if t not in seqs]
        if stray:
            problems["topics"] = f"not topics of {who.round_label}: {', '.join(map(str, stray))}"
        if problems:
            raise AnswerInvalid(problems)
        contact, replied = _TALKED_FIELDS[answer.talked]
        record: dict[str, Any] = {
            "application_id": application_id, "partnership_id": who.partnership_id, "fortnight": fortnight,
            "submitted_on": day, "contact_made": contact, "partner_replied": replied, "methods": methods,
            "topics_discussed": sorted(set(answer.topics)), "rating": answer.rating, "note": note}
        stored = stored_answers(con, "checkins", application_id, fortnight)
        if stored is None:
            write_answers(con, "checkins", who.round_id, [record], [], source="link", actor=by.actor)
        else:
            record.update(stored=stored, compared=["submitted_on", "contact_made", "partner_replied", "methods",
                                                   "topics_discussed", "rating"])
            write_answers(con, "checkins", who.round_id, [], [record], source="link", actor=by.actor)
    # only an answer with a warning sign can flag the partnership (the rules: workbench.followup.health)
    warning = not contact or replied is False or (answer.rating is not None and answer.rating <= LOW_RATING)
    cases = _open_cases(con, who, application_id, by, day) if warning else ()
    return Answered(stored is not None, cases)


def answer_survey(con: db.Connection, application_id: int, answer: SurveyAnswer, *, by: User,
                  today: dt.date | None = None) -> Answered:
    """Store the end-of-round survey answered by link (or update the one given before). A yes to "May we quote
    your answer?" clears the impact text for public use; a later change of the text keeps what was said."""
    require(by, Action.IMPORT)
    day = today or dt.date.today()
    problems: dict[str, str] = {}
    if not isinstance(answer.program_satisfaction, int) or not 1 <= answer.program_satisfaction <= 5:
        problems["program_satisfaction"] = "a number from 1 to 5"
    methods = _check_common(con, answer.methods, answer.partner_satisfaction, "partner_satisfaction", problems)
    text = _text(answer.impact_text, "impact_text", problems)
    if problems:
        raise AnswerInvalid(problems)
    with db.transaction(con):
        who = who_answers(con, application_id)
        record: dict[str, Any] = {
            "application_id": application_id, "partnership_id": who.partnership_id, "submitted_on": day,
            "program_satisfaction": answer.program_satisfaction, "partner_satisfaction": answer.partner_satisfaction,
            "methods": methods, "used_topics": bool(answer.used_topics), "would_return": answer.would_return,
            "impact_text": text, "impact_codes": [], "is_cleared": bool(answer.may_quote) and text is not None}
        stored = stored_answers(con, "surveys", application_id)
        if stored is None:
            write_answers(con, "surveys", who.round_id, [record], [], source="link", actor=by.actor)
        else:
            record.pop("impact_codes")  # the coordinators' codes stay while the text does
            record.update(stored=stored, compared=["submitted_on", "program_satisfaction", "partner_satisfaction",
                                                   "methods", "used_topics", "would_return", "impact_text"])
            write_answers(con, "surveys", who.round_id, [], [record], source="link", actor=by.actor)
    return Answered(stored is not None)


__all__ = [
    "TALKED",
    "AnswerInvalid",
    "Answered",
    "CheckinAnswer",
    "CheckinForm",
    "SurveyAnswer",
    "SurveyForm",
    "Who",
    "answer_checkin",
    "answer_survey",
    "checkin_form",
    "survey_form",
    "talked_of",
    "who_answers",
]
