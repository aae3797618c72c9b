"""1,200 people answering their check-in from the link in the program's email within one minute (issue 20).

Builds a private copy of the sample database, publishes 2017A, makes each participant's check-in link (the
1,168 members of 2017A for fortnight 1, and 32 members of 2016B for fortnight 9, to reach 1,200 people), starts
`workbench serve` on a free port and lets 1,200 simulated people arrive evenly over 60 seconds: each opens their
link (GET: the form, its CSRF cookie and field) and sends their answer (POST), from their own address (behind the
reverse proxy: ``X-Forwarded-For``, which uvicorn trusts from 127.0.0.1). Every answer's response time is
measured; after the server stops, the answers stored with ``source = 'link'`` are counted: ``lost`` is the
people who were thanked but whose answer is not there, ``failed`` those who got anything but the thank-you page.

The reference, measured in the same run: the same answer stored in-process through
:func:`workbench.followup.answers.answer_checkin` (no HTTP, no page), for 200 of the people again (an update).

    .venv/bin/python bench/bench_checkin.py                  # 1,200 people in 60 s
    .venv/bin/python bench/bench_checkin.py --people 300 --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_support import workbench_serve  # noqa: E402
from tests.smtp_support import publish_round  # noqa: E402
from workbench import db, migrations  # noqa: E402
from workbench.access import system_user  # noqa: E402
from workbench.build import build_database  # noqa: E402
from workbench.followup import answers  # noqa: E402
from workbench.participants import checkins as pages  # noqa: E402

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FAILURES: list[str] = []


def _people(con: db.Connection, n: int) -> list[tuple[int, int, int]]:
    rows = con.execute(
        """SELECT m.application_id, m.partnership_id, CASE p.round_id WHEN '2017A' THEN 1 ELSE 9 END
           FROM partnership_members AS m JOIN partnerships AS p USING (partnership_id)
           WHERE (p.round_id = '2017A' AND p.status = 'active') OR (p.round_id = '2016B' AND p.status = 'completed')
           ORDER BY p.round_id = '2017A' DESC, m.application_id""").fetchall()
    return [(int(a), int(p), int(f)) for a, p, f in rows[:n]]


async def _one(transport: httpx.AsyncHTTPTransport, url: str, i: int, start: float, delay: float,
               out: list[tuple[int, float, float, bool]]) -> None:
    """One person: their own browser (their own cookies; the connections are pooled), opening the link then
    sending the answer."""
    await asyncio.sleep(max(0.0, start + delay - time.monotonic()))
    client = httpx.AsyncClient(timeout=60, transport=transport)  # not closed: that would close the shared pool
    await _visit(client, url, i, out)


async def _visit(client: httpx.AsyncClient, url: str, i: int, out: list[tuple[int, float, float, bool]]) -> None:
    headers = {"X-Forwarded-For": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"}
    began = time.monotonic()
    try:
        page = await client.get(url, headers=headers)
        found = CSRF.search(page.text)
        posted = time.monotonic()
        talked, rating = _answer(i)
        answer = {"talked": talked, "methods": ["email"], "rating": str(rating),
                  "csrf": found.group(1) if found else ""}
        sent = await client.post(url, headers=headers, data=answer)
        ok = sent.status_code == 200 and "Thank you" in sent.text
        if not ok:
            FAILURES.append(f"person {i}: GET {page.status_code}, POST {sent.status_code}")
        out.append((i, time.monotonic() - posted, time.monotonic() - began, ok))
    except httpx.HTTPError as exc:
        FAILURES.append(f"person {i}: {type(exc).__name__} {exc}")
        out.append((i, float("nan"), float("nan"), False))


async def _crowd(base: str, links: list[str], seconds: float) -> list[tuple[int, float, float, bool]]:
    out: list[tuple[int, float, float, bool]] = []
    transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=100, max_keepalive_connections=100))
    start = time.monotonic()
    step = seconds / len(links)
    try:
        await asyncio.gather(*(_one(transport, base + link, i, start, i * step, out) for i, link in enumerate(links)))
    finally:
        await transport.aclose()
    return out


def _server_cpu(base: str) -> float:
    """CPU seconds (user + system) the `workbench serve` process listening at ``base`` has used so far."""
    port = base.rsplit(":", 1)[1]
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and port.encode() in argv:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return float("nan")


def _answer(i: int) -> tuple[str, int]:
    """Person i's answer: most talked (80%), some not yet (15%), a few partners silent (5%)."""
    talked = "yes" if i % 20 < 16 else "not_yet" if i % 20 < 19 else "no_reply"
    return talked, (3 + i % 3) if talked == "yes" else 2


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1200)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "workbench.duckdb"
        build_database(path)
        publish_round(path, "2017A")
        con = migrations.open_live(path)
        people = _people(con, args.people)
        links = ["/checkin/" + pages.checkin_link(con, a, p, f).split("/checkin/", 1)[1] for a, p, f in people]
        con.close()
        print(f"{len(people):,} people over {args.seconds:g} s ({len(people) / args.seconds:.1f} a second)")
        wall = time.monotonic()
        with workbench_serve(path, tmp) as base:
            cpu = _server_cpu(base)
            results = asyncio.run(_crowd(base, links, args.seconds))
            cpu = _server_cpu(base) - cpu
        wall = time.monotonic() - wall
        con = migrations.open_live(path)
        stored = {(int(a), int(f)): (c, r, n) for a, f, c, r, n in con.execute(
            "SELECT application_id, fortnight, contact_made, rating, source = 'link' AND submitted_on = current_date "
            "FROM checkins").fetchall()}
        thanked = sum(ok for *_, ok in results)
        kept = 0
        for i, _, _, ok in results:
            a, _, f = people[i]
            talked, rating = _answer(i)
            kept += ok and stored.get((a, f)) == (talked == "yes", rating, True)
        posts = [r[1] for r in results if r[3]]
        whole = [r[2] for r in results if r[3]]
        print(f"thanked {thanked:,}, failed {len(people) - thanked:,}, stored as answered {kept:,}, "
              f"lost {thanked - kept:,}" + (f" ({'; '.join(FAILURES[:5])})" if FAILURES else ""))
        print(f"answer (POST) response time: median {statistics.median(posts) * 1000:.0f} ms, "
              f"p95 {_p(posts, 0.95) * 1000:.0f} ms, max {max(posts) * 1000:.0f} ms; form and answer together: "
              f"p95 {_p(whole, 0.95) * 1000:.0f} ms")
        per = cpu / max(1, thanked)
        print(f"server CPU per person (form and answer): {per * 1000:.0f} ms, so one core keeps up with "
              f"{1 / per:.0f} people a second; load average while measuring: {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores")
        by = system_user("bench")
        reference = []
        for a, p, f in people[:200]:
            t0 = time.perf_counter()
            answers.answer_checkin(con, a, p, f, answers.CheckinAnswer("yes", ("email",), (), 4), by=by)
            reference.append(time.perf_counter() - t0)
        con.close()
        ref95 = _p(reference, 0.95)
        print(f"reference, the same answer stored in-process (200 people): p95 {ref95 * 1000:.0f} ms; "
              f"over HTTP the p95 is {_p(posts, 0.95) / ref95:.1f}× that; the crowd took {wall:.0f} s in all")
        shutil.rmtree(tmp / "serve-cwd", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
