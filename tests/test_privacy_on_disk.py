"""Privacy proven on the file's bytes, not only through SQL: the analyst snapshot's previous checkpoint and raw
bytes hold no real name, email, note, uncleared answer, password hash or key (issue 16)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.disk_support import all_text, found_in, found_in_bytes, header_iterations, previous_checkpoint
from workbench import accounts, copies, db, privacy, snapshots
from workbench.access import User
from workbench.participants import applying, tokens
from workbench.people import identity

#: What an applicant sent on the participants' form and never confirmed (issue 19): in no other table.
FORM = {"name": "Zephyrine Quillfeather", "email": "zephyrine.quillfeather@unconfirmed.example.org",
        "organisation": "Quillfeather Seed Library of Upper Tooting"}


@pytest.fixture
def live(writable_db: Path, users: dict[str, User]) -> Iterator[db.Connection]:
    """The sample database, with a password for every account (the sample has none: sign-in is by a provider)."""
    con = db.connect(writable_db)
    for user in users.values():
        accounts.set_password(con, user.email, "correct horse battery staple 7", by=users["director"])
    with db.transaction(con):  # addresses people used before (issue 18): in no other table
        for pid in (1, 2, 3):
            identity.add_address(con, pid, f"old.address.{pid}@former-employer.example.org",
                                 seen_at=dt.datetime(2005, 1, 1), source="an older round")
    applying.submit(con, "2017A", FORM, language="en", earlier_email="zephyrine.q@older-address.example.org")
    tokens.token_key(con)  # the participants' link key, made as the first link is
    yield con
    con.close()


def _secrets(con: db.Connection) -> dict[str, set[str]]:
    """What must never reach the analyst copy, read from the live database."""
    def column(sql: str) -> set[str]:
        return {r[0] for r in con.execute(sql).fetchall() if r[0]}

    return {
        "names": column("SELECT name FROM people UNION SELECT name FROM applications"),
        "emails": column("SELECT email FROM people UNION SELECT email FROM applications"),
        "old addresses": column("SELECT email FROM person_addresses WHERE email LIKE 'old.address.%'"),
        "staff": column("SELECT email FROM coordinators UNION SELECT name FROM coordinators"),
        "hashes": column("SELECT password_hash FROM coordinators"),
        "key": {privacy.pseudonym_key(con).hex()},
        "link key": {tokens.token_key(con).hex()},
        "form": {*FORM.values(), "zephyrine.q@older-address.example.org"},
        "notes": column("SELECT notes FROM interventions WHERE length(notes) > 20"),
        "uncleared": column("SELECT impact_text FROM surveys WHERE NOT is_cleared AND length(impact_text) > 20"),
    }


def _leaks(text: str, secrets: dict[str, set[str]]) -> dict[str, int]:
    return {kind: len(found_in(text, values)) for kind, values in secrets.items()}


def test_the_scan_finds_the_sample_in_the_live_file(live: db.Connection, writable_db: Path, tmp_path: Path) -> None:
    """The control: the same scans find the real data in the live database's bytes and SQL."""
    secrets = _secrets(live)
    assert len(secrets["names"]) > 1_000 and len(secrets["emails"]) > 5_000 and len(secrets["hashes"]) == 5
    live.execute("CHECKPOINT")
    assert len(found_in_bytes(writable_db, secrets["names"])) == len(secrets["names"])
    copy = tmp_path / "copy.duckdb"
    shutil.copy(writable_db, copy)
    assert _leaks(all_text(copy), secrets) == {kind: len(values) for kind, values in secrets.items()}


def test_the_snapshots_previous_checkpoint_and_bytes_hold_no_real_data(live: db.Connection, tmp_path: Path) -> None:
    secrets = _secrets(live)
    out = snapshots.publish_snapshot(live, tmp_path / "analytics.duckdb")
    nothing = dict.fromkeys(secrets, 0)
    assert _leaks(all_text(out), secrets) == nothing
    older = previous_checkpoint(out, tmp_path / "older.duckdb")
    assert older is not None, header_iterations(out)
    assert _leaks(all_text(older), secrets) == nothing
    assert {kind: len(found_in_bytes(out, values)) for kind, values in secrets.items()} == nothing


def test_a_full_snapshot_never_holds_password_hashes_or_the_key(live: db.Connection, tmp_path: Path,
                                                                 users: dict[str, User]) -> None:
    secrets = _secrets(live)
    out = snapshots.publish_snapshot(live, tmp_path / "full.duckdb", full=True, by=users["director"])
    # nor what an applicant sent on the form and never confirmed, nor any form's raw answers and earlier address
    secret = {"hashes": secrets["hashes"], "key": secrets["key"], "link key": secrets["link key"],
              "form": secrets["form"]}
    nothing = dict.fromkeys(secret, 0)
    assert _leaks(all_text(out), secret) == nothing
    older = previous_checkpoint(out, tmp_path / "older.duckdb")
    assert older is not None
    assert _leaks(all_text(older), secret) == nothing
    assert {k: len(found_in_bytes(out, v)) for k, v in secret.items()} == nothing
    # The full copy is for a director: the names are there, as they are in the live file.
    assert _leaks(all_text(out), {"names": secrets["names"]})["names"] == len(secrets["names"])


def test_submission_times_are_cut_to_the_day(live: db.Connection, tmp_path: Path) -> None:
    (to_the_second,) = live.execute(
        "SELECT count(*) FROM applications WHERE submitted_at <> date_trunc('day', submitted_at)").fetchone()
    assert to_the_second > 1_000
    out = snapshots.publish_snapshot(live, tmp_path / "analytics.duckdb")
    snap = db.connect(out, read_only=True)
    try:
        assert snap.execute("SELECT count(*) FROM applications WHERE submitted_at <> date_trunc('day', "
                            "submitted_at)").fetchone() == (0,)
        assert snap.execute("SELECT count(*) FROM people WHERE created_at <> date_trunc('day', "
                            "created_at)").fetchone() == (0,)
        # Cut, not moved: the same day as in the live database.
        days = live.execute("SELECT application_id, submitted_at::DATE FROM applications ORDER BY 1").fetchall()
        assert snap.execute("SELECT application_id, submitted_at::DATE FROM applications ORDER BY 1").fetchall() == days
    finally:
        snap.close()


def test_small_groups_lose_sector_and_stage_in_the_snapshot(live: db.Connection, tmp_path: Path) -> None:
    before = privacy.unique_applications(live)
    assert before["unique"] > 0 and before["unique_in_snapshot"] == before["unique"]
    coarse = privacy.unique_applications(live, min_group=5)
    assert coarse["unique_in_snapshot"] < before["unique"]
    key = privacy.pseudonym_key(live)
    tables = privacy.pseudonymise(copies.read_tables(live), key, privacy.text_columns(live), min_group=5)
    apps = tables["applications"].to_pandas()
    withheld = apps["sector"].eq(privacy.WITHHELD)
    assert int(withheld.sum()) == coarse["in_small_groups"]
    assert apps.loc[withheld, "career_stage"].eq(privacy.WITHHELD).all()
    groups = apps.groupby(["round_id", "country_iso3", "sector", "career_stage"]).size()
    assert int((groups == 1).sum()) == coarse["unique_in_snapshot"]


def test_the_setting_coarsens_the_published_snapshot(live: db.Connection, tmp_path: Path,
                                                     users: dict[str, User]) -> None:
    from workbench import program

    with pytest.raises(program.SettingError, match="between 1 and 100"):
        program.set_setting(live, "snapshot_min_group", 0, by=users["director"])
    assert program.set_setting(live, "snapshot_min_group", "3", by=users["director"]) == 3
    expected = privacy.unique_applications(live, min_group=3)
    out = snapshots.publish_snapshot(live, tmp_path / "analytics.duckdb")
    snap = db.connect(out, read_only=True)
    try:
        (withheld,) = snap.execute("SELECT count(*) FROM applications WHERE sector = ?",
                                   [privacy.WITHHELD]).fetchone()  # type: ignore[misc]
        (unique,) = snap.execute("SELECT count(*) FROM (SELECT count(*) AS n FROM applications GROUP BY round_id, "
                                 "country_iso3, sector, career_stage) WHERE n = 1").fetchone()  # type: ignore[misc]
    finally:
        snap.close()
    assert (withheld, unique) == (expected["in_small_groups"], expected["unique_in_snapshot"])
    assert unique < privacy.unique_applications(live)["unique"] / 100
