"""The analyst snapshot: pseudonymised by default (no name, email or uncleared text anywhere in the file),
stable pseudonyms, owner-only files, a full copy only for a director and never with password hashes."""

from __future__ import annotations

import re
import shutil
import stat
from pathlib import Path

import pytest

from workbench import accounts, db, privacy, snapshots
from workbench.access import ROLES, NotAllowed, User

CLEARED = ["Cleared quote one: the partnership opened my eyes.", "Cleared quote two: a friend in Lagos."]


def _text_cells(con: db.Connection) -> list[str]:
    """Every value of every VARCHAR (and VARCHAR[]) column of every table, as text."""
    cols = con.execute(
        "SELECT c.table_name, c.column_name FROM information_schema.columns AS c JOIN information_schema.tables AS t "
        "USING (table_catalog, table_schema, table_name) WHERE c.table_catalog = current_database() "
        "AND t.table_type = 'BASE TABLE' AND c.data_type LIKE 'VARCHAR%'").fetchall()
    assert len(cols) > 50
    out: list[str] = []
    for table, column in cols:
        out += [str(v) for (v,) in con.execute(f'SELECT "{column}"::VARCHAR FROM {table} WHERE "{column}" IS NOT NULL'
                                               ).fetchall()]
    return out


def _absent(needles: set[str], cells: list[str]) -> list[str]:
    """The needles that do appear in ``cells`` (case-insensitively); words first, then whole strings."""
    text = "\n".join(cells).lower()
    words = set(re.findall(r"[\w.@'-]+", text))
    found = []
    for needle in needles:
        n = needle.lower()
        first = re.findall(r"[\w.@'-]+", n)
        if first and first[0] not in words:
            continue
        if n in text:
            found.append(needle)
    return found


@pytest.fixture
def live(writable_db: Path, users: dict[str, User]) -> db.Connection:
    """The sample with what a snapshot must hide: cleared and uncleared answers, case notes naming people,
    a reason naming a participant, a rule reason, an audit entry with a name, a password hash."""
    con = db.connect(writable_db)
    rows = con.execute("SELECT survey_id FROM surveys WHERE impact_text IS NOT NULL ORDER BY survey_id LIMIT 2"
                       ).fetchall()
    for (sid,), text in zip(rows, CLEARED, strict=True):
        con.execute("UPDATE surveys SET impact_text = ?, is_cleared = true WHERE survey_id = ?", [text, sid])
    # two applicants of 2016B whose names no one else has (a shared name cannot become one pseudonym)
    a, b = con.execute("SELECT a.application_id, a.name, a.email, a.person_id FROM applications AS a "
                       "WHERE round_id = '2016B' AND name IN (SELECT name FROM applications GROUP BY name "
                       "HAVING count(DISTINCT person_id) = 1) ORDER BY application_id LIMIT 2").fetchall()
    shared = con.execute("SELECT name FROM applications GROUP BY name HAVING count(DISTINCT person_id) > 1 "
                         "ORDER BY name LIMIT 1").fetchone()[0]  # type: ignore[index]
    con.execute("UPDATE applications SET status_reason = ? WHERE application_id = ?",
                [f"withdrew: {shared} will apply next round", b[0]])
    run = con.execute("SELECT run_id FROM match_runs WHERE round_id = '2016B'").fetchone()[0]  # type: ignore[index]
    con.execute("INSERT INTO match_unmatched VALUES (?, ?, 'not_placed', ?, 'pair them by hand')",
                [run, a[0], f"could partner {b[1]} (also unmatched) but was not paired in the time limit"])
    con.execute("INSERT INTO match_rules VALUES (1, '2016B', 'forbid', ?, ?, ?, 'amorgan', now())",
                [a[0], b[0], f"{a[1]} and {b[1]} work together"])
    con.execute("UPDATE interventions SET notes = ? WHERE intervention_id = (SELECT min(intervention_id) "
                "FROM interventions)", [f"Spoke to {a[1]} ({a[2]}) on the phone."])
    db.audit(con, actor="amorgan", action="case note", entity="partnerships", entity_id=1,
             before={"email": b[2]}, after={"note": f"{b[1]} asked for a new partner"})
    accounts.set_password(con, "alex.morgan@coord.example.org", "a long enough password", by=users["director"])
    yield con
    con.close()


def _secrets(con: db.Connection) -> dict[str, set[str]]:
    return {
        "names": {r[0] for r in con.execute("SELECT name FROM people UNION SELECT name FROM applications "
                                            "UNION SELECT name FROM coordinators").fetchall()},
        "emails": {r[0] for r in con.execute("SELECT email FROM people UNION SELECT email FROM applications "
                                             "UNION SELECT email FROM coordinators").fetchall()},
        "texts": {r[0] for r in con.execute(
            "SELECT impact_text FROM surveys WHERE impact_text IS NOT NULL AND NOT is_cleared "
            "UNION SELECT notes FROM interventions WHERE notes <> '' UNION SELECT reason FROM match_rules"
        ).fetchall()} - set(CLEARED),
    }


def test_the_pseudonymised_snapshot_holds_no_name_email_or_uncleared_text(live: db.Connection, tmp_path: Path) -> None:
    hidden = _secrets(live)
    assert len(hidden["names"]) > 1300 and len(hidden["emails"]) > 5000 and len(hidden["texts"]) > 10
    out = snapshots.publish_snapshot(live, tmp_path / "analytics.duckdb")
    snap = db.connect(out, read_only=True)
    cells = _text_cells(snap)
    for kind, needles in hidden.items():
        assert _absent(needles, cells) == [], f"{kind} left in the snapshot"
    # answers cleared for public use are kept; the rest still count as answers
    assert {r[0] for r in snap.execute("SELECT impact_text FROM surveys WHERE is_cleared").fetchall()} == set(CLEARED)
    assert snap.execute("SELECT count(impact_text) FROM surveys").fetchone() == live.execute(
        "SELECT count(impact_text) FROM surveys").fetchone()
    assert snap.execute("SELECT count(*) FROM surveys WHERE impact_text = '[withheld]'").fetchone()[0] > 2000  # type: ignore[index]
    # no secrets: hashes, the pseudonym key; audit before/after and notes withheld, standard reasons kept
    assert snap.execute("SELECT count(password_hash) FROM coordinators").fetchone() == (0,)
    assert dict(snap.execute("SELECT key, value FROM schema_info").fetchall()).keys() == {
        "schema_version", "snapshot_at", "snapshot_kind"}
    assert snap.execute("SELECT value FROM schema_info WHERE key = 'snapshot_kind'").fetchone() == ("pseudonymised",)
    assert snap.execute("SELECT count(before) + count(after) FROM audit_log").fetchone() == (0,)
    assert snap.execute("SELECT count(*) FROM interventions WHERE notes <> ''").fetchone() == (0,)
    assert snap.execute("SELECT count(*) FROM interventions WHERE reason = 'low rating at check-in'"
                        ).fetchone() == (64,)
    # a name inside a kept text became that person's pseudonym
    key = privacy.pseudonym_key(live)
    b_app, b_person = live.execute("SELECT application_id, person_id FROM match_rules JOIN applications "
                                   "ON application_id = application_b_id").fetchone()  # type: ignore[misc]
    reason = snap.execute("SELECT reason FROM match_unmatched").fetchone()[0]  # type: ignore[index]
    assert reason == f"could partner {privacy.pseudonym_name(privacy.pseudonym(key, b_person))} (also unmatched) " \
                     "but was not paired in the time limit"
    # a name several people share cannot say which of them: it becomes [participant]
    assert snap.execute("SELECT status_reason FROM applications WHERE application_id = ?", [b_app]).fetchone() == (
        "withdrew: [participant] will apply next round",)
    assert snap.execute("SELECT count(reason) FROM match_rules").fetchone() == (0,)
    snap.close()


def test_the_views_give_the_same_figures_on_the_pseudonymised_snapshot(live: db.Connection, tmp_path: Path) -> None:
    out = snapshots.publish_snapshot(live, tmp_path / "analytics.duckdb")
    snap = db.connect(out, read_only=True)
    db.apply_views(live)
    for view in db.view_files():
        assert snap.execute(f"SELECT * FROM {view.name} ORDER BY ALL").fetchall() == \
            live.execute(f"SELECT * FROM {view.name} ORDER BY ALL").fetchall(), view.name
    assert snap.execute("SELECT sum(participants) FROM round_summary").fetchone() == (5571,)
    snap.close()


def test_a_person_keeps_one_pseudonym_across_rounds_and_snapshots(live: db.Connection, tmp_path: Path) -> None:
    first = snapshots.publish_snapshot(live, tmp_path / "one.duckdb")
    live.execute("UPDATE topics SET title = 'changed between the snapshots' WHERE topic_id = 1")
    second = snapshots.publish_snapshot(live, tmp_path / "two.duckdb")
    snaps = [db.connect(p, read_only=True) for p in (first, second)]
    people = [s.execute("SELECT person_id, name, email FROM people ORDER BY person_id").fetchall() for s in snaps]
    assert people[0] == people[1] and len(people[0]) == 5378
    assert len({name for _, name, _ in people[0]}) == 5378, "no two people share a pseudonym"
    s = snaps[0]
    # Hannah Murphy (person 3) took part in three rounds: one pseudonym in all of them
    assert s.execute("SELECT DISTINCT a.name, a.email FROM applications AS a WHERE person_id = 3").fetchall() == [
        (people[0][2][1], people[0][2][2])]
    assert re.fullmatch(r"Participant [0-9a-f]{10}", people[0][2][1])
    assert re.fullmatch(r"p-[0-9a-f]{10}@pseudonym\.invalid", people[0][2][2])
    (split,) = s.execute("SELECT count(*) FROM (SELECT a.person_id FROM applications AS a JOIN people AS p "
                         "USING (person_id) GROUP BY a.person_id HAVING bool_or(a.name <> p.name OR "
                         "a.email <> p.email))").fetchone()  # type: ignore[misc]
    assert split == 0
    for c in snaps:
        c.close()


def test_pseudonyms_are_keyed_by_each_database(live: db.Connection, writable_db: Path, tmp_path: Path) -> None:
    other_path = tmp_path / "other.duckdb"
    live.execute("CHECKPOINT")
    shutil.copy(writable_db, other_path)
    other = db.connect(other_path)
    other.execute("DELETE FROM schema_info WHERE key = ?", [privacy.PSEUDONYM_KEY])
    ours = privacy.pseudonym_key(live)
    theirs = privacy.pseudonym_key(other)
    assert ours != theirs and len(ours) == 32
    assert privacy.pseudonym_key(live) == ours  # made once, then kept
    a = db.connect(snapshots.publish_snapshot(live, tmp_path / "a.duckdb"), read_only=True)
    b = db.connect(snapshots.publish_snapshot(other, tmp_path / "b.duckdb"), read_only=True)
    assert a.execute("SELECT name FROM people WHERE person_id = 3").fetchone() != \
        b.execute("SELECT name FROM people WHERE person_id = 3").fetchone()
    for c in (a, b, other):
        c.close()


@pytest.mark.parametrize("full", [False, True])
def test_snapshots_are_owner_only_and_the_folder_is_left_alone(live: db.Connection, tmp_path: Path,
                                                               users: dict[str, User], full: bool) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    out = snapshots.publish_snapshot(live, folder / "analytics.duckdb", full=full, by=users["director"])
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert sorted(p.name for p in folder.iterdir()) == ["analytics.duckdb"]
    again = snapshots.publish_snapshot(live, out, full=full, by=users["director"])  # replacing keeps it owner-only
    assert stat.S_IMODE(again.stat().st_mode) == 0o600


@pytest.mark.parametrize("role", ROLES)
def test_only_a_director_makes_a_full_snapshot(live: db.Connection, tmp_path: Path, users: dict[str, User],
                                               role: str) -> None:
    out = tmp_path / "full.duckdb"
    if role != "director":
        with pytest.raises(NotAllowed, match="full"):
            snapshots.publish_snapshot(live, out, full=True, by=users[role])
        assert not out.exists()
        return
    snapshots.publish_snapshot(live, out, full=True, by=users[role])
    full = db.connect(out, read_only=True)
    assert full.execute("SELECT value FROM schema_info WHERE key = 'snapshot_kind'").fetchone() == ("full",)
    assert full.execute("SELECT name, email FROM people WHERE person_id = 3").fetchone() == (
        "Hannah Murphy", "hannah.murphy@lib9.au.example.org")
    assert full.execute("SELECT count(*) FROM surveys WHERE impact_text = '[withheld]'").fetchone() == (0,)
    # never a password hash, sign-in state or the pseudonym key
    assert full.execute("SELECT count(password_hash) FROM coordinators").fetchone() == (0,)
    assert full.execute("SELECT count(*) FROM schema_info WHERE key = ?", [privacy.PSEUDONYM_KEY]).fetchone() == (0,)
    assert live.execute("SELECT count(password_hash) FROM coordinators").fetchone() == (1,)
    full.close()


def test_a_full_snapshot_needs_someone_signed_in(live: db.Connection, tmp_path: Path) -> None:
    with pytest.raises(NotAllowed, match="Sign in"):
        snapshots.publish_snapshot(live, tmp_path / "full.duckdb", full=True)


def test_the_apps_background_snapshot_is_pseudonymised(live: db.Connection, tmp_path: Path) -> None:
    out = tmp_path / "bg.duckdb"
    snapshots.request_snapshot(live, out)
    assert snapshots.wait_for_snapshots(60)
    assert snapshots.snapshot_errors() == []
    snap = db.connect(out, read_only=True)
    assert snap.execute("SELECT value FROM schema_info WHERE key = 'snapshot_kind'").fetchone() == ("pseudonymised",)
    assert snap.execute("SELECT name FROM people WHERE person_id = 3").fetchone()[0].startswith("Participant ")  # type: ignore[index]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    snap.close()


def test_the_snapshot_command_writes_a_full_copy_only_to_a_file_of_its_own(writable_db: Path, tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    assert main(["snapshot", "--db", str(writable_db), "--full"]) == 2
    assert "--out FILE" in capsys.readouterr().err
    out = tmp_path / "full copy.duckdb"
    assert main(["snapshot", "--db", str(writable_db), "--full", "--out", str(out)]) == 0
    assert "FULL copy" in capsys.readouterr().out
    full = db.connect(out, read_only=True)
    assert full.execute("SELECT name FROM people WHERE person_id = 3").fetchone() == ("Hannah Murphy",)
    full.close()
    pseudo = tmp_path / "analytics.duckdb"
    assert main(["snapshot", "--db", str(writable_db), "--out", str(pseudo)]) == 0
    assert "pseudonymised" in capsys.readouterr().out
    assert stat.S_IMODE(pseudo.stat().st_mode) == 0o600
