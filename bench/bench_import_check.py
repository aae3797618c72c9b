"""Benchmark: checking and importing a real round's export, 1,200 rows in another program's words.

    .venv/bin/python bench/bench_import_check.py [--rows 1200] [--repeat 3]

The file is :func:`tests.fixtures.form_export.form_export` (the browser journey imports the same one): a Google Forms
export with returning applicants, near-matches (a known name and country with a new email, an email one slip away),
second submissions, another program's interests, odd time zones ("GMT+5.30", "IST", "MYT", "Sydney"…), an ambiguous
country and a few broken rows. Measured in one run, against a copy of the sample database:

1. the **check** (the import's dry run: reading, headers, validation, vocabularies, time zones, near-matches, the
   cap), median of ``--repeat`` runs, against the same check of a reference file of as many rows written in the
   program's own words (bench/bench_import.py's generator: no unknown values, few near-matches);
2. the **Import page** drawing that check, in Streamlit's AppTest as the sample coordinator (first and warm runs);
3. the **import** itself, writing every row in one transaction into a new round.

The target: the check of 1,200 rows draws in 2 seconds or less.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_import import application_file  # noqa: E402

from tests.fixtures.form_export import form_export, known_people  # noqa: E402
from workbench import db  # noqa: E402
from workbench.access import command_line_user  # noqa: E402
from workbench.applications import import_applications  # noqa: E402
from workbench.build import build_database  # noqa: E402

TARGET_SECONDS = 2.0


def _timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench(rows: int, repeat: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-import-check-"))
    try:
        sample = work / "sample.duckdb"
        build_database(sample)
        con = db.connect(sample, read_only=True)
        people = known_people(con)
        export = form_export(people, rows)
        reference = application_file(rows, [p[1] for p in people])
        user = command_line_user()

        def check(data: bytes, name: str):  # type: ignore[no-untyped-def]
            return lambda: import_applications(con, data, name, "2017B", by=user, dry_run=True)

        import_applications(con, reference, "warm.csv", "2017B", by=user, dry_run=True)  # caches, imports
        ref_seconds, _ = _timed(check(reference, "reference.csv"), repeat)
        check_seconds, report = _timed(check(export.data, "form.csv"), repeat)
        con.close()

        print(f"{rows:,}-row Google Forms export ({len(export.data) / 1024:,.0f} KB): {report.summary()}")  # type: ignore[attr-defined]
        print(f"  values outside the lists: {len(report.unknown_values)}, near-matches: "  # type: ignore[attr-defined]
              f"{len(report.near_matches)}, second submissions: {len(report.resubmitted)}, "  # type: ignore[attr-defined]
              f"time zones read with a fallback: {len(report.warnings)}")  # type: ignore[attr-defined]
        print()
        print(f"{'what':<58}{'seconds':>9}")
        label = f"check, a reference file in the program's own words ({rows:,} rows)"
        print(f"{label:<58}{ref_seconds:>9.2f}")
        print(f"{f'check, the export ({rows:,} rows, median of {repeat})':<58}{check_seconds:>9.2f}")
        print(f"{'  ratio to the reference':<58}{check_seconds / ref_seconds:>9.2f}")

        # The Import page drawing the check (AppTest, the sample coordinator).
        page_db = work / "page.duckdb"
        shutil.copy(sample, page_db)
        os.environ["WORKBENCH_DB"] = str(page_db)
        os.environ["WORKBENCH_SNAPSHOT"] = str(work / "analytics.duckdb")
        os.chdir(ROOT)
        from tests.app_support import app_as

        at = app_as("coordinator", "pages/import.py")
        at.text_input(key="import_new_round").input("2017B").run()
        at.session_state["import_file"] = {"name": "form.csv", "data": export.data, "from_uploader": False}
        start = time.perf_counter()
        at.run()
        first = time.perf_counter() - start
        assert not at.exception, at.exception
        warm = []
        for _ in range(repeat):
            start = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - start)
        draw = statistics.median(warm)
        print(f"{'Import page draws the check, first run':<58}{first:>9.2f}")
        print(f"{f'Import page draws the check, warm (median of {repeat})':<58}{draw:>9.2f}")

        # The import, written.
        write_db = work / "write.duckdb"
        shutil.copy(sample, write_db)
        live = db.connect(write_db)
        start = time.perf_counter()
        done = import_applications(live, export.data, "form.csv", "2017B", by=user)
        written = time.perf_counter() - start
        live.close()
        print(f"{f'import, {done.imported:,} applications written in one transaction':<58}{written:>9.2f}")
        worst = max(check_seconds, first)
        verdict = "within" if worst <= TARGET_SECONDS else "OVER"
        print(f"\nTarget: the check of {rows:,} rows draws in <= {TARGET_SECONDS:.0f} s: {verdict} "
              f"(slowest: {worst:.2f} s).")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bench(args.rows, args.repeat)


if __name__ == "__main__":
    main()
