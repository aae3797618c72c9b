"""Importing check-ins and surveys: row-level validation, one transaction, idempotent re-imports."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from workbench import db
from workbench.access import command_line_user
from workbench.cli import build_parser
from workbench.errors import ImportFileError, WorkbenchError
from workbench.followup import checkins as ck
from workbench.followup import impact

FIXTURES = Path(__file__).parent / "fixtures" / "followup"
#: Imports are for directors and coordinators (tests/test_access_followup.py checks every role); the command
#: line acts as a director.
BY = command_line_user()
ISLA = 4995  # isla.young@lib26.us.example.org, a 2016B participant with check-ins for fortnights 1, 7, 8


def count(con: db.Connection, table: str) -> int:
    (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[misc]
    return int(n)


def sample_checkins_csv(con: db.Connection, round_id: str) -> bytes:
    """A round's stored check-ins written out the way a Google Form exports them."""
    frame = con.execute("""
        SELECT strftime(c.submitted_on, '%m/%d/%Y 10:00:00') AS "Timestamp", pe.email AS "Email Address",
            c.fortnight AS "Fortnight", CASE WHEN c.contact_made THEN 'Yes' ELSE 'No' END AS "Contact",
            CASE WHEN c.partner_replied THEN 'Yes' WHEN NOT c.partner_replied THEN 'No' END AS "Replied",
            array_to_string(c.methods, ', ') AS "Methods", array_to_string(c.topics_discussed, '; ') AS "Topics",
            c.rating AS "Rating"
        FROM checkins AS c JOIN applications AS a USING (application_id) JOIN people AS pe USING (person_id)
        WHERE c.round_id = ? ORDER BY c.checkin_id""", [round_id]).df()
    return frame.to_csv(index=False).encode()


def test_broken_checkins_are_reported_row_by_row(con: db.Connection) -> None:
    report = ck.validate_checkins(con, (FIXTURES / "broken_checkins.csv").read_bytes(), "2016B",
                                  filename="broken_checkins.csv", by=BY)
    assert report.total_rows == 14 and not report.written
    assert [(r["row"], r["application_id"], r["fortnight"]) for r in report.records] == [(2, ISLA, 2), (3, ISLA, 3)]
    assert report.records[0]["methods"] == ["email", "video call"] and report.records[0]["topics_discussed"] == [2]
    assert report.records[1]["contact_made"] is False and report.records[1]["rating"] == 2
    by_row = {r.row: r for r in report.rejections}
    assert sorted(by_row) == list(range(4, 16))
    expected = {
        4: ("Email Address", "No application to 2016B"),
        5: ("Fortnight", "13 is not a fortnight"),
        6: ("Did you have contact with your partner?", "'Maybe' is not yes or no"),
        7: ("How did you communicate?", "'Carrier pigeon' is not a way of keeping in touch"),
        8: ("Which topics did you discuss?", "'Topic 42' is not one of 2016B's topics"),
        9: ("How is your partnership going? (1-5)", "7 is not a rating"),
        10: ("Timestamp", "outside 2016B"),
        11: ("Email Address", "fortnight 2 twice: row 2"),
        12: ("Email Address", "withdrew their application"),
        13: ("Email Address", "not in a partnership"),
        14: ("(whole row)", "unquoted comma"),
        15: ("Timestamp", "The cell is empty"),
    }
    for row, (column, reason) in expected.items():
        assert by_row[row].column == column, row
        assert reason in by_row[row].reason, (row, by_row[row].reason)
        assert by_row[row].fix, row
    assert report.rejections_frame().columns.tolist() == ["row", "column", "value", "reason", "fix"]
    assert "12 rows rejected" in report.summary()


def test_broken_surveys_are_reported_row_by_row(con: db.Connection) -> None:
    report = ck.validate_surveys(con, (FIXTURES / "broken_surveys.csv").read_bytes(), "2016B",
                                 filename="broken_surveys.csv", by=BY)
    assert [r["row"] for r in report.records] == [2, 3]
    first, second = report.records
    assert first["program_satisfaction"] == 5 and first["methods"] == ["email", "video call"]
    assert first["impact_text"].startswith("I started building")
    assert second["partner_satisfaction"] is None and second["would_return"] is None and second["impact_text"] is None
    reasons = {r.row: r.reason for r in report.rejections}
    assert "10 is not a rating" in reasons[4]
    assert "The cell is empty" in reasons[5] and "fortnightly topics" in reasons[5]
    assert "No application" in reasons[6]
    assert "answered the survey twice" in reasons[7]


def test_a_missing_column_or_an_unreadable_file_stops_the_import(con: db.Connection) -> None:
    with pytest.raises(ImportFileError, match=r"no column for 'fortnight'.*Its columns are: 'Timestamp'"):
        ck.validate_checkins(con, (FIXTURES / "checkins_without_fortnight.csv").read_bytes(), "2016B",
                             filename="checkins_without_fortnight.csv", by=BY)
    with pytest.raises(ImportFileError, match="is empty"):
        ck.validate_checkins(con, b"  \n", "2016B", filename="empty.csv", by=BY)
    with pytest.raises(ImportFileError, match="neither a CSV nor an XLSX file"):  # a damaged workbook
        ck.validate_checkins(con, b"PK\x03\x04binary", "2016B", filename="book.xlsx", by=BY)
    with pytest.raises(WorkbenchError, match="no round '2099A'"):
        ck.validate_checkins(con, (FIXTURES / "broken_checkins.csv").read_bytes(), "2099A", by=BY)


def test_import_writes_the_valid_rows_once(writable_db: Path) -> None:
    con = db.connect(writable_db)
    before = count(con, "checkins")
    data = (FIXTURES / "broken_checkins.csv").read_bytes()
    report = ck.import_checkins(con, data, "2016B", by=BY, filename="broken_checkins.csv")
    assert report.written and report.inserted == 2 and len(report.rejected_rows) == 12
    assert count(con, "checkins") == before + 2
    rows = con.execute("SELECT fortnight, partnership_id, contact_made, methods, topics_discussed, rating "
                       "FROM checkins WHERE application_id = ? AND fortnight IN (2, 3) ORDER BY fortnight",
                       [ISLA]).fetchall()
    assert rows == [(2, 2414, True, ["email", "video call"], [2], 4), (3, 2414, False, [], [], 2)]
    again = ck.import_checkins(con, data, "2016B", by=BY, filename="broken_checkins.csv")
    assert again.inserted == 0 and again.unchanged == [2, 3]
    assert count(con, "checkins") == before + 2
    (audit,) = con.execute("SELECT after FROM audit_log WHERE action = 'import checkins' ORDER BY audit_id "
                           "LIMIT 1").fetchone()  # type: ignore[misc]
    assert json.loads(audit)["inserted"] == 2
    assert db.run_checks(con)["reports_from_members"] == []
    con.close()


def test_reimporting_a_whole_round_adds_nothing_and_restores_what_was_lost(writable_db: Path) -> None:
    con = db.connect(writable_db)
    data = sample_checkins_csv(con, "2016B")
    stored = count(con, "checkins")
    report = ck.validate_checkins(con, data, "2016B", filename="2016B.csv", by=BY)
    assert report.rejections == [] and len(report.unchanged) == report.total_rows == 3516
    con.execute("DELETE FROM checkins WHERE round_id = '2016B' AND checkin_id % 3 = 0")
    lost = stored - count(con, "checkins")
    report = ck.import_checkins(con, data, "2016B", by=BY)
    assert lost > 1000 and report.inserted == lost and len(report.unchanged) == 3516 - lost
    assert count(con, "checkins") == stored
    con.close()


def test_changed_answers_are_kept_unless_replaced(writable_db: Path) -> None:
    con = db.connect(writable_db)
    data = sample_checkins_csv(con, "Pilot").decode()
    header, first, *rest = data.splitlines()
    cells = first.split(",")
    cells[-1] = "1" if cells[-1] != "1" else "2"  # another rating for the first check-in
    changed = "\n".join([header, ",".join(cells), *rest]).encode()
    report = ck.import_checkins(con, changed, "Pilot", by=BY)
    assert report.inserted == 0 and len(report.changed) == 1 and report.replaced == 0
    assert report.changed[0].column == "Rating" and "stored with other answers" in report.changed[0].reason
    (rating,) = con.execute("SELECT rating FROM checkins WHERE checkin_id = 1").fetchone()  # type: ignore[misc]
    assert str(rating) != cells[-1]
    report = ck.import_checkins(con, changed, "Pilot", by=BY, replace=True)
    assert report.replaced == 1
    (rating,) = con.execute("SELECT rating FROM checkins WHERE checkin_id = 1").fetchone()  # type: ignore[misc]
    assert str(rating) == cells[-1]
    assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'replace checkin'").fetchone() == (1,)
    con.close()


def test_a_new_survey_answer_resets_its_codes_when_replaced(writable_db: Path) -> None:
    con = db.connect(writable_db)
    (survey_id,) = con.execute(
        "SELECT survey_id FROM surveys "
        "WHERE round_id = '2016A' AND len(impact_codes) > 0 ORDER BY survey_id LIMIT 1").fetchone()  # type: ignore[misc]
    frame = con.execute("""
        SELECT s.submitted_on AS "Date", pe.email AS "Email", s.program_satisfaction AS "Program satisfaction",
            s.partner_satisfaction AS "Partner satisfaction", array_to_string(s.methods, ';') AS "Methods",
            s.used_topics AS "Used topics", s.would_return AS "Would return", s.impact_text AS "Impact"
        FROM surveys AS s JOIN applications AS a USING (application_id) JOIN people AS pe USING (person_id)
        WHERE s.survey_id = ?""", [survey_id]).df()
    assert ck.validate_surveys(con, frame.to_csv(index=False).encode(), "2016A", by=BY).unchanged == [2]
    assert impact.set_cleared(con, survey_id, 1, True, by=BY) == 2  # the old text was cleared for public use
    frame.loc[0, "Impact"] = "It changed how I think about my users."
    report = ck.import_surveys(con, frame.to_csv(index=False).encode(), "2016A", by=BY, replace=True)
    assert report.replaced == 1
    row = con.execute("SELECT impact_text, impact_codes, codes_confirmed, is_cleared, version FROM surveys "
                      "WHERE survey_id = ?", [survey_id]).fetchone()
    assert row == ("It changed how I think about my users.", [], False, False, 3)  # the new text is not cleared
    assert con.execute("SELECT actor FROM audit_log WHERE action = 'replace survey'").fetchall() == [(BY.actor,)]
    con.close()


def test_the_import_is_one_transaction(writable_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = db.connect(writable_db)
    before = count(con, "surveys")

    def failing_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ck.db, "audit", failing_audit)
    with pytest.raises(RuntimeError, match="disk full"):
        ck.import_surveys(con, (FIXTURES / "broken_surveys.csv").read_bytes(), "2016B", by=BY)
    assert count(con, "surveys") == before
    monkeypatch.undo()
    report = ck.import_surveys(con, (FIXTURES / "broken_surveys.csv").read_bytes(), "2016B", by=BY)
    assert report.inserted == 2 and count(con, "surveys") == before + 2
    (codes_confirmed,) = con.execute("SELECT codes_confirmed FROM surveys WHERE application_id = ?",
                                     [ISLA]).fetchone()  # type: ignore[misc]
    assert codes_confirmed is False  # a new answer waits for a coordinator's coding
    con.close()


def test_a_row_stored_meanwhile_aborts_the_whole_import(writable_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = db.connect(writable_db)
    data = (FIXTURES / "broken_checkins.csv").read_bytes()
    before = count(con, "checkins")
    real = ck._validate

    def stale(*args: object, **kwargs: object) -> ck.ImportReport:
        report = real(*args, **kwargs)  # type: ignore[arg-type]
        report.records.append({**report.records[0], "fortnight": 1})  # Isla's fortnight 1 is stored already
        return report

    monkeypatch.setattr(ck, "_validate", stale)
    with pytest.raises(ck.ImportConflict, match="Nothing was imported"):
        ck.import_checkins(con, data, "2016B", by=BY)
    assert count(con, "checkins") == before
    con.close()


def _parser() -> argparse.ArgumentParser:
    """The `workbench` command's parser: ``import`` with ``checkins`` and ``surveys`` beneath it."""
    return build_parser()


def test_cli_imports_and_reports(writable_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WORKBENCH_SNAPSHOT", str(tmp_path / "analytics.duckdb"))
    monkeypatch.setenv("WORKBENCH_DB", str(writable_db))  # the configured database: its snapshot is refreshed
    parser = _parser()
    args = parser.parse_args(["import", "checkins", str(FIXTURES / "broken_checkins.csv"), "--round", "2016B",
                              "--db", str(writable_db), "--dry-run"])
    assert args.func(args) == 0  # the import ran; the report lists the rejected rows
    out = capsys.readouterr().out
    assert "2 new rows ready to import" in out and "row 5, column 'Fortnight', value '13'" in out
    args = parser.parse_args(["import", "surveys", str(FIXTURES / "broken_surveys.csv"), "--round", "2016B",
                              "--db", str(writable_db), "--json"])
    assert args.func(args) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["inserted"] == 2 and report["rejected_rows"] == [4, 5, 6, 7] and report["written"]
    assert (tmp_path / "analytics.duckdb").exists()  # analysts see the new answers
    assert "Analyst snapshot refreshed" in captured.err
    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join((FIXTURES / "broken_surveys.csv").read_text().splitlines()[:3]) + "\n")
    args = parser.parse_args(["import", "surveys", str(clean), "--round", "2016B", "--db", str(writable_db)])
    assert args.func(args) == 0
    assert "2 already in the workbench" in capsys.readouterr().out
    hopeless = tmp_path / "hopeless.csv"
    hopeless.write_text("\n".join((FIXTURES / "broken_surveys.csv").read_text().splitlines()[i] for i in (0, 3, 5)))
    args = parser.parse_args(["import", "surveys", str(hopeless), "--round", "2016B", "--db", str(writable_db)])
    assert args.func(args) == 1  # every row rejected: nothing could be imported
    assert "2 rows rejected" in capsys.readouterr().out
    args = parser.parse_args(["import", "surveys", str(tmp_path / "nope.csv"), "--round", "2016B"])
    with pytest.raises(WorkbenchError, match="There is no file"):
        args.func(args)
    with pytest.raises(SystemExit):
        parser.parse_args(["import", "checkins", str(clean)])  # --round is required


def test_workbench_import_checkins_through_the_main_command(writable_db: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    monkeypatch.setenv("WORKBENCH_SNAPSHOT", str(tmp_path / "analytics.duckdb"))
    assert main(["import", "checkins", str(FIXTURES / "broken_checkins.csv"), "--round", "2016B",
                 "--db", str(writable_db)]) == 0
    assert "Imported 2 new" in capsys.readouterr().out
    assert main(["import", "checkins", str(FIXTURES / "checkins_without_fortnight.csv"), "--round", "2016B",
                 "--db", str(writable_db), "--json"]) == 1
    captured = capsys.readouterr()
    assert "no column for 'fortnight'" in json.loads(captured.out)["error"]
    assert captured.err.startswith("workbench import: ")
