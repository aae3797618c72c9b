"""Settings from the environment (issue 17): config.py reads every WORKBENCH_* variable, a bad value names its
variable, and the snapshot and the dated backups sit beside their own database."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from workbench import backups, config, db, snapshots
from workbench.access import system_user
from workbench.config import SettingInvalid, settings
from workbench.intake import import_limits
from workbench.present import images

ROOT = Path(__file__).resolve().parents[1]

#: Every variable that must be a number, and a value it refuses.
NUMBERS = {
    "WORKBENCH_BACKUP_KEEP": "many",
    "WORKBENCH_BACKUP_EVERY_HOURS": "daily",
    "WORKBENCH_SESSION_IDLE_MINUTES": "half an hour",
    "WORKBENCH_IMAGE_WAIT_SECONDS": "20s",
    "WORKBENCH_IMPORT_MAX_BYTES": "50MB",
    "WORKBENCH_IMPORT_MAX_ROWS": "lots",
}


@pytest.fixture
def plain_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No WORKBENCH_* variable set (the fixtures and the developer's shell may set some)."""
    for name in [n for n in os.environ if n.startswith("WORKBENCH_")]:
        monkeypatch.delenv(name)
    return monkeypatch


def test_two_programs_get_their_own_snapshot_and_backups(sample_db_path: Path, tmp_path: Path,
                                                         plain_env: pytest.MonkeyPatch) -> None:
    keeper = system_user("backup keeper")
    made = {}
    for program in ("north", "south"):
        folder = tmp_path / program
        folder.mkdir()
        path = folder / "workbench.duckdb"
        shutil.copy(sample_db_path, path)
        plain_env.setenv("WORKBENCH_DB", str(path))
        conf = settings()
        assert conf.snapshot_path == folder / "analytics.duckdb"
        assert conf.backup_dir == folder / "backups"
        con = db.connect(path)
        try:
            snapshots.publish_snapshot(con)
            dated, _ = backups.keep_dated(con, conf.backup_dir, conf.backup_keep, by=keeper)
        finally:
            con.close()
        made[program] = dated
        assert (folder / "analytics.duckdb").is_file()
        assert dated.parent == folder / "backups"
    assert made["north"].parent != made["south"].parent
    assert not (ROOT / "data" / "backups" / made["north"].name).exists()
    # The variables still override, and a database given by path gets its own folder's defaults too.
    plain_env.setenv("WORKBENCH_SNAPSHOT", str(tmp_path / "shared" / "a.duckdb"))
    plain_env.setenv("WORKBENCH_BACKUP_DIR", str(tmp_path / "kept"))
    assert settings().snapshot_path == tmp_path / "shared" / "a.duckdb"
    assert settings().backup_dir == tmp_path / "kept"
    plain_env.delenv("WORKBENCH_SNAPSHOT")
    plain_env.delenv("WORKBENCH_BACKUP_DIR")
    assert settings(tmp_path / "elsewhere" / "x.duckdb").backup_dir == tmp_path / "elsewhere" / "backups"


def test_the_defaults_without_any_variable(plain_env: pytest.MonkeyPatch) -> None:
    conf = settings()
    assert conf.db_path == ROOT / "data" / "workbench.duckdb"
    assert conf.snapshot_path == ROOT / "data" / "analytics.duckdb"
    assert conf.backup_dir == ROOT / "data" / "backups"
    assert (conf.backup_keep, conf.backup_every_hours, conf.session_idle_minutes) == (14, 24.0, 30.0)
    assert conf.chromium == Path("/usr/bin/chromium")
    assert (conf.image_wait_seconds, conf.import_max_bytes, conf.import_max_rows) == (None, None, None)
    assert images.wait_seconds() == images.DEFAULT_WAIT_SECONDS
    assert not hasattr(conf, "actor")  # who acts is the signed-in user or the command line's, never a setting


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_a_bad_number_names_its_variable(plain_env: pytest.MonkeyPatch, name: str) -> None:
    plain_env.setenv(name, NUMBERS[name])
    with pytest.raises(SettingInvalid, match=rf"^{name}='{re.escape(NUMBERS[name])}' is not a "):
        settings()


def test_the_readers_refuse_a_bad_value_instead_of_guessing(plain_env: pytest.MonkeyPatch) -> None:
    """Before, a bad wait or idle time silently fell back to the default."""
    from workbench.ui import auth

    plain_env.setenv("WORKBENCH_IMAGE_WAIT_SECONDS", "soon")
    with pytest.raises(SettingInvalid, match="WORKBENCH_IMAGE_WAIT_SECONDS='soon' is not a number"):
        images.wait_seconds()
    plain_env.setenv("WORKBENCH_IMAGE_WAIT_SECONDS", "2.5")
    assert images.wait_seconds() == 2.5
    plain_env.setenv("WORKBENCH_SESSION_IDLE_MINUTES", "0.5")
    with pytest.raises(SettingInvalid, match=r"WORKBENCH_SESSION_IDLE_MINUTES='0\.5' is below 1"):
        auth.idle_limit_seconds()
    plain_env.setenv("WORKBENCH_SESSION_IDLE_MINUTES", "45")
    assert auth.idle_limit_seconds() == 45 * 60
    plain_env.setenv("WORKBENCH_IMPORT_MAX_ROWS", "0")
    with pytest.raises(SettingInvalid, match="WORKBENCH_IMPORT_MAX_ROWS='0' is not a positive whole number"):
        import_limits()
    plain_env.setenv("WORKBENCH_IMPORT_MAX_ROWS", "1_000")
    assert import_limits().max_rows == 1000
    plain_env.setenv("WORKBENCH_CHROMIUM", "/nowhere/chromium")
    with pytest.raises(images.ImageExportFailed, match="No Chromium at /nowhere/chromium"):
        images.chromium_path()


def test_smtp_variables_are_read_by_config(plain_env: pytest.MonkeyPatch) -> None:
    plain_env.setenv("WORKBENCH_SMTP_HOST", " smtp.example.org ")
    plain_env.setenv("WORKBENCH_SMTP_PORT", "")
    assert config.smtp_environment() == {"host": "smtp.example.org"}


def test_only_config_reads_workbench_variables() -> None:
    """Every WORKBENCH_* is read in workbench/config.py: no other module of the library asks the environment."""
    reads = re.compile(r"""(?:environ(?:\.get)?\s*[\[(]|getenv\s*\()\s*["']WORKBENCH_""")
    readers = [path.relative_to(ROOT).as_posix() for path in (ROOT / "workbench").rglob("*.py")
               if path.name != "config.py" and reads.search(path.read_text(encoding="utf-8"))]
    assert readers == []
