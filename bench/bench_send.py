"""How long the outbox takes to send a round's introductions to a mail server on this machine.

    .venv/bin/python bench/bench_send.py [--security none|starttls] [--repeat 1]

A copy of the sample database has its 2017A round (1,168 accepted applicants) matched and published: 584
partnerships. Their introductions are queued, then sent to an aiosmtpd server on 127.0.0.1 (the one the
tests start) with no rate limit, each message committed as accepted before the next, as a real batch is.
Printed: the time to queue, the time to send and messages per second, and how long the same batch takes at
the default rate limit (20 a minute). ``--security starttls`` adds TLS (a self-signed certificate).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.smtp_support import publish_round, smtp_server  # noqa: E402
from workbench import db  # noqa: E402
from workbench.access import command_line_user  # noqa: E402
from workbench.build import build_database  # noqa: E402
from workbench.messages import outbox, smtp  # noqa: E402

ROUND = "2017A"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--security", choices=["none", "starttls"], default="none")
    parser.add_argument("--repeat", type=int, default=1, help="send the batch this many times (fresh copies)")
    args = parser.parse_args()
    user = command_line_user()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sample = folder / "sample.duckdb"
        build_database(sample)
        publish_round(sample, ROUND)
        for i in range(args.repeat):
            path = folder / f"run{i}.duckdb"
            shutil.copy(sample, path)
            con = db.connect(path)
            try:
                started = time.perf_counter()
                queued = outbox.queue_introductions(con, ROUND, by=user)
                queue_seconds = time.perf_counter() - started
                with smtp_server(folder, tls=args.security == "starttls") as srv:
                    if srv.cafile:
                        os.environ["SSL_CERT_FILE"] = str(srv.cafile)
                    config = smtp.smtp_config(environ=srv.env(args.security), secrets=folder / "none.toml")
                    started = time.perf_counter()
                    batch = outbox.send(con, by=user, config=config)
                    seconds = time.perf_counter() - started
                    received = len(srv.handler.received)
            finally:
                con.close()
            assert batch.sent == queued.added == received, (batch.as_json(), queued.added, received)
            paced = (queued.added - 1) * 60 / smtp.DEFAULT_PER_MINUTE
            print(f"{ROUND}: queued {queued.added} introductions in {queue_seconds:.2f} s; sent {batch.sent} "
                  f"({batch.recipients_sent} recipients) to the local server ({args.security}) in {seconds:.2f} s, "
                  f"{batch.sent / seconds:.0f} messages/s; at the default {smtp.DEFAULT_PER_MINUTE:g} a minute the "
                  f"same batch takes {paced / 60:.0f} min.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
