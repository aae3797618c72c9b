"""Importing an application file into a round, in one transaction (see the package notes)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal

import duckdb
import pandas as pd

from workbench import db
from workbench.access import Action, User, may, require
from workbench.applications.admission import (
    apply_changes,
    cap_limit,
    cap_rule,
    cap_side,
    plan_cap,
    program_cap,
    round_applications,
)
from workbench.applications.report import ImportReport, NearMatch
from workbench.applications.rounds import (
    carry_over_plan,
    check_round_id,
    empty_carry,
    insert_carried,
    insert_round,
)
from workbench.applications.store import (
    OPEN_STATUSES,
    first_seq,
    insert_application_rows,
    next_seq,
    round_emails,
    round_row,
    write_failed,
)
from workbench.errors import NotFound, WorkbenchError
from workbench.intake import DateWindow, Rejection, match_headers, normalise_email, read_table, validate
from workbench.intake.headers import form_signature
from workbench.intake.validate import Keep
from workbench.intake.values import ADD, COLUMN_KINDS, Decisions
from workbench.matching.model import Applicant
from workbench.matching.rules import CROSS_BORDER, one_side_only, organisation_key
from workbench.people.identity import ANSWER_COLUMNS, reapplied, replace_answers
from workbench.people.linking import link_applications
from workbench.people.model import Linked, LinkResult
from workbench.program.settings import get_setting, set_setting
from workbench.program.vocabularies import add_term, vocabularies


def import_applications(
    con: db.Connection,
    data: bytes,
    filename: str,
    round_id: str,
    *,
    by: User,
    manual: Mapping[str, str | None] | None = None,
    confirmed_countries: Mapping[str, str] | None = None,
    confirmed_people: Mapping[str, int] | None = None,
    date_order: Literal["auto", "mdy", "dmy"] = "auto",
    dry_run: bool = False,
    values: Mapping[tuple[str, str], str] | None = None,
    add_values: bool = False,
    keep: Keep = "latest",
    cap: float | None = None,
    link: Literal["sure", "none"] = "sure",
    link_answers: Mapping[int, int] | None = None,
) -> ImportReport:
    """Import an application file (CSV or XLSX) into ``round_id``; see :mod:`workbench.applications`.

    ``manual`` maps file columns to canonical ones by hand, ``confirmed_countries`` a country as
    written to the ISO-3 code a coordinator confirmed, ``confirmed_people`` a (normalised) email to the
    ``person_id`` of a near-match the coordinator confirmed as the same person. Raises
    :class:`~workbench.intake.FileUnreadable`, :class:`~workbench.errors.ImportTooLarge` or
    :class:`~workbench.intake.MissingColumns` (nothing can be imported) and :class:`WorkbenchError` for a
    round that is closed to applications. A submission date outside the round's window
    (:func:`date_window`) rejects its row.

    ``by`` must be allowed to import (:class:`~workbench.access.NotAllowed` otherwise), for the dry run
    too: its report names known people (near-matches) with their emails. Writing also applies the cap,
    an admission decision, so it needs the right to decide on applications as well.

    Values outside the program's vocabularies never reject a row (:mod:`workbench.intake.values`): ``values``
    maps ``(column, value)`` to a known value, ``"add"`` or ``"drop"``; ``add_values`` adds every value
    without a decision. Adding a value to a vocabulary is a director's change (``Action.SETTINGS``): for anyone
    else "add" keeps the value as written, for a director to confirm on the Settings page. ``keep`` says which
    submission of someone who submitted twice is imported (the latest by default). ``cap`` is a new round's
    per-country cap (None: the program's). ``link`` "sure" links the applications the linking model is sure
    of (:mod:`workbench.people.linking`), "none" only those at a known address; ``link_answers`` maps a review
    row (the file's row) to the known person it is. No answer rejects a row: the rest go in as new people.
    ``manual`` None uses the mapping remembered for this form (the same
    header row) if a coordinator mapped it by hand before; a mapping made by hand is remembered when the import
    writes.
    """
    require(by, Action.IMPORT)
    round_id = check_round_id(round_id)
    table = read_table(data, filename)
    remembered = remembered_mapping(con, table.columns) if manual is None else None
    if remembered is not None:
        manual = remembered
    mapping = match_headers(table.columns, manual, filename=filename).require()
    current = round_row(con, round_id)
    if current is not None and current["status"] not in OPEN_STATUSES:
        raise WorkbenchError(
            f"Round {round_id} is {current['status']}: applications can only be imported into an open round "
            "or one being matched. Choose another round, or a new round id to create one."
        )
    carried = carry_over_plan(con) if current is None else empty_carry()
    # the round's applicants (a later submission of theirs replaces their answers); a carried-over applicant who
    # applies again goes through the linking, which makes one application of the two (_applied_again)
    existing = round_emails(con, round_id)
    program_vocabularies = vocabularies(con)
    value_decisions = Decisions(values, add_all=add_values, vocabularies=program_vocabularies)
    validation = validate(table, mapping, existing_emails=existing, filename=filename,
                          confirmed_countries=confirmed_countries, date_order=date_order,
                          date_window=date_window(con, round_id), vocabularies=program_vocabularies,
                          decisions=value_decisions, keep=keep)
    rows = validation.rows.copy()
    rejected = list(validation.rejections)
    already = list(validation.already_applied)
    seq = int(current["seq"]) if current is not None else next_seq(con)

    # People: a known address, or recognised by the linking model (workbench.people.linking: the sure ones
    # unless ``link`` is "none"), or answered by hand (``answers`` by row, ``confirmed_people`` by email).
    links = {normalise_email(str(k)): int(v) for k, v in (confirmed_people or {}).items()}
    answered = {int(k): int(v) for k, v in (link_answers or {}).items()}
    _check_people(con, {**links, **{f"row {k}": v for k, v in answered.items()}})
    people_links = link_applications(con, rows, round_id=round_id) if len(rows) else LinkResult()
    sure = {x.row: x.person_id for x in people_links.linked if link != "none" or x.how == "email"}
    known_address = {x.row for x in people_links.linked if x.how == "email"}  # the same address: always them
    person_ids: list[int | None] = []
    for row, email in zip(rows["source_row"].astype(int), rows["email_normalised"], strict=True):
        if row in known_address:
            person_ids.append(sure[row])
        else:
            person_ids.append(answered.get(row, links.get(email, sure.get(row))))
    rows["person_id"] = pd.Series(person_ids, index=rows.index, dtype=object)
    # Someone already in the round who applied again (at the same address or linked under another; a waitlisted
    # applicant carried over too): one application with the latest answers and address, counted once by the cap
    rows, replacing, again_problems = _applied_again(con, rows, carried, round_id, current is not None,
                                                     validation.mapping.get("email", "email"))
    already += again_problems
    rows, link_problems = _drop_link_conflicts(con, rows, round_id, set(carried["person_id"]),
                                               validation.mapping.get("email", "email"))
    resubmitted = list(validation.resubmitted)
    for kind, rejection in link_problems:
        {"already": already, "resubmitted": resubmitted}.get(kind, rejected).append(rejection)
    by_email = {x.row for x in people_links.linked if x.how == "email"}
    linked = sum(1 for r, p in zip(rows["source_row"], rows["person_id"], strict=True)
                 if int(r) not in by_email and p is not None and not pd.isna(p))
    people_links = _answered(people_links, rows, by_email)
    near = _review_matches(people_links, rows)

    # Returning: the person applied to an earlier round.
    first_rounds = first_seq(con, [int(p) for p in rows["person_id"].dropna()])
    returning = sum(1 for p in rows["person_id"] if p is not None and not pd.isna(p)
                    and first_rounds.get(int(p), seq) < seq)

    # Admission under the cap, for the new rows and the round's undecided ones.
    if cap is not None and not 0 < cap <= 1:
        raise WorkbenchError(f"The country cap must be a share between 0 and 1 (got {cap}).")
    cap = float(current["country_cap"]) if current is not None else (cap if cap is not None else program_cap(con))
    incoming = [(("carried", i), r.country_iso3, r.submitted_at, r.organisation)
                for i, r in enumerate(_with_organisation(carried).itertuples(index=False))]
    incoming += [(("new", i), r.country_iso3, r.submitted_at, r.organisation)
                 for i, r in enumerate(_with_organisation(rows).itertuples(index=False))]
    existing_rows = round_applications(con, round_id)
    rule = cap_rule(con)
    decisions, updates = plan_cap(con, existing_rows, incoming, cap, demote=False, rule=rule)
    promoted = sum(1 for change in updates if change[2] == "accepted")
    rows["status"] = [decisions[("new", i)][0] for i in range(len(rows))]
    rows["status_reason"] = [decisions[("new", i)][1] for i in range(len(rows))]
    carried["status"] = [decisions[("carried", i)][0] for i in range(len(carried))]
    carried["status_reason"] = [decisions[("carried", i)][1] for i in range(len(carried))]
    waitlisted_rows = rows[rows["status"] == "waitlisted"]
    report = ImportReport(
        filename=filename, round_id=round_id, dry_run=dry_run,
        round_created=current is None and len(rows) > 0,
        total_rows=validation.total_rows, imported=len(rows), rejected=sorted(rejected, key=lambda r: r.row),
        already_applied=sorted(already, key=lambda r: r.row), returning=returning,
        new_people=int(rows["person_id"].isna().sum()), linked=linked,
        accepted=int((rows["status"] == "accepted").sum()), waitlisted=len(waitlisted_rows),
        carried_over=len(carried), carried_from=carried.attrs.get("from_round"), promoted=promoted,
        waitlisted_by_country=dict(Counter(waitlisted_rows["country_iso3"])),
        near_matches=near, people_links=people_links, country_suggestions=list(validation.suggestions),
        mapping=dict(validation.mapping), ignored_columns=list(validation.ignored_columns),
        notes=list(validation.notes), unknown_values=list(validation.unknown_values),
        warnings=list(validation.warnings), resubmitted=sorted(resubmitted, key=lambda r: r.row), keep=keep,
        mapping_remembered=remembered is not None,
        applied_again=sorted(row for _, row, _ in replacing),
    )
    held = one_side_holds_most(con, [*zip(existing_rows["country_iso3"], existing_rows["organisation"], strict=True),
                                     *((c, o) for _, c, _, o in incoming)], rule, cap)
    if held:
        report.notes.append(held)
    may_add = may(by, Action.SETTINGS)
    to_add = list(dict.fromkeys((u.kind, u.value) for u in validation.unknown_values if u.decision == ADD))
    if may_add:
        report.values_added = [f"{kind}:{value}" for kind, value in to_add]
    if dry_run or not (len(rows) or replacing):
        return report
    require(by, Action.ADMIT)  # writing applies the cap: admission decisions
    if may_add:  # each its own audited change, before the import's transaction
        for kind, value in to_add:
            if program_vocabularies[kind].lookup(value) is None:
                add_term(con, kind, value, by=by)
    try:
        with db.transaction(con):
            if current is None:
                opens_on = min(rows["submitted_at"]).date() if len(rows) else dt.date.today()
                insert_round(con, round_id, seq, opens_on, cap, by=by)
                insert_carried(con, carried, round_id, by=by)
            report.application_ids = _insert_applications(con, rows, round_id, filename)
            apply_changes(con, updates, by=by)
            # after the carried-over rows and the cap's changes, which read the versions before
            in_round = reapplied(con, round_id, [person for person, _, _ in replacing])
            for person, _, answers in replacing:
                replace_answers(con, in_round[person][0], answers, source=f"import {filename}".strip(), by=by)
            _record_import(con, report, by=by)
    except duckdb.Error as exc:
        raise write_failed(exc, round_id) from None
    if manual is not None and remembered is None:
        remember_mapping(con, table.columns, manual, by=by, filename=filename)
    return report


def _applied_again(con: db.Connection, rows: pd.DataFrame, carried: pd.DataFrame, round_id: str, exists: bool,
                   column: str) -> tuple[pd.DataFrame, list[tuple[int, int, dict[str, Any]]], list[Rejection]]:
    """Rows of people already in the round (carried over from the waitlist into a new round, or with an application
    in a round that exists): their latest row later than that application gives it its answers and address
    (returned as ``(person_id, row, answers)``: one application each, counted once by the cap); an earlier row of the
    same person, or a row no later than the application, is reported as already applied. Returns the rows still to
    insert, the replacements and the reports."""
    linked = rows["person_id"].map(lambda p: None if p is None or pd.isna(p) else int(p))
    if exists:
        in_round = {p: at for p, (_, at) in reapplied(con, round_id, linked.dropna()).items()}
    else:  # a new round: the carried-over applications are its first
        in_round = {int(p): at for p, at in zip(carried["person_id"], carried["submitted_at"], strict=True)}
    if not in_round:
        return rows, [], []
    mine = rows[linked.isin(list(in_round))].sort_values(["submitted_at", "source_row"])
    latest = mine.drop_duplicates("person_id", keep="last")
    problems = [Rejection(int(r.source_row), column, str(r.email),
                          "Applied again to this round, and a later row of this file is the same person.",
                          "Nothing to do: the latest answers are kept.")
                for r in mine.drop(latest.index).itertuples(index=False)]
    # a row no later than their application in the round: that application is their latest, and stays
    older = latest.loc[pd.Series([r["submitted_at"] <= in_round[int(r["person_id"])] for _, r in latest.iterrows()],
                                 index=latest.index, dtype=bool)]
    problems += [Rejection(int(r.source_row), column, str(r.email),
                           "Already applied to this round (the same person), and that application was submitted "
                           "later than this row.",
                           "Nothing to do: the latest application is kept.")
                 for r in older.itertuples(index=False)]
    latest = latest.drop(older.index)
    answers = _with_organisation(latest).assign(organisation_key=None)
    replacing = []
    for (_, record), (_, extra) in zip(latest.iterrows(), answers.iterrows(), strict=True):
        values = {c: record[c] for c in ANSWER_COLUMNS if c in record.index}
        organisation = extra["organisation"]
        values["organisation"] = organisation
        values["organisation_key"] = organisation_key(organisation) if organisation else None
        values.setdefault("partner_interests", [])
        replacing.append((int(record["person_id"]), int(record["source_row"]), values))
    return rows.drop(mine.index).reset_index(drop=True), replacing, problems


def _with_organisation(frame: pd.DataFrame) -> pd.DataFrame:
    picked = frame.reindex(columns=["country_iso3", "submitted_at", "organisation"])
    return picked.astype({"organisation": object}).where(picked.notna(), None)


def one_side_holds_most(con: db.Connection, applicants: list[tuple[str, Any]], rule: str, cap: float) -> str | None:
    """When one side of the cross-border ``rule`` holds most (more than half) of a round's live
    ``applicants`` ``(country, organisation)``, what that means and the rule to choose instead ("58 of 60
    applicants live in the United States: under the country rule they cannot all be partnered …"); else None."""
    sides = [cap_side(rule, str(c), o if isinstance(o, str) else None) for c, o in applicants]
    counts = Counter(s for s in sides if s is not None)
    if len(applicants) < 2 or not counts:
        return None
    side, n = counts.most_common(1)[0]
    if n * 2 <= len(applicants):
        return None
    members = [Applicant(i, i, "", str(c), "", "", frozenset(), frozenset(), 0,
                         organisation=o if isinstance(o, str) else None)
               for i, ((c, o), s) in enumerate(zip(applicants, sides, strict=True)) if s == side]
    found = one_side_only(members, rule)  # type: ignore[arg-type]
    if found is None:
        return None
    limit = cap_limit(con, cap, len(applicants))
    capped = f" (the {cap:.0%} cap accepts {limit} of them)" if limit < n else ""
    choice = "no cross-border rule" if found.instead == "none" else f"the {found.instead} rule"
    return (f"{n} of {len(applicants)} applicants {found.where}: under the {rule} rule they cannot all be "
            f"partnered{capped}. If partners may share this {CROSS_BORDER[rule].unit}, choose {choice} in "  # type: ignore[index]
            f"Settings (`workbench settings set cross_border {found.instead}`): the cap then follows it.")


# --- remembered form mappings ----------------------------------------------------------------------


def remembered_mapping(con: db.Connection, columns: Any) -> dict[str, str | None] | None:
    """The mapping made by hand for a form with these headers (the setting ``form_mappings``), or None."""
    columns = [str(c) for c in columns]
    form = (get_setting(con, "form_mappings") or {}).get(form_signature(columns))
    if not form or [str(c) for c in form.get("columns", [])] != columns:
        return None
    return {str(k): v for k, v in form["mapping"].items() if str(k) in columns}


def remember_mapping(con: db.Connection, columns: Any, manual: Mapping[str, str | None], *, by: User,
                     filename: str = "") -> bool:
    """Remember ``manual`` for the next export of this form when it differs from the automatic match
    (returns whether it was stored). Needs ``Action.IMPORT``, like the import that calls it."""
    columns = [str(c) for c in columns]
    automatic = {source: canonical for canonical, source in match_headers(columns).mapping.items()}
    chosen = {c: (manual[c] or None) if c in manual else automatic.get(c) for c in columns}
    if all(chosen[c] == automatic.get(c) for c in columns):
        return False
    stored = dict(get_setting(con, "form_mappings") or {})
    signature = form_signature(columns)
    if (stored.get(signature) or {}).get("mapping") == chosen:
        return False
    stored[signature] = {"columns": columns, "mapping": chosen, "file": filename,
                         "saved_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")}
    set_setting(con, "form_mappings", stored, by=by)
    return True


# --- values outside the vocabularies, after the import ---------------------------------------------


def unconfirmed_values(con: db.Connection, round_id: str) -> pd.DataFrame:
    """The values of ``round_id``'s applications outside the program's vocabularies (kept as written at the
    import, for a director to add, merge or rename on the Settings page): kind, value and how many
    applications hold it (their own answers or their partner wishes). Empty when every value is known."""
    parts = []
    for column, kind in COLUMN_KINDS.items():
        picked = f"unnest({column})" if column in ("interests", "languages", "partner_interests") else column
        parts.append(f"SELECT '{kind}' AS kind, {picked} AS value, application_id FROM applications "
                     "WHERE round_id = $round")
    return con.execute(
        f"""
        WITH used AS ({' UNION ALL '.join(parts)})
        SELECT kind, value, count(DISTINCT application_id)::BIGINT AS applications
        FROM used
        WHERE value IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM vocabulary_terms AS t WHERE t.kind = used.kind AND t.value = used.value)
        GROUP BY kind, value
        ORDER BY list_position($kinds, kind), applications DESC, value
        """,
        {"round": round_id, "kinds": list(dict.fromkeys(COLUMN_KINDS.values()))},
    ).df()


def date_window(con: db.Connection, round_id: str, *, today: dt.date | None = None) -> DateWindow:
    """The submission dates a round accepts: never in the future; for a round that exists, from the day the
    program's first round opened to the day this round ends; for a new round, from the day the latest
    round opened (the new round comes after it)."""
    today = today or dt.date.today()
    rounds = con.execute("SELECT round_id, seq, opens_on, ends_on FROM rounds ORDER BY seq").fetchall()
    this = next((r for r in rounds if r[0] == round_id), None)
    if this is not None:
        first = rounds[0]
        return DateWindow(round_id, earliest=first[2], latest=this[3], today=today,
                          earliest_why=f"the program's first round ({first[0]}) opened on {first[2]:%d %b %Y}",
                          latest_why=f"{round_id} ends ({this[3]:%d %b %Y})")
    if rounds:
        last = rounds[-1]
        return DateWindow(round_id, earliest=last[2], today=today,
                          earliest_why=f"the latest round, {last[0]}, opened ({last[2]:%d %b %Y}): a new round "
                                       "comes after it")
    return DateWindow(round_id, today=today)


def _check_people(con: db.Connection, links: Mapping[str, int]) -> None:
    if not links:
        return
    ids = sorted(set(links.values()))
    found = {int(r[0]) for r in con.execute(
        "SELECT person_id FROM people WHERE person_id IN (SELECT unnest(?::INTEGER[]))", [ids]).fetchall()}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"No person with id {', '.join(map(str, missing))}: confirm only the near-matches offered.")


def _drop_link_conflicts(con: db.Connection, rows: pd.DataFrame, round_id: str, carried_people: set[int],
                         column: str) -> tuple[pd.DataFrame, list[tuple[str, Rejection]]]:
    """Rows linked to a person already in the round who withdrew (reported as already applied; a live application
    took the row's answers in :func:`_applied_again`), and rows of one person
    (linked to one known person, under different addresses): the latest submission is imported, the others are
    reported as resubmitted, as two submissions from one address are. No row is rejected for it."""
    in_round = {int(r[0]) for r in con.execute(
        "SELECT person_id FROM applications WHERE round_id = ?", [round_id]).fetchall()} | carried_people
    problems: list[tuple[str, Rejection]] = []
    linked: list[int | None] = [None if p is None or pd.isna(p) else int(p) for p in rows["person_id"]]
    order = rows.assign(_person=pd.Series(linked, index=rows.index, dtype=object)).dropna(subset=["_person"])
    order = order.sort_values(["submitted_at", "source_row"])
    latest = {int(person): int(row) for person, row in zip(order["_person"], order["source_row"], strict=True)}
    keep: list[bool] = []
    for record, person in zip(rows[["source_row", "email"]].itertuples(index=False), linked, strict=True):
        if person is None:
            keep.append(True)
        elif person in in_round:
            problems.append(("already", Rejection(
                int(record.source_row), column, str(record.email),
                "Already applied to this round under another email (the same person), and withdrew.",
                "Nothing to do: the application in the round is kept as it is.")))
            keep.append(False)
        elif latest[person] != int(record.source_row):
            problems.append(("resubmitted", Rejection(
                int(record.source_row), column, str(record.email),
                f"The same person as row {latest[person]}, who submitted again later (under another address): the "
                "later submission is imported.",
                "Nothing to do; if they are two people, split them afterwards (`workbench people split`).")))
            keep.append(False)
        else:
            keep.append(True)
    return rows.loc[pd.Series(keep, index=rows.index, dtype=bool)].reset_index(drop=True), problems


# --- people: the linking as decided, the review as near-matches -------------------------------------


def _answered(result: LinkResult, rows: pd.DataFrame, by_email: set[int]) -> LinkResult:
    """The linking as the import decided it: the rows linked (a known address, the model's sure ones kept, an
    answer) and the review rows still unanswered, which go in as new people."""
    persons = {int(r): (None if p is None or pd.isna(p) else int(p))
               for r, p in zip(rows["source_row"], rows["person_id"], strict=True)}
    model = {x.row: x for x in result.linked}
    linked = []
    for row, person in persons.items():
        if person is None:
            continue
        found = model.get(row)
        if found is not None and found.person_id == person:
            linked.append(found)
        else:
            email = str(rows.loc[rows["source_row"] == row, "email"].iloc[0])
            linked.append(Linked(row, email, person, 1.0, how="answer"))
    review = [r for r in result.review if persons.get(r.row, 0) is None]
    new_people = sum(1 for person in persons.values() if person is None)
    return LinkResult(linked=sorted(linked, key=lambda x: x.row), review=review, new_people=new_people,
                      seconds=result.seconds, model_id=result.model_id)


def _review_matches(result: LinkResult, rows: pd.DataFrame) -> list[NearMatch]:
    """The review list as the report's near-matches (the Import page's "perhaps the same person"): one line per
    candidate of each unanswered review row, most probable first."""
    countries = dict(zip(rows["source_row"].astype(int), rows["country_iso3"], strict=True))
    found: list[NearMatch] = []
    for review in result.review:
        for c in review.candidates:
            found.append(NearMatch(review.row, review.name, review.email, str(countries.get(review.row, "")),
                                   c.person_id, c.name, c.email, c.last_round, "model",
                                   probability=c.probability, agree=tuple(c.agree), differ=tuple(c.differ)))
    return found


# --- writing ---------------------------------------------------------------------------------------

def _insert_applications(con: db.Connection, rows: pd.DataFrame, round_id: str, filename: str) -> list[int]:
    if rows.empty:
        return []
    rows = rows.copy()
    new = rows["person_id"].isna()
    if new.any():
        fresh = rows.loc[new]
        person_ids = db.next_ids(con, "people", len(fresh))
        people = pd.DataFrame({
            "person_id": person_ids, "email": fresh["email_normalised"].tolist(), "name": fresh["name"].tolist(),
            "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        })
        name = f"people_{uuid.uuid4().hex}"
        con.register(name, people)
        try:
            con.execute(f"INSERT INTO people SELECT person_id, email, name, created_at FROM {name}")
        finally:
            con.unregister(name)
        rows.loc[new, "person_id"] = person_ids
    rows["person_id"] = rows["person_id"].astype("int64")
    ids = db.next_ids(con, "applications", len(rows))
    rows["application_id"] = ids
    rows["round_id"] = round_id
    rows["source"] = f"import {filename}".strip()[:200]
    insert_application_rows(con, rows)
    return ids


def _record_import(con: db.Connection, report: ImportReport, *, by: User) -> None:
    db.audit(con, actor=by.actor, action="import applications", entity="rounds", entity_id=report.round_id,
             after={"file": report.filename, "imported": report.imported, "rejected_rows": len(report.rejected_rows),
                    "already_applied": len(report.already_applied), "waitlisted": report.waitlisted,
                    "returning": report.returning, "round_created": report.round_created})


