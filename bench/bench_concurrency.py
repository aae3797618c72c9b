"""Several coordinators editing one proposed run at once, the way the Streamlit server runs them.

The server keeps one read-write DuckDB connection and gives every script run (a browser session, a
thread) its own ``con.cursor()``. This benchmark builds a private copy of the sample database, runs
the matching of 2017A to get a proposed run, then starts N threads (coordinators) with a cursor each;
every thread makes M edits, each one like a coordinator who reloads the page and clicks: read the
run's current version and the partnership's lock, then lock or unlock it
(:func:`workbench.matchstore.lock_partnership`).

Every attempt is classified:

- **saved**: the edit returned;
- **refused**: a :class:`~workbench.errors.WorkbenchError` (the clear "reload and try again" message);
- **failed**: any other exception (a raw DuckDB error a page would show as a traceback).

``lost`` is saved − the run's version growth (an edit reported as saved that the version does not
show); the audit entries written are compared with the saved edits. The same number of edits
(N·M) is also made by one thread on a fresh copy of the same database, as a reference.

    .venv/bin/python bench/bench_concurrency.py                 # 8 coordinators × 100 edits
    .venv/bin/python bench/bench_concurrency.py --threads 4 --edits 50 --json
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import workbench
from workbench import db, matchstore
from workbench.access import User, command_line_user
from workbench.build import build_database
from workbench.errors import WorkbenchError

ROUND = "2017A"


@dataclass
class Outcome:
    threads: int
    edits_per_thread: int
    attempts: int = 0
    saved: int = 0
    refused: int = 0
    failed: int = 0
    version_before: int = 0
    version_after: int = 0
    version_growth: int = 0
    lost: int = 0
    audit_added: int = 0
    audit_per_saved: float = 0.0
    seconds: float = 0.0
    edits_per_second: float = 0.0
    saved_per_second: float = 0.0
    refused_messages: list[str] = field(default_factory=list)
    failed_messages: list[str] = field(default_factory=list)
    failed_by_message: dict[str, int] = field(default_factory=dict)


def prepare(folder: Path) -> tuple[Path, int]:
    """The sample database with a proposed run of 2017A; returns its path and the run id."""
    path = folder / "template.duckdb"
    build_database(path)
    con = db.connect(path)
    try:
        run_id, _ = matchstore.run_matching(con, ROUND, matchstore.RunSettings(time_limit=5),
                                             by=command_line_user())
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path, run_id


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def measure(path: Path, run_id: int, threads: int, edits: int) -> Outcome:
    """``threads`` coordinators, each with a cursor of one shared connection, ``edits`` lock toggles each."""
    con = db.connect(path)
    try:
        partnerships = [r[0] for r in con.execute(
            "SELECT partnership_id FROM partnerships WHERE run_id = ? AND status = 'proposed' "
            "ORDER BY partnership_id LIMIT ?", [run_id, threads]).fetchall()]
        if len(partnerships) < threads:
            raise SystemExit(f"run {run_id} has {len(partnerships)} partnerships, fewer than {threads} threads")
        (version_before,) = con.execute("SELECT version FROM match_runs WHERE run_id = ?", [run_id]).fetchone()
        (audit_before,) = con.execute("SELECT count(*) FROM audit_log").fetchone()

        outcome = Outcome(threads, edits, version_before=int(version_before))
        tally_lock = threading.Lock()
        failures: Counter[str] = Counter()
        refusals: Counter[str] = Counter()
        start = threading.Barrier(threads + 1, timeout=60)

        def coordinator(index: int) -> None:
            cur = con.cursor()
            pid = partnerships[index]
            actor = f"coordinator-{index + 1}"
            user = User(id=actor, email=f"{actor}@bench.example.org", name=actor, role="coordinator")
            saved = refused = failed = 0
            start.wait()
            try:
                for _ in range(edits):
                    try:
                        # Reload: the run's version and the pair's lock as the page shows them.
                        version, locked = cur.execute(
                            "SELECT r.version, p.is_locked FROM match_runs AS r JOIN partnerships AS p "
                            "ON p.run_id = r.run_id WHERE r.run_id = ? AND p.partnership_id = ?",
                            [run_id, pid]).fetchone()
                        matchstore.lock_partnership(cur, run_id, pid, int(version), by=user,
                                                    locked=not locked)
                    except WorkbenchError as exc:
                        refused += 1
                        with tally_lock:
                            refusals[re.sub(r"\d+", "N", _first_line(exc))[:160]] += 1
                    except Exception as exc:
                        failed += 1
                        with tally_lock:
                            failures[_first_line(exc)[:200]] += 1
                    else:
                        saved += 1
            finally:
                cur.close()
                with tally_lock:
                    outcome.saved += saved
                    outcome.refused += refused
                    outcome.failed += failed

        workers = [threading.Thread(target=coordinator, args=(i,), name=f"coordinator-{i + 1}")
                   for i in range(threads)]
        for w in workers:
            w.start()
        start.wait()
        began = time.perf_counter()
        for w in workers:
            w.join()
        outcome.seconds = time.perf_counter() - began

        (version_after,) = con.execute("SELECT version FROM match_runs WHERE run_id = ?", [run_id]).fetchone()
        (audit_after,) = con.execute("SELECT count(*) FROM audit_log").fetchone()
    finally:
        con.close()
    outcome.attempts = threads * edits
    assert outcome.saved + outcome.refused + outcome.failed == outcome.attempts
    outcome.version_after = int(version_after)
    outcome.version_growth = outcome.version_after - outcome.version_before
    outcome.lost = outcome.saved - outcome.version_growth
    outcome.audit_added = int(audit_after) - int(audit_before)
    outcome.audit_per_saved = outcome.audit_added / outcome.saved if outcome.saved else 0.0
    outcome.edits_per_second = outcome.attempts / outcome.seconds if outcome.seconds else 0.0
    outcome.saved_per_second = outcome.saved / outcome.seconds if outcome.seconds else 0.0
    outcome.refused_messages = [m for m, _ in refusals.most_common(3)]
    outcome.failed_by_message = dict(failures.most_common())
    outcome.failed_messages = [m for m, _ in failures.most_common(5)]
    return outcome


def report(label: str, o: Outcome) -> None:
    print(f"{label}: {o.threads} thread(s) × {o.edits_per_thread} edits = {o.attempts} attempts")
    print(f"  saved     {o.saved:6d}")
    print(f"  refused   {o.refused:6d}   (WorkbenchError: the clear message)")
    print(f"  failed    {o.failed:6d}   (any other exception)")
    print(f"  lost      {o.lost:6d}   (saved {o.saved} − version growth {o.version_growth}: "
          f"{o.version_before} → {o.version_after})")
    print(f"  audit     {o.audit_added:6d}   entries added for {o.saved} saved edits "
          f"({o.audit_per_saved:.2f} per saved edit)")
    print(f"  wall      {o.seconds:9.2f} s   {o.edits_per_second:8.1f} edits/s   {o.saved_per_second:8.1f} saved/s")
    for message in o.refused_messages:
        print(f"  refused e.g. {message}")
    for message in o.failed_messages:
        print(f"  failed ×{o.failed_by_message[message]}: {message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--threads", type=int, default=8, help="coordinators editing at once (default 8)")
    parser.add_argument("--edits", type=int, default=100, help="edits each coordinator makes (default 100)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.edits < 1:
        parser.error("--threads and --edits must be at least 1")

    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as tmp:
        folder = Path(tmp)
        template, run_id = prepare(folder)
        multi_path, single_path = folder / "multi.duckdb", folder / "single.duckdb"
        shutil.copy(template, multi_path)
        shutil.copy(template, single_path)
        multi = measure(multi_path, run_id, args.threads, args.edits)
        single = measure(single_path, run_id, 1, args.threads * args.edits)

    ratio = multi.edits_per_second / single.edits_per_second if single.edits_per_second else 0.0
    saved_ratio = multi.saved_per_second / single.saved_per_second if single.saved_per_second else 0.0
    if args.json:
        print(json.dumps({"workbench": str(Path(workbench.__file__).parent), "run_id": run_id,
                          "concurrent": asdict(multi), "single": asdict(single),
                          "edits_per_second_ratio": ratio, "saved_per_second_ratio": saved_ratio}, indent=2))
    else:
        print(f"workbench code: {Path(workbench.__file__).parent}   proposed run {run_id} of {ROUND}")
        report("concurrent", multi)
        report("single-thread reference", single)
        print(f"ratio concurrent/single: {ratio:.2f}× attempts per second, {saved_ratio:.2f}× saved per second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
