"""Where a person works is personal data: pseudonymised in the snapshot (equal stays equal), erased by forget."""

from __future__ import annotations

from pathlib import Path

from workbench import db, privacy, snapshots
from workbench.access import User


def _give_organisations(con: db.Connection) -> list[tuple[int, str]]:
    rows = con.execute("SELECT application_id, person_id, email FROM applications WHERE round_id = '2017A' "
                       "ORDER BY application_id LIMIT 3").fetchall()
    names = ["State Library of Victoria", "state library of victoria", "Biblioteca Nacional"]
    for (app_id, _, _), org in zip(rows, names, strict=True):
        con.execute("UPDATE applications SET organisation = ? WHERE application_id = ?", [org, app_id])
    return [(r[0], r[2]) for r in rows]


def test_the_snapshot_keeps_organisations_comparable_but_not_readable(writable_db: Path, tmp_path: Path) -> None:
    con = db.connect(writable_db)
    ids = [a for a, _ in _give_organisations(con)]
    out = snapshots.publish_snapshot(con, tmp_path / "snap.duckdb")
    con.close()
    snap = db.connect(out, read_only=True)
    got = dict(snap.execute("SELECT application_id, organisation FROM applications WHERE application_id IN ?",
                            [ids]).fetchall())
    snap.close()
    first, second, third = (got[i] for i in ids)
    assert first == second != third  # the same library, spelled two ways, keeps one stand-in
    assert all(o.startswith("Organisation ") for o in (first, third))
    assert "Victoria" not in first and "Nacional" not in third


def test_forget_erases_where_the_person_works(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    (app_id, email), *_ = _give_organisations(con)
    privacy.forget(con, email, by=users["director"])
    assert con.execute("SELECT organisation FROM applications WHERE application_id = ?", [app_id]).fetchone() == (
        None,)
    con.close()
