"""A program of its own, inside one nation: from `workbench init --empty` to published partnerships under the
organisation rule, with the diagnostic a national program gets under the default (country) rule."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest

from workbench import applications, db, matchstore
from workbench.access import command_line_user
from workbench.cli import main
from workbench.errors import WorkbenchError
from workbench.matching.rules import organisation_key
from workbench.program.settings import set_setting
from workbench.program.vocabularies import default_vocabularies

#: Twenty US libraries, three applicants each; some written differently on the form (the rule normalises them).
LIBRARIES = [
    "Boston Public Library", "New York Public Library", "Library of Congress", "Chicago Public Library",
    "Denver Public Library", "Seattle Public Library", "University of Michigan Library", "Harvard Library",
    "Stanford Libraries", "Los Angeles Public Library", "Houston Public Library", "Phoenix Public Library",
    "San Diego Public Library", "Austin Public Library", "Ohio State University Libraries",
    "Brooklyn Public Library", "Smithsonian Libraries", "Miami-Dade Public Library", "Portland State Library",
    "Atlanta-Fulton Public Library",
]
SPELLINGS = {0: "{}", 1: "the {}", 2: "{}."}  # e.g. "the Boston Public Library", "Boston Public Library."
ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]


def us_form(rows: int = 60, seed: int = 11) -> bytes:
    """A Google Forms export of ``rows`` US applicants, with an Institution column."""
    rng = random.Random(seed)
    interests = [t.value for t in default_vocabularies()["interest"].terms]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Timestamp", "Full name", "Email Address", "Which country do you work in?", "Library sector",
                     "Career stage", "Areas of interest", "Languages you can work in", "Time zone", "Institution"])
    for i in range(rows):
        library = LIBRARIES[i % len(LIBRARIES)]
        spelling = SPELLINGS[(i // len(LIBRARIES)) % 3].format(library)
        writer.writerow([
            f"3/{1 + i % 20}/2025 {9 + i % 8}:{i % 60:02d}:00", f"Applicant {i:02d}", f"applicant{i:02d}@example.org",
            ["United States", "USA", "U.S."][i % 3], rng.choice(["academic", "public", "special", "school"]),
            rng.choice(["early", "mid", "senior", "student"]), "; ".join(rng.sample(interests, 3)), "English",
            ZONES[i % 4], spelling,
        ])
    return out.getvalue().encode()


@pytest.fixture
def national(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "national.duckdb"
    assert main(["init", "--empty", "--name", "Mentoring Across America", "--db", str(path)]) == 0
    assert "Started the program 'Mentoring Across America'" in capsys.readouterr().out
    # everyone lives in one country: the per-country cap would waitlist four in five, so it is switched off
    assert main(["settings", "set", "country_cap", "1", "--db", str(path)]) == 0
    form = tmp_path / "us_form.csv"
    form.write_bytes(us_form())
    assert main(["import", "applications", str(form), "--round", "2025A", "--db", str(path)]) == 0
    capsys.readouterr()
    return path


def test_a_national_program_from_init_empty_to_published_partnerships(
        national: Path, capsys: pytest.CaptureFixture[str]) -> None:
    con = db.connect(national, read_only=True)
    rows = con.execute("SELECT count(*), count(DISTINCT country_iso3), min(country_iso3), count(organisation), "
                       "count(*) FILTER (WHERE status = 'accepted') FROM applications").fetchone()
    assert rows == (60, 1, "USA", 60, 60)
    spelled = con.execute("SELECT list(DISTINCT organisation ORDER BY organisation) FROM applications "
                          "WHERE organisation ILIKE '%boston%'").fetchone()[0]  # type: ignore[index]
    assert spelled == ["Boston Public Library", "Boston Public Library.", "the Boston Public Library"]
    con.close()

    # the default rule (country): a clear diagnostic, not an empty result
    assert main(["match", "--round", "2025A", "--db", str(national)]) == 1
    err = capsys.readouterr().err
    assert ("all 60 applicants live in the United States: choose the organisation rule in Settings "
            "(`workbench settings set cross_border organisation`)") in err
    con = db.connect(national)
    assert con.execute("SELECT count(*) FROM match_runs").fetchone() == (0,)
    con.close()

    assert main(["settings", "set", "cross_border", "organisation", "--db", str(national)]) == 0
    assert "Who may be partners (cross_border) is now organisation." in capsys.readouterr().out
    assert main(["match", "--round", "2025A", "--json", "--db", str(national)]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["people"] == 60 and run["matched"] == 60 and run["unmatched"] == []
    assert len(run["pairs"]) == 30 and run["trios"] == []
    assert main(["publish", "--round", "2025A", "--run", str(run["run_id"]), "--db", str(national)]) == 0

    con = db.connect(national)
    try:
        groups = con.execute(
            "SELECT p.partnership_id, p.status, list(a.organisation ORDER BY a.application_id), "
            "json_extract_string(p.score_detail, '$.summary') FROM partnerships AS p "
            "JOIN partnership_members USING (partnership_id) JOIN applications AS a USING (application_id) "
            "GROUP BY ALL").fetchall()
        assert len(groups) == 30 and {g[1] for g in groups} == {"active"}
        for _, _, organisations, summary in groups:
            keys = [organisation_key(o) for o in organisations]
            assert len(set(keys)) == len(keys), organisations  # never two colleagues, however they wrote it
            assert summary.startswith("different organisations (")
        assert con.execute("SELECT status FROM rounds WHERE round_id = '2025A'").fetchone() == ("running",)
        assert {name: rows for name, rows in db.run_checks(con).items() if rows} == {}
    finally:
        con.close()


def test_the_check_catches_colleagues_under_the_organisation_rule_and_compatriots_under_the_country_rule(
        national: Path) -> None:
    con = db.connect(national)
    try:
        director = command_line_user()
        from workbench.program.settings import set_setting

        set_setting(con, "cross_border", "organisation", by=director)
        run_id, _ = matchstore.run_matching(con, "2025A", matchstore.RunSettings(time_limit=5), by=director)
        # two colleagues written differently, put together behind the matching's back
        x, y = (r[0] for r in con.execute(
            "SELECT application_id FROM applications WHERE organisation IN ('Boston Public Library', "
            "'the Boston Public Library') ORDER BY organisation").fetchall())
        (pid,) = con.execute("SELECT partnership_id FROM partnership_members WHERE application_id = ?",
                             [x]).fetchone()  # type: ignore[misc]
        con.execute("DELETE FROM partnership_members WHERE application_id = ?", [y])
        con.execute("DELETE FROM partnership_members WHERE partnership_id = ? AND application_id <> ?", [pid, x])
        con.execute("INSERT INTO partnership_members VALUES (?, ?)", [pid, y])
        found = db.run_checks(con)["same_country_partners"]
        assert [(r[1], r[2], r[4], r[5]) for r in found] == [(pid, "organisation", min(x, y), max(x, y))]
        # under the country rule every pair breaks it (all in the United States): the 30 pairs less the one
        # whose member was moved into the Boston pair above
        set_setting(con, "cross_border", "country", by=director)
        pairs = con.execute("SELECT count(*) FROM (SELECT partnership_id FROM partnership_members JOIN partnerships "
                            "USING (partnership_id) WHERE run_id = ? GROUP BY ALL HAVING count(*) = 2)",
                            [run_id]).fetchone()[0]  # type: ignore[index]
        assert pairs == 29 and len(db.run_checks(con)["same_country_partners"]) == 29
        set_setting(con, "cross_border", "none", by=director)
        assert db.run_checks(con)["same_country_partners"] == []
    finally:
        con.close()


def test_init_empty_holds_no_people_and_the_default_settings(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "new.duckdb"
    assert main(["init", "--empty", "--db", str(path)]) == 0
    con = db.connect(path, read_only=True)
    try:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                  for t in ("rounds", "people", "applications", "partnerships", "coordinators", "topics")}
        assert counts == dict.fromkeys(counts, 0)
        assert con.execute("SELECT count(*) FROM countries").fetchone()[0] > 240  # type: ignore[index]
        from workbench.program import settings, vocabularies

        assert vocabularies.vocabularies(con) == vocabularies.default_vocabularies()
        values = {s["key"]: s["value"] for s in settings.all_settings(con)}
        assert values["program_name"] == "My mentoring program"
        assert {k: values[k] for k in ("languages", "country_cap", "round_weeks", "topic_cadence_days",
                                       "cross_border")} == {"languages": "English", "country_cap": 0.2,
                                                            "round_weeks": 16, "topic_cadence_days": 14,
                                                            "cross_border": "country"}
        assert con.execute("SELECT key FROM settings").fetchall() == [("program_name",)]
        assert con.execute("SELECT count(*) FROM information_schema.tables WHERE table_type = 'VIEW'"
                           ).fetchone()[0] >= 10  # type: ignore[index]
    finally:
        con.close()
    # the same refusals as init: an existing file is kept, --force replaces it
    capsys.readouterr()
    assert main(["init", "--empty", "--db", str(path)]) == 1
    assert "already exists and was left untouched" in capsys.readouterr().err
    assert main(["init", "--empty", "--force", "--name", "Second go", "--db", str(path)]) == 0
    con = db.connect(path, read_only=True)
    assert con.execute("SELECT value FROM settings WHERE key = 'program_name'").fetchone() == ('"Second go"',)
    con.close()
    assert main(["init", "--empty", "--name", "   ", "--db", str(tmp_path / "blank.duckdb")]) == 1
    assert "cannot be blank" in capsys.readouterr().err
    assert not (tmp_path / "blank.duckdb").exists()


def test_init_empty_is_refused_while_another_program_holds_the_file(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess
    import sys
    import time

    path = tmp_path / "held.duckdb"
    assert main(["init", "--empty", "--db", str(path)]) == 0
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(60)", str(path)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        capsys.readouterr()
        assert main(["init", "--empty", "--force", "--db", str(path)]) == 1
        assert "is open in another program" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)


def test_matching_refuses_a_one_sided_round_with_the_rule_to_choose(national: Path) -> None:
    con = db.connect(national)
    try:
        with pytest.raises(WorkbenchError, match=r"^all 60 applicants live in the United States: choose the "
                                                 r"organisation rule in Settings"):
            matchstore.run_matching(con, "2025A", by=command_line_user())
    finally:
        con.close()


# --- the cap follows the cross-border rule (issue 17: a national program lost four in five to the per-country cap)

def statuses(path: Path) -> dict[str, int]:
    con = db.connect(path, read_only=True)
    try:
        return dict(con.execute("SELECT status, count(*) FROM applications GROUP BY ALL").fetchall())  # type: ignore[arg-type]
    finally:
        con.close()


def mixed_form(tmp_path: Path, countries: list[str]) -> Path:
    """The US form with its countries replaced, row by row, by ``countries`` (cycled)."""
    rows = list(csv.reader(io.StringIO(us_form().decode())))
    for i, row in enumerate(rows[1:]):
        row[3] = countries[i % len(countries)]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = tmp_path / "mixed_form.csv"
    path.write_text(out.getvalue())
    return path


@pytest.fixture
def national_capped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The new user's way: init --empty, the default 20% cap and country rule, 60 US applicants imported."""
    path = tmp_path / "capped.duckdb"
    assert main(["init", "--empty", "--name", "Mentoring Across America", "--db", str(path)]) == 0
    form = tmp_path / "us_form.csv"
    form.write_bytes(us_form())
    capsys.readouterr()
    assert main(["import", "applications", str(form), "--round", "2025A", "--db", str(path)]) == 0
    return path


def test_choosing_the_organisation_rule_accepts_the_national_programs_waitlisted(
        national_capped: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the import says one side holds the round, and what to choose
    out = capsys.readouterr().out
    assert ("60 of 60 applicants live in the United States: under the country rule they cannot all be partnered "
            "(the 20% cap accepts 12 of them). If partners may share this country, choose the organisation rule in "
            "Settings (`workbench settings set cross_border organisation`)") in " ".join(out.split())
    assert statuses(national_capped) == {"accepted": 12, "waitlisted": 48}
    con = db.connect(national_capped, read_only=True)
    assert db.run_checks(con)["country_over_cap"] == []
    con.close()

    assert main(["settings", "set", "cross_border", "organisation", "--db", str(national_capped)]) == 0
    assert statuses(national_capped) == {"accepted": 60}
    con = db.connect(national_capped, read_only=True)
    try:
        # each of the 48 admissions audited as the director's, in the setting's transaction
        audited = con.execute("SELECT count(*), min(actor) FROM audit_log WHERE action = 'admit application' "
                              "AND after::VARCHAR LIKE '%accepted%'").fetchone()
        assert audited == (48, command_line_user().actor)
        # the check follows the rule: three applicants per library, far below 20% of 60 (12)
        assert db.run_checks(con)["country_over_cap"] == []
        by_country = con.execute("SELECT country_iso3, accepted, cap, is_at_cap FROM applicants_by_country"
                                 ).fetchall()
        assert by_country == [("USA", 60, 12, False)]
        # the SQL macro and the library put everyone on the same side
        sql = con.execute("SELECT application_id, cap_side('organisation', country_iso3, 'Northern America', "
                          "organisation_key) FROM applications ORDER BY 1").fetchall()
        python = con.execute("SELECT application_id, country_iso3, organisation FROM applications ORDER BY 1"
                             ).fetchall()
        assert sql == [(i, applications.cap_side("organisation", c, o)) for i, c, o in python]
        assert len({side for _, side in sql}) == 20
    finally:
        con.close()

    # back to the country rule: the latest 48 are waitlisted again
    assert main(["settings", "set", "cross_border", "country", "--db", str(national_capped)]) == 0
    assert statuses(national_capped) == {"accepted": 12, "waitlisted": 48}


def test_the_check_flags_a_side_above_the_cap_under_its_own_rule_only(national_capped: Path) -> None:
    con = db.connect(national_capped)
    try:
        set_setting(con, "cross_border", "organisation", by=command_line_user())
        assert applications.over_cap(con, "2025A") == []
        # the rule changed behind the library's back (no re-application): 60 accepted in one country of 12
        con.execute("UPDATE settings SET value = '\"country\"' WHERE key = 'cross_border'")
        flagged = db.run_checks(con)["country_over_cap"]
        assert [(r[0], r[1], r[2], r[3], r[-1]) for r in flagged] == [("accepted applicants", "2025A", "USA", 60, 12)]
        assert applications.over_cap(con, "2025A") == ["USA"]
        con.execute("UPDATE settings SET value = '\"none\"' WHERE key = 'cross_border'")
        assert db.run_checks(con)["country_over_cap"] == [] and applications.over_cap(con, "2025A") == []
        assert con.execute("SELECT cap, is_at_cap FROM applicants_by_country").fetchall() == [(None, False)]
    finally:
        con.close()


def test_the_region_rule_caps_each_sub_region_and_none_has_no_cap(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "americas.duckdb"
    assert main(["init", "--empty", "--db", str(path)]) == 0
    # 30 in the United States and 30 in Canada: both in Northern America
    form = mixed_form(tmp_path, ["United States", "Canada"])
    assert main(["import", "applications", str(form), "--round", "2025A", "--db", str(path)]) == 0
    assert statuses(path) == {"accepted": 24, "waitlisted": 36}  # 12 per country (20% of 60)
    capsys.readouterr()
    assert main(["settings", "set", "cross_border", "region", "--db", str(path)]) == 0
    assert statuses(path) == {"accepted": 12, "waitlisted": 36 + 12}  # 12 for the sub-region
    con = db.connect(path, read_only=True)
    assert con.execute("SELECT country_iso3, count(*) FROM applications WHERE status = 'accepted' GROUP BY ALL "
                       "ORDER BY 1").fetchall() == [("CAN", 6), ("USA", 6)]  # the earliest 12 of the two
    assert db.run_checks(con)["country_over_cap"] == []
    assert con.execute("SELECT country_iso3, is_at_cap FROM applicants_by_country ORDER BY 1").fetchall() == [
        ("CAN", True), ("USA", True)]  # the sub-region holds 60 live applications, above its cap of 12
    con.close()
    assert main(["settings", "set", "cross_border", "none", "--db", str(path)]) == 0
    assert statuses(path) == {"accepted": 60}


def test_the_import_says_when_one_country_holds_most_of_a_round(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "most.duckdb"
    assert main(["init", "--empty", "--db", str(path)]) == 0
    form = mixed_form(tmp_path, ["United States"] * 29 + ["Canada"])
    capsys.readouterr()
    assert main(["import", "applications", str(form), "--round", "2025A", "--db", str(path)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "58 of 60 applicants live in the United States: under the country rule they cannot all be partnered" in out
    # a round no side holds most of says nothing of the kind
    other = tmp_path / "three.duckdb"
    assert main(["init", "--empty", "--db", str(other)]) == 0
    form = mixed_form(tmp_path, ["United States", "Canada", "Mexico"])
    capsys.readouterr()
    assert main(["import", "applications", str(form), "--round", "2025A", "--db", str(other)]) == 0
    assert "cannot all be partnered" not in capsys.readouterr().out
