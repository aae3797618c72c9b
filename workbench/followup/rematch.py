"""Re-matching a stranded participant with someone from the waitlist or another stranded participant.

A participant is **stranded** when none of their partnerships in the round's published matching is
going well: each is ended, or has an open case. The **waitlist** of a round is its applicants who were
admitted or waitlisted but placed in no partnership.

A re-match keeps the matching's hard rules by asking the matching's own function,
:func:`workbench.matching.rules.broken_rules` (different people, on different sides of the program's
cross-border rule, the setting ``cross_border``: different countries by default, or sub-regions, or
organisations; a shared working language, never partners before, in any round and this one included, and not
a pair a coordinator forbade in the round's matching rules), so it can never make a pair the matching would
refuse. It adds
only what is specific to a re-match:

- each person is in at most one live partnership: both must be stranded or on the waitlist (the
  re-match ends the faltering partnerships they leave and closes their open cases as re-matched);
- both belong to the round, and neither has withdrawn nor is still undecided;
- someone admitted from the waitlist must fit under the round's per-country cap: the same question
  admission asks (:func:`workbench.applications.admission.cap_room`, the ``country_cap_limit`` macro
  over the round's live applications), so a re-match refuses exactly what admission refuses.

The new partnership is a pair in the round's published run, status ``active``; everything is written
in one transaction and audited under the signed-in user. A re-match is a case action
(:data:`workbench.access.Action.CASES`): a country coordinator re-matches when one of the two lives in
their countries and every faltering partnership they leave has a member there. The lists of people
(:func:`stranded`, :func:`waitlist`, :func:`candidates`) are personal data: a country coordinator sees
the stranded and waiting people of their countries, and candidates from elsewhere by name and country
(their sector and career stage blank).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd

from workbench import db
from workbench.access import Action, User, redact_outside, require, scope_frame
from workbench.applications.admission import application_side, cap_room, side_label
from workbench.errors import NotFound, WorkbenchError
from workbench.followup.interventions import end_partnership, require_case_action
from workbench.matching import rules
from workbench.matching.model import Applicant
from workbench.matchstore import cross_border


class RematchRefused(WorkbenchError):
    """The two people cannot be partnered; ``problems`` lists every rule the pair breaks."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("This re-match breaks the matching's rules: " + " ".join(problems))


@dataclass(frozen=True)
class Person:
    application_id: int
    person_id: int
    round_id: str
    name: str
    country_iso3: str
    country: str
    languages: tuple[str, ...]
    interests: tuple[str, ...]
    utc_offset_minutes: int
    status: str
    sector: str
    career_stage: str
    live: tuple[int, ...]        # live (not ended) partnerships in the published run
    faltering: tuple[int, ...]   # of those, the ones with an open case
    ended: tuple[int, ...]
    organisation: str | None = None  #: where they work, as given (the organisation rule compares it)

    @property
    def healthy(self) -> tuple[int, ...]:
        return tuple(p for p in self.live if p not in self.faltering)

    @property
    def is_stranded(self) -> bool:
        return bool(self.live or self.ended) and not self.healthy

    @property
    def is_waiting(self) -> bool:
        return not (self.live or self.ended) and self.status in {"accepted", "waitlisted"}

    def as_applicant(self, past_partners: frozenset[int] = frozenset()) -> Applicant:
        """This person as the matching's hard rules see them."""
        return Applicant(
            application_id=self.application_id, person_id=self.person_id, name=self.name,
            country=self.country_iso3, sector=self.sector, career_stage=self.career_stage,
            interests=frozenset(self.interests), languages=frozenset(self.languages),
            utc_offset_minutes=self.utc_offset_minutes, past_partners=past_partners, organisation=self.organisation,
        )


def published_run(con: db.Connection, round_id: str) -> int:
    row = con.execute("SELECT run_id FROM match_runs WHERE round_id = ? AND status = 'published'",
                      [round_id]).fetchone()
    if row is None:
        raise NotFound(f"{round_id} has no published matching yet, so nobody in it can be re-matched. "
                       "Publish the round's matching first.")
    return int(row[0])


_PEOPLE_SQL = """
WITH placed AS (
    SELECT m.application_id, p.partnership_id, p.status,
        EXISTS (SELECT 1 FROM interventions AS i
                WHERE i.partnership_id = p.partnership_id AND i.status IN ('open', 'contacted')) AS has_open_case
    FROM partnerships AS p JOIN partnership_members AS m ON m.partnership_id = p.partnership_id
    JOIN match_runs AS r ON r.run_id = p.run_id AND r.status = 'published'
    WHERE p.round_id = $round AND p.status <> 'broken'  -- broken before publishing: never a partnership
)
SELECT a.application_id, a.person_id, a.round_id, a.name, a.country_iso3, c.name, a.languages, a.interests,
    a.utc_offset_minutes, a.status, a.sector, a.career_stage,
    coalesce(list(pl.partnership_id ORDER BY pl.partnership_id) FILTER (WHERE pl.status <> 'ended'), []),
    coalesce(list(pl.partnership_id ORDER BY pl.partnership_id)
        FILTER (WHERE pl.status <> 'ended' AND pl.has_open_case), []),
    coalesce(list(pl.partnership_id ORDER BY pl.partnership_id) FILTER (WHERE pl.status = 'ended'), []),
    a.organisation
FROM applications AS a
JOIN countries AS c ON c.iso3 = a.country_iso3
LEFT JOIN placed AS pl ON pl.application_id = a.application_id
WHERE a.round_id = $round {extra}
GROUP BY ALL
ORDER BY a.application_id
"""


def _people(con: db.Connection, round_id: str, application_ids: list[int] | None = None) -> list[Person]:
    extra = "" if application_ids is None else "AND a.application_id IN (SELECT unnest($ids))"
    params: dict[str, object] = {"round": round_id}
    if application_ids is not None:
        params["ids"] = application_ids
    rows = con.execute(_PEOPLE_SQL.format(extra=extra), params).fetchall()
    return [Person(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6]), tuple(r[7]), r[8], r[9], r[10], r[11],
                   tuple(r[12]), tuple(r[13]), tuple(r[14]), r[15]) for r in rows]


def _person(con: db.Connection, application_id: int) -> Person:
    row = con.execute("SELECT round_id FROM applications WHERE application_id = ?", [application_id]).fetchone()
    if row is None:
        raise NotFound(f"There is no application {application_id}. Reload the page.")
    (person,) = _people(con, row[0], [application_id])
    return person


def get_person(con: db.Connection, application_id: int, *, by: User) -> Person:
    """One applicant as a re-match sees them (for someone who may see their country's participants)."""
    require(by, Action.VIEW_PERSONAL)
    person = _person(con, application_id)
    require(by, Action.VIEW_PERSONAL, [person.country_iso3], what=f"{person.name}'s application")
    return person


def _past_partners(con: db.Connection, person_id: int) -> dict[int, tuple[str, int]]:
    """person_id -> (round, partnership) of everyone ever partnered with ``person_id`` (published runs)."""
    rows = con.execute(
        """SELECT b.person_id, p.round_id, p.partnership_id
           FROM partnership_members AS ma
           JOIN applications AS a ON a.application_id = ma.application_id AND a.person_id = ?
           JOIN partnerships AS p ON p.partnership_id = ma.partnership_id AND p.status <> 'broken'
           JOIN match_runs AS r ON r.run_id = p.run_id AND r.status = 'published'
           JOIN partnership_members AS mb ON mb.partnership_id = ma.partnership_id
           JOIN applications AS b ON b.application_id = mb.application_id AND b.person_id <> a.person_id
           ORDER BY p.partnership_id""", [person_id]).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def _forbidden(con: db.Connection, round_id: str) -> frozenset[frozenset[int]]:
    """The pairs a coordinator forbade in the round's matching rules (application ids)."""
    rows = con.execute("SELECT application_a_id, application_b_id FROM match_rules "
                       "WHERE round_id = ? AND kind = 'forbid'", [round_id]).fetchall()
    return frozenset(frozenset((int(x), int(y))) for x, y in rows)


@dataclass(frozen=True)
class _Context:
    """What the rules need to know about a re-match's first person beyond the two applications."""

    past: dict[int, tuple[str, int]]  #: person_id -> (round, partnership) of their earlier partners
    forbidden: frozenset[frozenset[int]]
    cross_border: rules.CrossBorder = "country"  #: the program's cross-border rule, as the matching reads it

    @classmethod
    def of(cls, con: db.Connection, a: Person) -> _Context:
        return cls(_past_partners(con, a.person_id), _forbidden(con, a.round_id), cross_border(con))


def _languages(items: tuple[str, ...]) -> str:
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1] if items else "no language"


def _hard_rule_problems(a: Person, b: Person, context: _Context) -> list[str]:
    """The matching's hard rules (:func:`workbench.matching.rules.broken_rules`), as sentences."""
    found = []
    for broken in rules.broken_rules(a.as_applicant(frozenset(context.past)), b.as_applicant(), context.forbidden,
                                     cross_border=context.cross_border):
        if broken.rule == "same_person":
            found.append("Pick two different people: a participant cannot be their own partner.")
            continue
        text = f"{a.name} and {b.name} cannot be partners: {broken.reason}."
        if broken.rule == "cross_border":
            rule = context.cross_border
            must = rules.CROSS_BORDER[rule].must
            if rule == "country":
                where = f"both live in {a.country} ({a.country_iso3})"
            elif rule == "region":
                where = (f"({a.country_iso3}) and {b.name} ({b.country_iso3}) both come from "
                         f"{rules.sub_region(a.country_iso3)}")
            else:
                where = f"both work at {a.organisation}"
            names = f"{a.name} {where}" if rule == "region" else f"{a.name} and {b.name} {where}"
            text = f"{names}: partners must {must} (the program's {rule} rule)."
        elif broken.rule == "no_shared_language":
            text = (f"{a.name} works in {_languages(a.languages)} and {b.name} in {_languages(b.languages)}: "
                    "partners need at least one working language in common.")
        elif broken.rule == "repeat_partnership" and b.person_id in context.past:
            round_id, pid = context.past[b.person_id]
            text = (f"{a.name} and {b.name} were partners in {round_id} (partnership {pid}): the program never "
                    "repeats a partnership.")
        elif broken.rule == "forbidden":
            text = (f"A coordinator forbade pairing {a.name} and {b.name} in {a.round_id}'s matching rules; "
                    "lift the forbid on the Matching page first if they may be partners after all.")
        found.append(text)
    return found


def _cap_problems(con: db.Connection, a: Person, b: Person) -> list[str]:
    """Someone admitted from the waitlist must fit under the round's cap, exactly as admission asks."""
    admitted = [p for p in (a, b) if p.is_waiting and p.status == "waitlisted"]
    if not admitted or a.round_id != b.round_id:
        return []
    sides = {p.application_id: application_side(con, p.application_id) for p in admitted}
    rooms = {room.side: room for room in cap_room(con, a.round_id, [s for s in sides.values() if s is not None])}
    found = []
    for p in admitted:
        side = sides[p.application_id]
        room = rooms.get(side) if side is not None else None  # no side (no organisation given): never capped
        if room is not None and not room.fits:
            found.append(
                f"{p.name} is on the waitlist, and admitting them would give {side_label(room.rule, room.side)} "
                f"{room.accepted + room.admitting} accepted applicants, above the round's cap of {room.limit} "
                f"({room.cap_share:.0%} of {room.live} live applications). Choose a stranded participant or someone "
                "from elsewhere, or raise the round's cap."
            )
    return found


def _rule_problems(con: db.Connection, a: Person, b: Person, context: _Context) -> list[str]:
    """Every rule a re-match of ``a`` with ``b`` breaks: the matching's hard rules, then a re-match's own."""
    problems = _hard_rule_problems(a, b, context)
    if a.application_id == b.application_id:
        return problems
    if a.round_id != b.round_id:
        problems.append(f"{b.name} applied to {b.round_id}, not {a.round_id}: a re-match stays within one round.")
    for p in (a, b):
        if p.status in {"withdrawn", "received"}:
            what = "withdrew their application" if p.status == "withdrawn" else "has not been admitted yet"
            problems.append(f"{p.name} {what}; only admitted or waitlisted applicants can be re-matched.")
        elif p.healthy:
            ids = ", ".join(str(x) for x in p.healthy)
            problems.append(f"{p.name} is in partnership {ids}, which has no open case: they are not stranded, and "
                            "a person is in at most one live partnership. Choose someone stranded or on the "
                            "waitlist (or open a case on that partnership first).")
    problems.extend(_cap_problems(con, a, b))
    return problems


def problems(con: db.Connection, application_id: int, partner_application_id: int, *, by: User) -> list[str]:
    """Every hard rule a re-match of these two would break (empty when they can be partnered).

    The sentences name both people: for someone who may see one of them."""
    require(by, Action.VIEW_PERSONAL)
    a = _person(con, application_id)
    b = _person(con, partner_application_id)
    require(by, Action.VIEW_PERSONAL, [a.country_iso3, b.country_iso3], what=f"A re-match of {a.name}")
    return _rule_problems(con, a, b, _Context.of(con, a))


def _hours_apart(a: int, b: int) -> float:
    d = abs(a - b) % 1440
    return min(d, 1440 - d) / 60


def _reason(con: db.Connection, p: Person) -> str:
    if p.faltering:
        cases = con.execute(
            "SELECT intervention_id, status, reason FROM interventions WHERE partnership_id IN (SELECT unnest(?)) "
            "AND status IN ('open', 'contacted') ORDER BY intervention_id", [list(p.faltering)]).fetchall()
        return "; ".join(f"case {i} ({s}): {r}" for i, s, r in cases)
    if p.ended:
        return f"partnership {p.ended[-1]} ended"
    return "on the waitlist"


def stranded(con: db.Connection, round_id: str, *, by: User) -> pd.DataFrame:
    """The round's stranded participants (of a country coordinator's countries): each with the faltering
    or ended partnership and why."""
    require(by, Action.VIEW_PERSONAL)
    published_run(con, round_id)
    rows = [p for p in _people(con, round_id) if p.is_stranded and p.status not in {"withdrawn", "received"}]
    return scope_frame(by, _frame(con, rows, "stranded"))


def waitlist(con: db.Connection, round_id: str, *, by: User) -> pd.DataFrame:
    """The round's applicants (of a country coordinator's countries) admitted or waitlisted but placed in
    no partnership."""
    require(by, Action.VIEW_PERSONAL)
    published_run(con, round_id)
    return scope_frame(by, _frame(con, [p for p in _people(con, round_id) if p.is_waiting], "waitlist"))


_COLUMNS = ["application_id", "name", "country_iso3", "country", "languages", "interests", "sector", "career_stage",
            "utc_offset_minutes", "source", "partnerships", "reason"]


def _frame(con: db.Connection, people: list[Person], source: str) -> pd.DataFrame:
    return pd.DataFrame([
        {"application_id": p.application_id, "name": p.name, "country_iso3": p.country_iso3, "country": p.country,
         "languages": ", ".join(p.languages), "interests": ", ".join(p.interests), "sector": p.sector,
         "career_stage": p.career_stage, "utc_offset_minutes": p.utc_offset_minutes, "source": source,
         "partnerships": ", ".join(str(x) for x in (*p.live, *p.ended)),
         "reason": _reason(con, p) if source == "stranded" else "on the waitlist"}
        for p in people], columns=_COLUMNS)


def candidates(con: db.Connection, application_id: int, *, by: User) -> pd.DataFrame:
    """Everyone stranded or waiting in the participant's round, best first, with the rules each breaks.

    Columns: the person, ``source`` (stranded or waitlist), ``shared_interests``, ``shared_languages``,
    ``hours_apart`` (time zones), ``feasible`` and ``problems`` (the hard rules broken, as text). The
    participant must be within ``by``'s countries; candidates outside them show name and country only
    (with what the pair shares).
    """
    a = get_person(con, application_id, by=by)
    published_run(con, a.round_id)
    context = _Context.of(con, a)
    rows = []
    for b in _people(con, a.round_id):
        if b.application_id == a.application_id or not (b.is_stranded or b.is_waiting):
            continue
        if b.status in {"withdrawn", "received"}:
            continue
        found = _rule_problems(con, a, b, context)
        rows.append({
            "application_id": b.application_id, "name": b.name, "country": b.country,
            "country_iso3": b.country_iso3, "source": "stranded" if b.is_stranded else "waitlist",
            "shared_interests": len(set(a.interests) & set(b.interests)),
            "shared_languages": ", ".join(sorted(set(a.languages) & set(b.languages))),
            "hours_apart": _hours_apart(a.utc_offset_minutes, b.utc_offset_minutes),
            "sector": b.sector, "career_stage": b.career_stage, "feasible": not found,
            "problems": " ".join(found),
        })
    frame = pd.DataFrame(rows, columns=["application_id", "name", "country", "country_iso3", "source",
                                        "shared_interests", "shared_languages", "hours_apart", "sector",
                                        "career_stage", "feasible", "problems"])
    frame = frame.sort_values(["feasible", "shared_interests", "hours_apart", "application_id"],
                              ascending=[False, False, True, True], ignore_index=True)
    return redact_outside(by, frame, country_column="country_iso3", personal_columns=["sector", "career_stage"])


def rematch(con: db.Connection, application_id: int, partner_application_id: int, *, by: User, note: str = "",
            today: dt.date | None = None) -> int:
    """Partner two stranded or waiting people; returns the new partnership's id.

    Raises :class:`RematchRefused` listing every hard rule broken. In one transaction: the faltering
    partnerships both leave are ended and their open cases closed as re-matched (with a note), someone
    from the waitlist is admitted, and the new pair is made in the round's published run. Refused
    (:class:`workbench.access.NotAllowed`) unless ``by`` may work the cases of both people's countries'
    partnerships: the new one and every one they leave.
    """
    require(by, Action.CASES)
    a = _person(con, application_id)
    b = _person(con, partner_application_id)
    require(by, Action.CASES, {a.country_iso3, b.country_iso3}, what=f"A re-match of {a.name} and {b.name}")
    for old in sorted({*a.faltering, *b.faltering}):
        require_case_action(con, by, old)
    today = today or dt.date.today()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    with db.transaction(con):
        a = _person(con, application_id)
        b = _person(con, partner_application_id)
        found = _rule_problems(con, a, b, _Context.of(con, a))
        if found:
            raise RematchRefused(found)
        run_id = published_run(con, a.round_id)
        (partnership_id,) = db.next_ids(con, "partnerships")
        left = sorted({*a.faltering, *b.faltering})
        detail = {"rematch": {"replaces": left, "by": by.actor, "on": today.isoformat()}}
        con.execute(
            "INSERT INTO partnerships (partnership_id, run_id, round_id, kind, score, score_detail, status, is_locked, "
            "created_at) VALUES (?, ?, ?, 'pair', NULL, ?, 'active', false, ?)",
            [partnership_id, run_id, a.round_id, json.dumps(detail), now])
        con.execute("INSERT INTO partnership_members VALUES (?, ?), (?, ?)",
                    [partnership_id, a.application_id, partnership_id, b.application_id])
        text = (f"Re-matched: {a.name} ({a.country_iso3}) with {b.name} ({b.country_iso3}), "
                f"partnership {partnership_id}.")
        if note.strip():
            text += " " + note.strip()
        for old in left:
            end_partnership(con, old, by=by)
            for case_id, version, notes in con.execute(
                    "SELECT intervention_id, version, notes FROM interventions WHERE partnership_id = ? "
                    "AND status IN ('open', 'contacted')", [old]).fetchall():
                line = f"{today:%Y-%m-%d} {by.actor}: {text}"
                db.update_versioned(con, "interventions", "intervention_id", case_id, version,
                                    {"status": "rematched", "closed_on": today, "updated_at": now,
                                     "notes": f"{notes}\n{line}" if notes else line},
                                    actor=by.actor, action="case rematched")
        for p in (a, b):
            if p.status == "waitlisted":
                (version,) = con.execute("SELECT version FROM applications WHERE application_id = ?",
                                         [p.application_id]).fetchone()  # type: ignore[misc]
                db.update_versioned(con, "applications", "application_id", p.application_id, version,
                                    {"status": "accepted", "status_reason": "admitted by a re-match"},
                                    actor=by.actor, action="admit from waitlist")
        db.audit(con, actor=by.actor, action="rematch", entity="partnerships", entity_id=partnership_id,
                 after={"members": [a.application_id, b.application_id], "replaces": left, "note": note})
    return partnership_id
