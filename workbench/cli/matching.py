"""``workbench match``, ``tradeoffs``, ``candidates`` and ``publish``, as :func:`command_line_user`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from workbench import matchstore
from workbench.access import command_line_user
from workbench.cli._common import Commands, changing, reading
from workbench.exports import write_frame_csv
from workbench.matching.model import Weights
from workbench.matching.tradeoffs import WISH_WEIGHTS, frontier, with_wish_weight


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text} is not a time limit: give seconds between 0 and 3600")
    return value


def register(commands: Commands) -> None:
    """Add ``match``, ``tradeoffs``, ``candidates`` and ``publish``."""
    p = commands.add("match", _cmd_match, "Match a round's accepted applicants and store a proposed run.",
                     takes_db=True)
    p.add_argument("--round", required=True, help="the round, e.g. 2017A")
    p.add_argument("--time-limit", type=_seconds, default=20.0, help="solver seconds (default 20)")
    p.add_argument("--odd", choices=["trio", "waitlist"], default="trio",
                   help="with an odd number of people: make one trio (default) or leave one person waitlisted")
    p.add_argument("--wish-weight", type=float, default=None,
                   help="points per partner wish met (sector, stage, interests alike; default 3): a trade-offs point")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = commands.add("tradeoffs", _cmd_tradeoffs,
                     "Shared interests against partner wishes met: the matching at each weight of a wish met.",
                     takes_db=True)
    p.add_argument("--round", required=True, help="the round, e.g. 2017A")
    p.add_argument("--weights", type=float, nargs="+", default=list(WISH_WEIGHTS),
                   help="points per wish met to try (default: 0 1 3 5 8 12 20 30)")
    p.add_argument("--time-limit", type=_seconds, default=5.0, help="solver seconds per point (default 5)")
    p.add_argument("--odd", choices=["trio", "waitlist"], default="trio")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = commands.add("candidates", _cmd_candidates, "Write every feasible pair of a round with its score (CSV).",
                     description="Write every feasible pair of a round with the score the objective uses.",
                     takes_db=True)
    p.add_argument("--round", required=True)
    p.add_argument("--out", required=True, type=Path, help="CSV file to write (a_id, b_id, score)")

    p = commands.add("publish", _cmd_publish, "Make a matching run the round's partnerships.", takes_db=True)
    p.add_argument("--round", required=True)
    p.add_argument("--run", required=True, type=int,
                   help="the run's id, printed by `workbench match` (\"Run 1 of 2017A (id 9: …)\": 9)")


def _cmd_match(args: argparse.Namespace) -> int:
    weights = Weights() if args.wish_weight is None else with_wish_weight(Weights(), args.wish_weight)
    run_settings = matchstore.RunSettings(weights=weights, time_limit=args.time_limit, odd_policy=args.odd)
    with changing(args) as con:
        run_id, result = matchstore.run_matching(con, args.round, run_settings, by=command_line_user())
        number = matchstore.run_numbers(con, args.round)[run_id]
    if args.json:
        payload = {"run_id": run_id, "run_number": number, **result.summary(),
                   "pairs": [list(p) for p in result.pairs], "trios": [list(t) for t in result.trios],
                   "unmatched": list(result.unmatched)}
        print(json.dumps(payload, indent=2))
        return 0
    s = result.summary()
    print(f"Run {number} of {args.round} (id {run_id}: `workbench publish --round {args.round} --run {run_id}` "
          "makes it the round's partnerships):")
    for key in ("people", "matched", "pairs", "trios", "unmatched", "objective", "bound"):
        print(f"  {key:<10}{s[key]}")
    print(f"  {'gap':<10}{s['gap']:.4%}")
    print(f"  {'seconds':<10}{s['seconds']}")
    print(f"  {'status':<10}{s['status']}" + (f" (proved: {s['proof']})" if s["proof"] else ""))
    for a, reason in sorted(result.reasons.items())[:10]:
        print(f"  unmatched {a}: {reason.reason} — {reason.change}")
    return 0


def _cmd_tradeoffs(args: argparse.Namespace) -> int:
    user = command_line_user()
    with reading(args) as con:
        pool = matchstore.load_pool(con, args.round, by=user)
    points = frontier(pool.applicants, pool.rules, by=user, wish_weights=args.weights, odd_policy=args.odd,
                      time_limit=args.time_limit)
    if args.json:
        print(json.dumps({"round": args.round, "points": [p.as_dict() for p in points]}, indent=2))
        return 0
    print(f"Trade-offs of {args.round} ({len(pool.applicants):,} people): points per wish met against what the "
          "matching gives")
    print(f"  {'wish pts':>8}  {'sharing':>8}  {'wishes met':>15}  {'overlap h':>9}  {'objective':>11}  "
          f"{'status':<9}  note")
    for p in points:
        note = "" if p.is_new else f"nothing new: the partnerships of {p.same_as:g} points"
        status = p.status if p.status == "optimal" else f"gap {p.gap:.3%}"
        print(f"  {p.wish_weight:>8g}  {p.share_sharing_interest:>8.1%}  {p.wishes_met:>6,} of {p.wishes:>5,}  "
              f"{p.mean_overlap_hours:>9.2f}  {p.objective:>11,.2f}  {status:<9}  {note}")
    print(f"Run a point as a proposal: workbench match --round {args.round} --wish-weight W")
    return 0


def _cmd_candidates(args: argparse.Namespace) -> int:
    with reading(args) as con:
        frame = matchstore.candidates(con, args.round, by=command_line_user())
    write_frame_csv(frame, args.out, float_format="%.2f", spreadsheet=False)  # for another solver: no BOM
    print(f"Wrote {len(frame):,} feasible pairs of {args.round} to {args.out}.")
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    with changing(args) as con:
        run = matchstore.run_row(con, args.run)
        if run["round_id"] != args.round:
            raise matchstore.RuleViolation(f"Run {args.run} belongs to round {run['round_id']}, not {args.round}.")
        matchstore.publish_run(con, args.run, by=command_line_user())
        label = matchstore.run_label(con, args.run)
        print(f"Published {label} (id {args.run}): {run['matched']} people in partnerships; round {args.round} "
              "is running.")
    return 0
