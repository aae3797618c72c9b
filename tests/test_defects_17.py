"""Defects seen in use (issue 17): values an import kept as written can be merged and renamed, the candidates
file has no byte-order mark, `workbench match` names the run as a round counts it, and the cap's sides agree
between the library and the SQL macro."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from workbench import applications, db
from workbench.cli import main
from workbench.program import vocabularies as v
from workbench.program.vocabularies import default_vocabularies

# --- vocab merge and rename take values an import kept as written -------------------------------------------


def form_with(interest: str, rows: int = 3) -> bytes:
    """A small form whose applicants name ``interest`` (outside the program's list) beside a known one."""
    known = default_vocabularies()["interest"].terms[0].value
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Timestamp", "Full name", "Email Address", "Country", "Library sector", "Career stage",
                     "Areas of interest", "Languages you can work in", "Time zone"])
    for i in range(rows):
        writer.writerow([f"3/{1 + i}/2025 10:00:00", f"Person {i}", f"p{i}@example.org",
                         ["Kenya", "Chile", "Japan"][i % 3], "public", "early", f"{interest}; {known}", "English",
                         "UTC"])
    return out.getvalue().encode()


@pytest.fixture
def kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A new program whose import kept 'advocacy' and 'makerspaces' as written (no decision on them)."""
    path = tmp_path / "kept.duckdb"
    assert main(["init", "--empty", "--db", str(path)]) == 0
    for n, (interest, round_id) in enumerate([("advocacy", "2025A"), ("makerspaces", "2025B")]):
        form = tmp_path / f"form{n}.csv"
        form.write_bytes(form_with(interest))
        assert main(["import", "applications", str(form), "--round", round_id, "--db", str(path)]) == 0
    capsys.readouterr()
    con = db.connect(path, read_only=True)
    assert set(v.kept_values(con, "interest")) == {"advocacy", "makerspaces"}
    con.close()
    return path


def interests(path: Path) -> list[list[str]]:
    con = db.connect(path, read_only=True)
    try:
        return [list(r[0]) for r in con.execute("SELECT interests FROM applications ORDER BY application_id")
                .fetchall()]
    finally:
        con.close()


def test_vocab_merge_takes_a_value_the_import_kept_as_written(kept: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    into = default_vocabularies()["interest"].terms[1].value
    assert main(["vocab", "merge", "interest", "advocacy", into, "--db", str(kept)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Merged the value 'advocacy' into '{into}'; rewrote 3 applications; 'advocacy' is now "
                          f"its synonym, so the next import reads it as '{into}'."), out
    assert all("advocacy" not in row for row in interests(kept))
    assert sum(into in row for row in interests(kept)) == 3
    con = db.connect(kept, read_only=True)
    try:
        assert "advocacy" in v.vocabulary(con, "interest").term(into).synonyms  # type: ignore[union-attr]
        assert v.vocabulary(con, "interest").lookup("Advocacy") == into
        assert set(v.kept_values(con, "interest")) == {"makerspaces"}
        (audit,) = con.execute("SELECT actor, before FROM audit_log WHERE action = 'merge vocabulary terms'"
                               ).fetchall()
        assert audit[0].startswith("cli:") and '"kept_as_written": true' in audit[1]
    finally:
        con.close()


def test_vocab_rename_takes_a_value_the_import_kept_as_written(kept: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vocab", "rename", "interest", "makerspaces", "Makerspaces and fab labs", "--db", str(kept)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Added the area of interest 'Makerspaces and fab labs' for 'makerspaces', which an import "
                          "kept as written; rewrote 3 applications."), out
    assert sum("Makerspaces and fab labs" in row for row in interests(kept)) == 3
    con = db.connect(kept, read_only=True)
    try:
        term = v.vocabulary(con, "interest").term("Makerspaces and fab labs")
        assert term is not None and term.synonyms == ("makerspaces",)
        assert set(v.kept_values(con, "interest")) == {"advocacy"}
        assert db.run_checks(con)["values_outside_vocabularies"] == [
            ("interest", "applications.interests", "advocacy", 3)]
    finally:
        con.close()


def test_an_unknown_value_is_refused_with_an_and_the_kept_values_named(kept: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vocab", "merge", "interest", "nowhere", "advocacy", "--db", str(kept)]) == 1
    err = capsys.readouterr().err
    assert "'nowhere' is not an area of interest of this program." in err  # not "a area"
    assert "Kept as written by an import (outside the list): advocacy, makerspaces." in err
    assert main(["vocab", "merge", "sector", "nowhere", "public", "--db", str(kept)]) == 1
    assert "'nowhere' is not a sector of this program." in capsys.readouterr().err
    assert [v.a_name(k) for k in v.KINDS] == ["a sector", "a career stage", "an area of interest",
                                             "a working language", "a way of keeping in touch",
                                             "an impact category"]
    # a kept value is no merge target: it names the value to rename instead
    assert main(["vocab", "merge", "interest", "makerspaces", "advocacy", "--db", str(kept)]) == 1
    assert "'advocacy' is not an area of interest of this program." in capsys.readouterr().err


# --- the candidates file for another solver ------------------------------------------------------------------


def test_the_candidates_csv_has_no_byte_order_mark(writable_db: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pairs.csv"
    assert main(["candidates", "--round", "2017A", "--out", str(out), "--db", str(writable_db)]) == 0
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames is not None and reader.fieldnames[:3] == ["a_id", "b_id", "score"]
        first = next(reader)
    assert int(first["a_id"]) > 0 and float(first["score"]) != 0
    # spreadsheet exports keep the mark (Excel reads accents right)
    import pandas as pd

    from workbench.exports import frame_csv_bytes

    assert frame_csv_bytes(pd.DataFrame({"name": ["José"]})).startswith(b"\xef\xbb\xbf")


# --- `workbench match` names the run as the round counts it, and the id publish takes ---------------------------


def test_match_prints_the_runs_number_in_the_round_and_the_id_publish_takes(
        writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    con = db.connect(writable_db, read_only=True)
    (before,) = con.execute("SELECT count(*) FROM match_runs WHERE round_id = '2017A'").fetchone()  # type: ignore[misc]
    (top,) = con.execute("SELECT max(run_id) FROM match_runs").fetchone()  # type: ignore[misc]
    con.close()
    assert main(["match", "--round", "2017A", "--time-limit", "5", "--db", str(writable_db)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    found = re.fullmatch(r"Run (\d+) of 2017A \(id (\d+): `workbench publish --round 2017A --run (\d+)` makes it "
                         r"the round's partnerships\):", first)
    assert found, first
    number, run_id, publish_id = map(int, found.groups())
    assert number == before + 1 and run_id == publish_id == top + 1
    assert number != run_id  # the sample's earlier rounds hold runs: the two differ, and both are shown
    assert main(["publish", "--round", "2017A", "--run", str(run_id), "--db", str(writable_db)]) == 0
    assert capsys.readouterr().out.startswith(f"Published Run {number} of 2017A (id {run_id}): ")


# --- the cap's sides: the library and the SQL macro agree ----------------------------------------------------


@pytest.mark.parametrize("rule", ["country", "region", "none"])
def test_the_cap_side_macro_agrees_with_the_library_on_every_sample_application(con: db.Connection,
                                                                                rule: str) -> None:
    rows = con.execute(
        "SELECT a.country_iso3, a.organisation, cap_side(?, a.country_iso3, c.un_region, a.organisation_key) "
        "FROM applications AS a JOIN countries AS c ON c.iso3 = a.country_iso3", [rule]).fetchall()
    assert len(rows) > 5000
    assert [side for *_, side in rows] == [applications.cap_side(rule, c, o) for c, o, _ in rows]
    if rule == "region":
        assert len({side for *_, side in rows}) < len({c for c, *_ in rows})  # sub-regions group countries


# --- tests/conftest.py leaves by os._exit only after a run that loaded AppTest ----------------------------------

PROBE = '''
import atexit
import os
import pathlib

{load}

def test_probe():
    atexit.register(lambda: pathlib.Path(os.environ["PROBE_MARK"]).write_text("shut down normally"))
    assert {passes}
'''


@pytest.mark.parametrize(("load", "passes", "shuts_down"), [
    ("", True, True), ("", False, True),
    ("import streamlit.testing.v1  # noqa: F401", True, False),
    ("import streamlit.testing.v1  # noqa: F401", False, False),
])
def test_the_session_ends_by_os_exit_only_after_apptest_was_loaded(tmp_path: Path, load: str, passes: bool,
                                                                    shuts_down: bool) -> None:
    import os
    import subprocess
    import sys

    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE.format(load=load, passes=passes))
    mark = tmp_path / "mark.txt"
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
                           "--rootdir", str(tmp_path), str(probe)], cwd=root, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PROBE_MARK": str(mark)})
    assert done.returncode == (0 if passes else 1), done.stdout + done.stderr  # pytest's own status either way
    assert mark.exists() == shuts_down  # atexit ran: the interpreter shut down normally
