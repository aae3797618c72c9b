"""Running a `workbench` command inside the test process: what it prints, what it exits with.

A command run so is the same `workbench.cli.main` a shell runs, without the 1-2 s a new Python process spends
importing the library; tests that need a real process (a lock held by another one, the console script itself)
still start one.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from collections.abc import Sequence

from workbench.cli import main


def run_cli(argv: Sequence[str], *, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``workbench ARGV`` with ``stdin`` as its input (not a terminal), as a finished process would report it."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdin = old_stdin
    return subprocess.CompletedProcess(list(argv), code, out.getvalue(), err.getvalue())
