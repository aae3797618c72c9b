"""Settings from WORKBENCH_* environment variables, shared by the app, the CLI and notebooks.

This module is the one reader of the environment: every ``WORKBENCH_*`` variable is read and checked here
(:class:`Settings`, :func:`smtp_environment`), and a value the workbench cannot use is refused with
:class:`SettingInvalid`, which names the variable, what it holds and what to set instead. The values are read
afresh on every call, so a test or a server can change them without a restart.

| variable | what | default |
|---|---|---|
| ``WORKBENCH_DB`` | the live read-write database | ``data/workbench.duckdb`` in the project |
| ``WORKBENCH_SNAPSHOT`` | the read-only analyst copy | ``analytics.duckdb`` beside the database |
| ``WORKBENCH_BACKUP_DIR`` | the app's dated backups | ``backups/`` beside the database |
| ``WORKBENCH_BACKUP_EVERY_HOURS`` | hours between dated backups (0: none) | 24 |
| ``WORKBENCH_BACKUP_KEEP`` | dated backups kept | 14 |
| ``WORKBENCH_QUERIES`` | the views' folder | ``queries/`` in the project |
| ``WORKBENCH_SAMPLE_DATA`` | the sample's CSVs | ``sample_data/`` in the project |
| ``WORKBENCH_SESSION_IDLE_MINUTES`` | a signed-in session idle longer is signed out | 30 (at least 1) |
| ``WORKBENCH_IMAGE_WAIT_SECONDS`` | how long a chart image export waits for the one before | 20 |
| ``WORKBENCH_CHROMIUM`` | the browser chart images are drawn with | ``/usr/bin/chromium`` |
| ``WORKBENCH_IMPORT_MAX_BYTES`` | largest file an import reads | 50 MB (``intake.limits``) |
| ``WORKBENCH_IMPORT_MAX_ROWS`` | most rows an import reads | 100,000 (``intake.limits``) |
| ``WORKBENCH_SMTP_*`` | the mail server (host, port, security, user, password, from, reply_to, per_minute) | none |

The snapshot and the dated backups sit beside the database file unless their variables say otherwise, so two
programs (two databases in two folders) never share them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError

#: The project checkout: the folder holding queries/, sample_data/ and pages/.
PROJECT_ROOT = Path(__file__).resolve().parents[1]

#: The mail settings' variables, by setting (``WORKBENCH_SMTP_HOST``, …): :func:`smtp_environment`.
SMTP_VARIABLES: dict[str, str] = {key: f"WORKBENCH_SMTP_{key.upper()}" for key in
                                  ("host", "port", "security", "user", "password", "from", "reply_to", "per_minute")}


class SettingInvalid(WorkbenchError, ValueError):
    """A ``WORKBENCH_*`` variable holds a value the workbench cannot use (the message names it)."""


def _raw(name: str) -> str:
    return os.environ.get(name, "").strip()


def _path(name: str, default: Path) -> Path:
    value = _raw(name)
    if not value:
        return default
    return Path(value).expanduser().resolve()


def _number(name: str, default: float | None, *, whole: bool = False, minimum: float = 0.0) -> float:
    """The variable's number, ``default`` when it is unset or blank; :class:`SettingInvalid` naming it when it is
    not a number (a whole one, with ``whole``) or is below ``minimum``."""
    value = _raw(name)
    if not value and default is not None:
        return default
    kind = ("a positive whole number" if minimum >= 1 else "a whole number") if whole else "a number"
    fix = (f"Set it to {kind} such as {default:g}, or unset it to use that default." if default is not None
           else f"Set it to {kind}, or unset it to use the workbench's default.")
    try:
        number = int(value.replace("_", "")) if whole else float(value)
    except ValueError:
        raise SettingInvalid(f"{name}={value!r} is not {kind}. {fix}") from None
    if number != number or number < minimum:  # NaN, or too small
        raise SettingInvalid(f"{name}={value!r} is {'not ' + kind if whole else f'below {minimum:g}'}. {fix}")
    return number


def _optional_number(name: str, *, whole: bool = False, minimum: float = 0.0) -> float | None:
    return None if not _raw(name) else _number(name, None, whole=whole, minimum=minimum)


@dataclass(frozen=True)
class Settings:
    """Where the workbench keeps its files, and the limits the environment sets (see the module's table).

    Relative environment values are taken from the current directory; the defaults are anchored at the
    project root (the database) or at the database's folder (its snapshot and backups), so a notebook in
    ``notebooks/`` finds the same files as ``make run``. The app keeps dated backups in :attr:`backup_dir`:
    one every :attr:`backup_every_hours` (0 turns them off), the last :attr:`backup_keep`. ``None`` for an
    import limit or the image wait means the owning module's default (:mod:`workbench.intake.limits`,
    :mod:`workbench.present.images`).
    """

    db_path: Path
    snapshot_path: Path
    queries_dir: Path
    sample_dir: Path
    backup_dir: Path
    backup_keep: int
    backup_every_hours: float
    session_idle_minutes: float
    image_wait_seconds: float | None
    chromium: Path
    import_max_bytes: int | None
    import_max_rows: int | None

    @classmethod
    def from_env(cls, db_path: str | Path | None = None) -> Settings:
        """The settings the environment gives; ``db_path`` instead of ``WORKBENCH_DB`` (its snapshot and backups
        then default to beside it)."""
        db = Path(db_path).expanduser().resolve() if db_path is not None else _path(
            "WORKBENCH_DB", PROJECT_ROOT / "data" / "workbench.duckdb")
        max_bytes = _optional_number("WORKBENCH_IMPORT_MAX_BYTES", whole=True, minimum=1)
        max_rows = _optional_number("WORKBENCH_IMPORT_MAX_ROWS", whole=True, minimum=1)
        return cls(
            db_path=db,
            snapshot_path=_path("WORKBENCH_SNAPSHOT", db.parent / "analytics.duckdb"),
            queries_dir=_path("WORKBENCH_QUERIES", PROJECT_ROOT / "queries"),
            sample_dir=_path("WORKBENCH_SAMPLE_DATA", PROJECT_ROOT / "sample_data"),
            backup_dir=_path("WORKBENCH_BACKUP_DIR", db.parent / "backups"),
            backup_keep=int(_number("WORKBENCH_BACKUP_KEEP", 14, whole=True, minimum=1)),
            backup_every_hours=_number("WORKBENCH_BACKUP_EVERY_HOURS", 24.0),
            session_idle_minutes=_number("WORKBENCH_SESSION_IDLE_MINUTES", 30.0, minimum=1),
            image_wait_seconds=_optional_number("WORKBENCH_IMAGE_WAIT_SECONDS"),
            chromium=_path("WORKBENCH_CHROMIUM", Path("/usr/bin/chromium")),
            import_max_bytes=None if max_bytes is None else int(max_bytes),
            import_max_rows=None if max_rows is None else int(max_rows),
        )


def settings(db_path: str | Path | None = None) -> Settings:
    """The settings as the environment says now (read afresh on every call); ``db_path`` for another database
    than ``WORKBENCH_DB`` (its snapshot and backups default to beside it)."""
    return Settings.from_env(db_path)


def smtp_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The mail settings the environment gives (``WORKBENCH_SMTP_*``, see :data:`SMTP_VARIABLES`), by setting,
    blank ones left out; :mod:`workbench.messages.smtp` checks them (naming the variable) and fills in the rest
    from the secrets file."""
    env = os.environ if environ is None else environ
    return {key: env.get(name, "").strip() for key, name in SMTP_VARIABLES.items() if env.get(name, "").strip()}
