"""Settings from WORKBENCH_* environment variables, shared by the app, the CLI and notebooks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The project checkout: the folder holding queries/, sample_data/ and pages/.
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env, "").strip()
    if not value:
        return default
    return Path(value).expanduser().resolve()


def _number(env: str, default: float, kind: type) -> Any:
    value = os.environ.get(env, "").strip()
    if not value:
        return default
    try:
        number = kind(value)
    except ValueError:
        raise ValueError(f"{env}={value!r} is not a number; unset it or give a number such as {default}.") from None
    if number < 0:
        raise ValueError(f"{env}={value!r} must not be negative.")
    return number


@dataclass(frozen=True)
class Settings:
    """Where the workbench keeps its files.

    ``WORKBENCH_DB`` is the live read-write database (default ``data/workbench.duckdb`` in the
    project), ``WORKBENCH_SNAPSHOT`` the read-only analyst copy (default ``data/analytics.duckdb``).
    Relative environment values are taken from the current directory; the defaults are anchored at
    the project root so a notebook in ``notebooks/`` finds the same files as ``make run``.
    The app keeps dated backups in ``WORKBENCH_BACKUP_DIR`` (default ``data/backups``): one every
    ``WORKBENCH_BACKUP_EVERY_HOURS`` (24; 0 turns them off), the last ``WORKBENCH_BACKUP_KEEP`` (14).
    """

    db_path: Path
    snapshot_path: Path
    queries_dir: Path
    sample_dir: Path
    actor: str
    backup_dir: Path
    backup_keep: int
    backup_every_hours: float

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            db_path=_path("WORKBENCH_DB", PROJECT_ROOT / "data" / "workbench.duckdb"),
            snapshot_path=_path("WORKBENCH_SNAPSHOT", PROJECT_ROOT / "data" / "analytics.duckdb"),
            queries_dir=_path("WORKBENCH_QUERIES", PROJECT_ROOT / "queries"),
            sample_dir=_path("WORKBENCH_SAMPLE_DATA", PROJECT_ROOT / "sample_data"),
            actor=os.environ.get("WORKBENCH_USER", "").strip() or os.environ.get("USER", "") or "coordinator",
            backup_dir=_path("WORKBENCH_BACKUP_DIR", PROJECT_ROOT / "data" / "backups"),
            backup_keep=_number("WORKBENCH_BACKUP_KEEP", 14, int),
            backup_every_hours=_number("WORKBENCH_BACKUP_EVERY_HOURS", 24.0, float),
        )


def settings() -> Settings:
    """The settings as the environment says now (read afresh on every call)."""
    return Settings.from_env()
