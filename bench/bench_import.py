"""Benchmarks of taking in applications and of the Applicants page at scale.

    .venv/bin/python bench/bench_import.py [--rows 10000] [--applications 100000] [--repeat 3]

1. **Import**: a generated application file of ``--rows`` rows (a Google Forms export: month-first
   dates, country spellings such as "U.S.A.", "Viet Nam" and "Deutschland", sector and career-stage
   synonyms, about 15% returning applicants' emails and about 1% faulty rows) is checked (a dry run:
   reading, header matching, validation, people, near-matches, the cap) and imported into a new round
   of a copy of the sample database, in one transaction. Reported as rows per second.
2. **The Applicants page** rendered in Streamlit's AppTest against the sample database and against a
   copy scaled to ``--applications`` applications (the sample's people and applications copied with
   new ids and emails, so every round and country grows alike), in the same run: the median of a few
   warm renders each, and their ratio.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench import db  # noqa: E402
from workbench.access import command_line_user  # noqa: E402
from workbench.applications import import_applications  # noqa: E402
from workbench.build import build_database  # noqa: E402
from workbench.sample import vocabularies as vocab  # noqa: E402

HEADERS = ["Timestamp", "Full name", "Email Address", "Which country do you work in?", "Library sector",
           "Career stage", "Areas of interest", "Languages you can work in", "Time zone",
           "Preferred partner sector", "Partner's career stage", "Partner interests"]
PLACES = ["Australia", "USA", "U.S.A.", "United Kingdom", "England", "India", "Nigeria", "Canada", "New Zealand",
          "Philippines", "South Africa", "Kenya", "Viet Nam", "Türkiye", "Deutschland", "México", "Brasil",
          "Ghana", "Malaysia", "Singapore", "Japan", "Kosovo", "DR Congo", "Holland", "Ireland", "Pakistan",
          "Uganda", "Jamaica", "Chile", "Norway"]
SECTORS = ["University", "academic", "public library", "Public", "school", "K-12", "special", "national", "other"]
STAGES = ["early career", "Early", "mid", "mid-career", "senior", "student", "manager"]
FIRST = ["Ana", "Ben", "Chloe", "Dev", "Emeka", "Fatima", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam", "Mei",
         "Nour", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tala"]
LAST = ["Adeyemi", "Brown", "Chen", "Dube", "Evans", "Fernández", "Gupta", "Hassan", "Ito", "Jones", "Kowalski",
        "López", "Mensah", "Nguyen", "O'Brien", "Patel", "Quispe", "Rossi", "Singh", "Tanaka"]


def application_file(rows: int, returning_emails: list[str], seed: int = 7) -> bytes:
    """A Google-Forms-like export of ``rows`` applications (deterministic for a seed)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for i in range(rows):
        when = (f"{rng.randint(7, 8)}/{rng.randint(1, 28)}/2017 "
                f"{rng.randint(0, 23)}:{rng.randint(10, 59)}:{rng.randint(10, 59)}")
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}-{i}"
        email = (rng.choice(returning_emails) if returning_emails and rng.random() < 0.15
                 else f"applicant{i}@library{rng.randint(1, 400)}.example.org")
        row = [when, name, email, rng.choice(PLACES), rng.choice(SECTORS), rng.choice(STAGES),
               "; ".join(rng.sample(vocab.INTERESTS, rng.randint(2, 6))),
               rng.choice(["English", "English; Spanish", "en, fr", ""]), rng.choice(["", "", "UTC+10", "GMT-5"]),
               rng.choice(["", "", "any", "academic"]), rng.choice(["", "No preference", "senior"]),
               rng.choice(["", "Open to any match", "Library spaces"])]
        if rng.random() < 0.01:  # a faulty row: an unknown sector, a bad email or an unknown country
            fault = rng.randrange(3)
            row[[4, 2, 3][fault]] = ["Zoo", "not-an-email", "Atlantis"][fault]
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def bench_import(sample: Path, work: Path, rows: int, repeat: int) -> None:
    con = db.connect(sample, read_only=True)
    emails = [r[0] for r in con.execute("SELECT email FROM people ORDER BY person_id").fetchall()]
    con.close()
    data = application_file(rows, emails)
    print(f"Import: a generated file of {rows:,} rows ({len(data) / 1e6:.1f} MB), into a new round of a copy of "
          "the sample database")
    checks, imports = [], []
    operator = command_line_user()
    for _ in range(repeat):
        target = work / "import.duckdb"
        shutil.copy(sample, target)
        con = db.connect(target)
        started = time.perf_counter()
        preview = import_applications(con, data, "bench.csv", "2017B", by=operator, dry_run=True)
        checks.append(time.perf_counter() - started)
        started = time.perf_counter()
        report = import_applications(con, data, "bench.csv", "2017B", by=operator)
        imports.append(time.perf_counter() - started)
        con.close()
        target.unlink()
    assert report.imported == preview.imported
    print(f"  {report.imported:,} imported, {len(report.rejected_rows):,} rows rejected, {report.returning:,} "
          f"returning, {report.waitlisted:,} waitlisted, {len(report.near_matches):,} near-matches offered")
    for label, times in (("check (dry run: read, validate, people, cap)", checks),
                         ("import (check + write in one transaction)", imports)):
        best, median = min(times), statistics.median(times)
        print(f"  {label}: median {median:.2f} s = {rows / median:,.0f} rows/s (best {best:.2f} s, "
              f"{rows / best:,.0f} rows/s; {repeat} runs)")


def scaled_database(sample: Path, target: Path, applications: int) -> int:
    """A copy of the sample with its people and applications copied until there are ``applications``."""
    shutil.copy(sample, target)
    con = db.connect(target)
    (top_app, top_person) = con.execute(
        "SELECT max(application_id), (SELECT max(person_id) FROM people) FROM applications"
    ).fetchone()  # type: ignore[misc]
    copy = 1
    with db.transaction(con):
        while True:
            (have,) = con.execute("SELECT count(*) FROM applications").fetchone()  # type: ignore[misc]
            need = applications - have
            if need <= 0:
                break
            con.execute(
                "INSERT INTO people SELECT person_id + ? * ?, 'copy' || ? || '.' || email, name, created_at "
                "FROM people WHERE person_id <= ?",
                [copy, top_person, copy, top_person],
            )
            con.execute(
                f"""
                INSERT INTO applications
                SELECT application_id + {copy} * {top_app}, round_id, person_id + {copy} * {top_person},
                    submitted_at + INTERVAL ({copy}) SECOND, name, 'copy{copy}.' || email, country_iso3, sector,
                    career_stage, interests, languages, timezone, utc_offset_minutes, partner_sector,
                    partner_stage, partner_interests, status, status_reason, 'scaled', 1, organisation
                FROM applications WHERE application_id <= {top_app} ORDER BY application_id LIMIT {need}
                """
            )
            copy += 1
    db.reset_sequences(con)
    con.execute("CHECKPOINT")
    (total,) = con.execute("SELECT count(*) FROM applications").fetchone()  # type: ignore[misc]
    con.close()
    return int(total)


def render_times(db_path: Path, work: Path, renders: int) -> tuple[float, list[float], str]:
    from streamlit.testing.v1 import AppTest

    from workbench.ui.auth import USER_KEY

    os.environ["WORKBENCH_DB"] = str(db_path)
    os.environ["WORKBENCH_SNAPSHOT"] = str(work / f"{db_path.stem}-analytics.duckdb")
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=600)
    at.session_state[USER_KEY] = "amorgan"  # the sample's director: the page shows every country's applicants
    at.run()
    started = time.perf_counter()
    at.switch_page("pages/applicants.py").run()
    first = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"the Applicants page failed: {at.exception}")
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
    shown = {m.label: m.value for m in at.metric}
    return first, times, f"{shown['Applicants']} applicants from {shown['Countries']} countries"


def bench_page(sample: Path, work: Path, applications: int, renders: int) -> None:
    scaled = work / "scaled.duckdb"
    started = time.perf_counter()
    total = scaled_database(sample, scaled, applications)
    print(f"\nApplicants page in AppTest (newest round, all countries, no filter); scaled database of {total:,} "
          f"applications built in {time.perf_counter() - started:.1f} s")
    results = {}
    for label, path in (("sample", sample), (f"{total:,} applications", scaled)):
        first, times, shown = render_times(path, work, renders)
        results[label] = statistics.median(times)
        print(f"  {label}: first render {first:.2f} s, then median {statistics.median(times):.3f} s "
              f"(best {min(times):.3f} s, {renders} renders) · {shown}")
    base, big = results["sample"], results[f"{total:,} applications"]
    print(f"  ratio (scaled / sample, median warm render): {big / base:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the generated application file")
    parser.add_argument("--applications", type=int, default=100_000, help="applications in the scaled database")
    parser.add_argument("--repeat", type=int, default=3, help="import runs")
    parser.add_argument("--renders", type=int, default=7, help="warm page renders per database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        sample = work / "sample.duckdb"
        build_database(sample)
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
        bench_import(sample, work, args.rows, args.repeat)
        bench_page(sample, work, args.applications, args.renders)


if __name__ == "__main__":
    main()
