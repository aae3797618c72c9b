"""Presenter mode: how big the HTML deck is and how long the exports take, on the sample program.

    .venv/bin/python bench/bench_present.py [--round 2016B] [--repeat 3]

Builds the sample database in a temporary folder, then times (median of ``--repeat`` runs each):

1. building the nine slides from the database (the queries, suppression and figures);
2. the self-contained HTML deck (slides + plotly.js + map geometry written to one file), and its size;
3. PNG and SVG of every slide through kaleido and the system Chromium (one browser start per export).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench import db  # noqa: E402
from workbench.access import command_line_user  # noqa: E402
from workbench.build import build_database  # noqa: E402
from workbench.present import deck, images, slides  # noqa: E402


def timed(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", default="2016B")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "sample.duckdb"
        build_database(path)
        con = db.connect(path, read_only=True)
        try:
            build_s, built = timed(lambda: slides.build_slides(con, round_id=args.round), args.repeat)
            html_s, out = timed(lambda: deck.export_html(con, work / "deck.html", round_id=args.round), args.repeat)
        finally:
            con.close()
        size = Path(str(out)).stat().st_size
        print(f"slides: {len(built):>2} built in {build_s:.2f} s (median of {args.repeat}), round {args.round}")  # type: ignore[arg-type]
        print(f"html:   {size / 1e6:.2f} MB ({size:,} bytes) written in {html_s:.2f} s")
        for fmt in images.FORMATS:
            seconds, files = timed(lambda fmt=fmt: images.export_images(built, work / fmt, fmt, by=command_line_user()),  # type: ignore[arg-type]
                                   args.repeat)
            total = sum(p.stat().st_size for p in files)  # type: ignore[union-attr]
            print(f"{fmt}:    {len(files)} files, {total / 1e6:.2f} MB, in {seconds:.2f} s "  # type: ignore[arg-type]
                  f"({seconds / len(files):.2f} s a slide, one Chromium start included)")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
