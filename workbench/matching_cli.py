"""``workbench match``, ``workbench candidates`` and ``workbench publish``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from workbench import db, matchstore
from workbench.config import settings
from workbench.matching.model import Weights


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} is not a time limit: give seconds between 0 and 3600")
    return value


DB_HELP = "the workbench database (default: $WORKBENCH_DB or data/workbench.duckdb)"


def _cmd_match(args: argparse.Namespace) -> int:
    run_settings = matchstore.RunSettings(weights=Weights(), time_limit=args.time_limit, odd_policy=args.odd)
    con = db.connect(args.db)
    try:
        run_id, result = matchstore.run_matching(con, args.round, run_settings, actor=settings().actor)
    finally:
        con.close()
    if args.json:
        payload = {"run_id": run_id, **result.summary(),
                   "pairs": [list(p) for p in result.pairs], "trios": [list(t) for t in result.trios],
                   "unmatched": list(result.unmatched)}
        print(json.dumps(payload, indent=2))
        return 0
    s = result.summary()
    print(f"Run {run_id} for {args.round} (proposed; publish it with "
          f"`workbench publish --round {args.round} --run {run_id}`):")
    for key in ("people", "matched", "pairs", "trios", "unmatched", "objective", "bound"):
        print(f"  {key:<10}{s[key]}")
    print(f"  {'gap':<10}{s['gap']:.4%}")
    print(f"  {'seconds':<10}{s['seconds']}")
    print(f"  {'status':<10}{s['status']}")
    for a, reason in sorted(result.reasons.items())[:10]:
        print(f"  unmatched {a}: {reason.reason} — {reason.change}")
    return 0


def _cmd_candidates(args: argparse.Namespace) -> int:
    con = db.connect(args.db, read_only=True)
    try:
        frame = matchstore.candidates(con, args.round)
    finally:
        con.close()
    frame.to_csv(args.out, index=False, float_format="%.2f")
    print(f"Wrote {len(frame):,} feasible pairs of {args.round} to {args.out}.")
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    con = db.connect(args.db)
    try:
        run = matchstore.run_row(con, args.run)
        if run["round_id"] != args.round:
            raise matchstore.RuleViolation(f"Run {args.run} belongs to round {run['round_id']}, not {args.round}.")
        matchstore.publish_run(con, args.run, actor=settings().actor)
        note = db.refresh_snapshot_after_command(con, args.db)
    finally:
        con.close()
    print(f"Published run {args.run}: {run['matched']} people in partnerships; round {args.round} is running.")
    print(note)
    return 0


def register(commands: Any) -> None:
    """Add ``match``, ``candidates`` and ``publish`` to the ``workbench`` command."""
    p = commands.add_parser("match", help="Match a round's accepted applicants and store a proposed run.",
                            description="Match a round's accepted applicants and store a proposed run.")
    p.add_argument("--round", required=True, help="the round, e.g. 2017A")
    p.add_argument("--db", type=Path, help=DB_HELP)
    p.add_argument("--time-limit", type=_seconds, default=20.0, help="solver seconds (default 20)")
    p.add_argument("--odd", choices=["trio", "waitlist"], default="trio",
                   help="with an odd number of people: make one trio (default) or leave one person waitlisted")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_match)

    p = commands.add_parser("candidates", help="Write every feasible pair of a round with its score (CSV).",
                            description="Write every feasible pair of a round with the score the objective uses.")
    p.add_argument("--round", required=True)
    p.add_argument("--out", required=True, type=Path, help="CSV file to write (a_id, b_id, score)")
    p.add_argument("--db", type=Path, help=DB_HELP)
    p.set_defaults(func=_cmd_candidates)

    p = commands.add_parser("publish", help="Make a matching run the round's partnerships.",
                            description="Make a matching run the round's partnerships.")
    p.add_argument("--round", required=True)
    p.add_argument("--run", required=True, type=int, help="the run id printed by `workbench match`")
    p.add_argument("--db", type=Path, help=DB_HELP)
    p.set_defaults(func=_cmd_publish)
