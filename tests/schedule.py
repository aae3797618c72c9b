"""The order the suite's files are handed to pytest-xdist's workers, so that `make test` keeps every core busy.

xdist's ``--dist loadfile`` hands a worker a whole test file at a time, in the order the items are collected
when ``--no-loadscope-reorder`` is given (otherwise it sorts the files by their number of tests, which puts
the long one-test browser journeys last, all at once, with the cores half idle while they wait on Chromium).
Here the files go longest first (so the run does not end on a long file), and the *waiting* files (the browser
journeys, and any file whose CPU time was under :data:`WAITING` of its seconds: they mostly wait on another
process) are spread through the run, one every so often, so they overlap with files that keep a core busy.
``make test`` runs one worker more than there are cores, to use the time they wait.

The figures come from ``tests/durations.json`` ({file: [seconds, cpu_seconds]}), written by a run with
``--record-durations`` (``.venv/bin/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder
--record-durations``). A file it does not know counts a third of a second per test. A stale file only makes
the run a little slower; it never changes which tests run or what they assert.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

DURATIONS = Path(__file__).with_name("durations.json")
RECORDS = Path(__file__).resolve().parents[1] / ".pytest_cache" / "durations"
#: a file whose CPU time is under this share of its wall time mostly waits (on Chromium, a server)
WAITING = 0.45
PER_TEST = 1 / 3


def known_durations(path: Path = DURATIONS) -> dict[str, tuple[float, float]]:
    if not path.exists():
        return {}
    return {str(k): (float(v[0]), float(v[1])) for k, v in json.loads(path.read_text()).items()}


def file_order(counts: dict[str, int], known: dict[str, tuple[float, float]]) -> list[str]:
    """The files, longest first, with the waiting ones spread evenly through the busy ones' run."""
    def seconds(name: str) -> float:
        return known[name][0] if name in known else PER_TEST * counts[name]

    waiting = sorted((f for f in counts if Path(f).name.startswith("test_browser")
                      or (f in known and known[f][1] < WAITING * known[f][0])), key=lambda f: -seconds(f))
    busy = sorted((f for f in counts if f not in waiting), key=lambda f: -seconds(f))
    if not waiting:
        return busy
    total = sum(seconds(f) for f in busy)
    step = 0.8 * total / len(waiting)  # the last waiting file starts well before the end
    order: list[str] = []
    spent = 0.0
    pending = list(waiting)
    for name in busy:
        while pending and spent >= step * (len(waiting) - len(pending)):
            order.append(pending.pop(0))
        order.append(name)
        spent += seconds(name)
    return order + pending


def reorder(items: list[pytest.Item]) -> None:
    """Put ``items`` in :func:`file_order`, keeping each file's own order (every worker does the same)."""
    by_file: dict[str, list[pytest.Item]] = defaultdict(list)
    for item in items:
        by_file[item.nodeid.split("::", 1)[0]].append(item)
    order = file_order({f: len(v) for f, v in by_file.items()}, known_durations())
    items[:] = [item for name in order for item in by_file[name]]


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Recorder:
    """With ``--record-durations``: each worker adds up each file's seconds and CPU seconds, and the run ends by
    writing ``tests/durations.json`` from them."""

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: Any) -> Any:
        started, cpu = time.perf_counter(), _cpu()
        yield
        total = self.totals[item.nodeid.split("::", 1)[0]]
        total[0] += time.perf_counter() - started
        total[1] += _cpu() - cpu

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        worker = getattr(session.config, "workerinput", None)
        RECORDS.mkdir(parents=True, exist_ok=True)
        if worker is not None:  # a worker: its share
            (RECORDS / f"{worker['workerid']}.json").write_text(json.dumps(self.totals))
            return
        merged: dict[str, list[float]] = dict(self.totals)
        for part in RECORDS.glob("*.json"):
            merged.update(json.loads(part.read_text()))
            part.unlink()
        if merged:
            lines = [f"  {json.dumps(k)}: [{v[0]:.1f}, {v[1]:.1f}]" for k, v in sorted(merged.items())]
            DURATIONS.write_text("{\n" + ",\n".join(lines) + "\n}\n")
            print(f"\n{DURATIONS.name}: {len(merged)} files, {sum(v[0] for v in merged.values()):.0f} s "
                  f"({os.cpu_count()} cores)")
