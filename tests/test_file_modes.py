"""Every file the workbench writes is its owner's only (0600), and every folder it creates 0700: the live
database a restore puts in place, the file it keeps aside, a migration's pre-upgrade copy, backups."""

from __future__ import annotations

import gzip
import os
import shutil
import stat
from pathlib import Path

import pytest

from workbench import backups, db, files, migrations
from workbench.access import system_user

UPGRADE = Path(__file__).parent / "fixtures" / "upgrade" / "schema_v1.duckdb.gz"


def modes(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` (relative name -> octal mode)."""
    return {str(p.relative_to(folder)): oct(stat.S_IMODE(p.stat().st_mode)) for p in sorted(folder.rglob("*"))}


def test_a_restore_an_upgrade_and_a_backup_leave_only_owner_only_files(
        writable_db: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    # The live file as DuckDB made it under the usual umask: readable by all.
    os.chmod(writable_db, 0o644)
    folder = writable_db.parent
    old = tmp_path_factory.mktemp("incoming") / "program v1.duckdb"  # written by schema version 1, readable by all
    with gzip.open(UPGRADE) as src, old.open("wb") as out:
        shutil.copyfileobj(src, out)
    os.chmod(old, 0o644)
    assert backups.check_backup(old) == 1

    done = backups.restore(old, writable_db)  # keeps the live file aside, upgrades, copies v1 aside first
    assert done.kept_aside is not None and done.kept_aside.parent == folder
    assert "Upgraded the database from schema version 1" in done.upgrade
    pre_upgrade = sorted((folder / "backups").glob("*-schema-v1-*.duckdb"))
    assert len(pre_upgrade) == 1
    con = db.connect(writable_db)
    assert migrations.schema_version(con) == migrations.LATEST
    made = backups.backup(con, folder / "copies" / "after the restore.duckdb")
    con.close()

    found = modes(folder)
    assert {name for name in found if "replaced-" in name} == {done.kept_aside.name}
    assert found[made.relative_to(folder).as_posix()] == "0o600"
    assert found == {name: ("0o700" if (folder / name).is_dir() else "0o600") for name in found}, found
    assert found["backups"] == found["copies"] == "0o700"
    assert set(found) == {"workbench.duckdb", done.kept_aside.name, "backups", pre_upgrade[0].relative_to(
        folder).as_posix(), "copies", "copies/after the restore.duckdb"}


def test_opening_an_old_database_copies_it_aside_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "program.duckdb"
    with gzip.open(UPGRADE) as src, target.open("wb") as out:
        shutil.copyfileobj(src, out)
    os.chmod(target, 0o644)
    migrations.open_live(target).close()  # the read-write opener upgrades it, after copying it to backups/
    (copy,) = (tmp_path / "backups").iterdir()
    assert oct(stat.S_IMODE(copy.stat().st_mode)) == "0o600"
    assert oct(stat.S_IMODE(copy.parent.stat().st_mode)) == "0o700"


def test_a_backup_download_and_dated_backups_create_their_folders_owner_only(writable_db: Path,
                                                                              tmp_path: Path) -> None:
    con = db.connect(writable_db)
    scratch = tmp_path / "app" / "scratch"
    assert backups.backup_bytes(con, scratch, by=system_user("backup keeper"))[:4]
    made, _ = backups.keep_dated(con, tmp_path / "dated" / "backups", 2, by=system_user("backup keeper"))
    con.close()
    assert modes(tmp_path / "app") == {"scratch": "0o700"}
    assert modes(tmp_path / "dated") == {"backups": "0o700", f"backups/{made.name}": "0o600"}


def test_the_helpers_write_owner_only_files_and_folders(tmp_path: Path) -> None:
    out = files.write_private(tmp_path / "new" / "deeper" / "export.csv", b"a,b\n1,2\n")
    assert out.read_bytes() == b"a,b\n1,2\n"
    assert modes(tmp_path) == {"new": "0o700", "new/deeper": "0o700", "new/deeper/export.csv": "0o600"}
    again = files.write_private(out, b"replaced")  # replacing a file keeps it owner-only, and leaves no temp file
    assert again.read_bytes() == b"replaced" and sorted(os.listdir(out.parent)) == ["export.csv"]

    loose = tmp_path / "loose.duckdb"
    loose.write_bytes(b"x")
    os.chmod(loose, 0o644)
    assert files.owner_only(loose) == loose and oct(stat.S_IMODE(loose.stat().st_mode)) == "0o600"
    files.owner_only(tmp_path / "missing.wal")  # nothing to protect: no error

    copied = files.copy_private(loose, tmp_path / "copied" / "loose.duckdb")
    assert copied.read_bytes() == b"x" and oct(stat.S_IMODE(copied.stat().st_mode)) == "0o600"

    existing = tmp_path / "theirs"
    existing.mkdir(mode=0o755)
    os.chmod(existing, 0o755)
    files.private_dir(existing / "mine")
    assert oct(stat.S_IMODE(existing.stat().st_mode)) == "0o755"  # a folder it did not create is left as it is
    assert oct(stat.S_IMODE((existing / "mine").stat().st_mode)) == "0o700"


def test_restrict_umask_makes_what_a_library_creates_owner_only(tmp_path: Path) -> None:
    previous = files.restrict_umask()
    try:
        con = migrations.open_live(tmp_path / "fresh.duckdb", create=True)  # DuckDB creates the file and its .wal
        con.execute("CREATE TABLE scratch AS SELECT 1 AS x")
        wal = tmp_path / "fresh.duckdb.wal"
        if wal.exists():
            assert oct(stat.S_IMODE(wal.stat().st_mode)) == "0o600"
        con.close()
    finally:
        os.umask(previous)
    assert oct(stat.S_IMODE((tmp_path / "fresh.duckdb").stat().st_mode)) == "0o600"
