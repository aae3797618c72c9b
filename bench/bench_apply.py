"""The participants' pages under load: page weights, response times, and concurrent applications none of which is
lost or stored twice.

    .venv/bin/python bench/bench_apply.py [--applications 200] [--clients 20]

A copy of the sample database opens round 2099A on the form; `workbench serve` runs it on a free port with an
aiosmtpd server on 127.0.0.1 for the confirmations (no rate limit). Printed:

- each participant page's weight in bytes, with the stylesheet it links to, against the 30 KB limit;
- ``--clients`` concurrent clients (httpx, each its own address through X-Forwarded-For, as behind the reverse
  proxy) submit ``--applications`` applications between them (GET the form, POST it), then confirm each through
  its emailed link (GET the page, POST its one button): median and 95th-percentile response times per request
  kind, against the server's health check measured in the same run (the reference);
- the database afterwards, counted: form applications and applications in the round, lost (an accepted form
  without its row) and duplicated (an address stored twice).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser_support import workbench_serve  # noqa: E402
from tests.smtp_support import Server, smtp_server  # noqa: E402
from workbench import db, migrations  # noqa: E402
from workbench.access import command_line_user  # noqa: E402
from workbench.build import build_database  # noqa: E402
from workbench.participants import applying  # noqa: E402
from workbench.participants.web import CSS_PATH, MAX_PAGE_BYTES  # noqa: E402
from workbench.program.settings import set_setting  # noqa: E402

ROUND = "2099A"
BASE = "https://bench.example.org"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Timings:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seconds: dict[str, list[float]] = defaultdict(list)

    def request(self, client: httpx.Client, kind: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        started = time.perf_counter()
        response = client.request(method, url, **kwargs)
        elapsed = time.perf_counter() - started
        with self.lock:
            self.seconds[kind].append(elapsed)
        return response


def _csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    if not found:
        raise RuntimeError(f"no CSRF field in the page ({page.status_code}): {page.text[:300]}")
    return found.group(1)


def _vocabulary(path: Path) -> dict[str, str]:
    con = db.connect(path, read_only=True)
    try:
        def first(kind: str) -> str:
            return str(con.execute("SELECT value FROM vocabulary_terms WHERE kind = ? ORDER BY position LIMIT 1",
                                   [kind]).fetchone()[0])  # type: ignore[index]
        return {"sector": first("sector"), "career_stage": first("career_stage"), "interest": first("interest")}
    finally:
        con.close()


def _links(smtp: Server, emails: list[str], timeout: float) -> dict[str, str]:
    """address -> the path of its confirmation link, once every confirmation arrived."""
    wanted = set(emails)
    found: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(found) < len(wanted):
        for received in list(smtp.handler.received):
            for address in received.rcpt_tos:
                if address in wanted and address not in found:
                    link = re.search(re.escape(BASE) + r"(/apply/confirm/\S+)", received.message.get_content())
                    if link:
                        found[address] = link.group(1)
        time.sleep(0.2)
    return found


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    clients = args.clients
    per_client = -(-args.applications // clients)
    emails = [f"bench.{c:02d}.{i:03d}@apply.example.org" for c in range(clients) for i in range(per_client)]
    emails = emails[:args.applications]
    by_client = [[e for e in emails if e.startswith(f"bench.{c:02d}.")] for c in range(clients)]
    timings = Timings()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "workbench.duckdb"
        sample = folder / "sample.duckdb"
        build_database(sample)
        shutil.copy(sample, path)
        con = migrations.open_live(path)
        applying.open_for_applications(con, ROUND, by=command_line_user(), closes_on=None)
        set_setting(con, "base_url", BASE, by=command_line_user())
        con.close()
        vocab = _vocabulary(path)
        with smtp_server(folder) as smtp:
            os.environ.update(smtp.env())  # the server's mail settings (no rate limit)
            with workbench_serve(path, folder) as url:
                # --- page weights -----------------------------------------------------------------------------
                with httpx.Client(base_url=url, timeout=60, headers={"X-Forwarded-For": "192.0.2.250"}) as probe:
                    css = len(probe.get(CSS_PATH).content)
                    weights = {f"/apply ({lang})": len(probe.get(f"/apply?lang={lang}").content)
                               for lang in ("en", "fr", "es")}
                    reference = []
                    for _ in range(50):
                        started = time.perf_counter()
                        probe.get("/_stcore/health")
                        reference.append(time.perf_counter() - started)

                # --- concurrent applications ------------------------------------------------------------------
                accepted: list[str] = []
                failures: list[str] = []
                lock = threading.Lock()

                def apply(client_no: int) -> None:
                    address = f"198.51.100.{client_no + 1}"
                    with httpx.Client(base_url=url, timeout=120, headers={"X-Forwarded-For": address}) as client:
                        for email in by_client[client_no]:
                            page = timings.request(client, "GET /apply", "GET", "/apply?lang=en")
                            form = {"csrf": _csrf(page), "name": f"Bench {email.split('@')[0]}", "email": email,
                                    "country": "KEN", "sector": vocab["sector"], "career_stage": vocab["career_stage"],
                                    "interests": [vocab["interest"]], "languages": ["English"], "consent": "yes",
                                    "returner": "no"}
                            sent = timings.request(client, "POST /apply", "POST", "/apply?lang=en", data=form)
                            with lock:
                                (accepted if sent.status_code == 200 else failures).append(
                                    email if sent.status_code == 200 else f"{email}: {sent.status_code}")

                started = time.perf_counter()
                with ThreadPoolExecutor(clients) as pool:
                    list(pool.map(apply, range(clients)))
                submit_seconds = time.perf_counter() - started
                links = _links(smtp, accepted, timeout=600)
                with httpx.Client(base_url=url, timeout=60, headers={"X-Forwarded-For": "192.0.2.251"}) as probe:
                    first = next(iter(links.values()))
                    weights["/apply/confirm/<token>"] = len(probe.get(first).content)

                confirmed: list[str] = []
                me_links: list[str] = []

                def confirm(client_no: int) -> None:
                    address = f"198.51.100.{client_no + 101}"
                    with httpx.Client(base_url=url, timeout=120, headers={"X-Forwarded-For": address}) as client:
                        for email in by_client[client_no]:
                            if email not in links:
                                continue
                            page = timings.request(client, "GET /apply/confirm", "GET", links[email])
                            done = timings.request(client, "POST /apply/confirm", "POST", links[email],
                                                   data={"csrf": _csrf(page)})
                            me = re.search(r'href="(/me/[^"]+)"', done.text)
                            with lock:
                                if done.status_code == 200:
                                    confirmed.append(email)
                                else:
                                    failures.append(f"{email} confirm: {done.status_code}")
                                if me:
                                    me_links.append(me.group(1))

                started = time.perf_counter()
                with ThreadPoolExecutor(clients) as pool:
                    list(pool.map(confirm, range(clients)))
                confirm_seconds = time.perf_counter() - started
                with httpx.Client(base_url=url, timeout=60, headers={"X-Forwarded-For": "192.0.2.252"}) as probe:
                    for lang in ("en", "fr", "es") if me_links else ():
                        weights[f"/me/<token> ({lang})"] = len(probe.get(f"{me_links[0]}?lang={lang}").content)
                    weights["error page (tampered link)"] = len(probe.get("/me/forged.token").content)
            # the server stopped: the file is free to count
            if failures:
                print("The server's log ends:\n" + "\n".join(
                    (folder / "serve.log").read_text(encoding="utf-8").splitlines()[-40:]), file=sys.stderr)
        con = db.connect(path, read_only=True)
        try:
            (forms, distinct, confirmed_rows) = con.execute(
                "SELECT count(*), count(DISTINCT email), count(*) FILTER (status = 'confirmed') FROM form_applications "
                "WHERE round_id = ? AND email LIKE 'bench.%@apply.example.org'", [ROUND]).fetchone()  # type: ignore[misc]
            (apps, apps_distinct) = con.execute(
                "SELECT count(*), count(DISTINCT email) FROM applications WHERE round_id = ? AND "
                "email LIKE 'bench.%@apply.example.org'", [ROUND]).fetchone()  # type: ignore[misc]
        finally:
            con.close()

    print(f"Page weights (limit {MAX_PAGE_BYTES:,} bytes, stylesheet {css:,} bytes included):")
    for name, size in weights.items():
        print(f"  {name:<32} {size:>7,} B  + CSS = {size + css:>7,} B  "
              f"({(size + css) / MAX_PAGE_BYTES:.0%} of the limit)")
    ref = statistics.median(reference)
    print(f"\nResponse times ({clients} concurrent clients), reference: /_stcore/health median {ref * 1000:.1f} ms")
    for kind, values in timings.seconds.items():
        median, p95 = statistics.median(values), _percentile(values, 0.95)
        print(f"  {kind:<22} n={len(values):>4}  median {median * 1000:7.1f} ms ({median / ref:6.1f}x)  "
              f"p95 {p95 * 1000:7.1f} ms ({p95 / ref:6.1f}x)")
    print(f"\n{len(emails)} applications by {clients} clients: submitted in {submit_seconds:.1f} s "
          f"({len(emails) / submit_seconds:.1f}/s), confirmed in {confirm_seconds:.1f} s "
          f"({len(confirmed) / max(confirm_seconds, 1e-9):.1f}/s)")
    lost = (len(accepted) - int(distinct)) + (len(confirmed) - int(apps_distinct))
    duplicated = (int(forms) - int(distinct)) + (int(apps) - int(apps_distinct))
    print(f"  accepted forms {len(accepted)}, confirmation emails {len(links)}, confirmed {len(confirmed)}")
    print(f"  in the database: form applications {forms} ({distinct} addresses, {confirmed_rows} confirmed), "
          f"applications in {ROUND} {apps} ({apps_distinct} addresses)")
    print(f"  lost {lost}, duplicated {duplicated}, failures {len(failures)}"
          + (f": {failures[:5]}" if failures else ""))
    return 0 if not failures and lost == 0 and duplicated == 0 and int(apps) == len(emails) else 1


if __name__ == "__main__":
    raise SystemExit(main())
