"""``workbench export partnerships|introductions`` write the Matching page's files, formula-safe.

A participant of the sample's 2016B round is renamed ``=HYPERLINK("http://x","y")`` in a copy of the
database; the command and the page's function (:func:`workbench.messages.introductions.partnerships_csv`,
:func:`~workbench.messages.introductions.mail_merge_csv`) must give the same bytes, with the formula neutralised.
"""

from __future__ import annotations

import csv
import io
import zipfile
from email import message_from_string
from email.policy import default
from pathlib import Path

import pytest

from workbench import db
from workbench.access import User
from workbench.cli import main
from workbench.messages import introductions

ROUND = "2016B"
FORMULA = '=HYPERLINK("http://x","y")'
#: How a name reaches an email or the mail merge: its link broken (``templates.safe_name``), never clickable.
IN_MESSAGES = '=HYPERLINK("http[:]//x","y")'


@pytest.fixture
def renamed(writable_db: Path) -> tuple[Path, int, str]:
    """The copy with the first member of 2016B's first published partnership renamed; (db, id, their email)."""
    con = db.connect(writable_db)
    app_id, email = con.execute(
        """SELECT a.application_id, a.email FROM partnerships AS p
           JOIN match_runs AS r ON r.run_id = p.run_id AND r.status = 'published'
           JOIN partnership_members AS pm ON pm.partnership_id = p.partnership_id
           JOIN applications AS a ON a.application_id = pm.application_id
           WHERE p.round_id = ? ORDER BY p.partnership_id, a.application_id LIMIT 1""", [ROUND]).fetchone()  # type: ignore[misc]
    con.execute("UPDATE applications SET name = ? WHERE application_id = ?", [FORMULA, app_id])
    con.close()
    return writable_db, int(app_id), str(email).strip()


def _page_files(path: Path, user: User) -> tuple[bytes, bytes, list[introductions.Introduction]]:
    con = db.connect(path, read_only=True)
    try:
        intros = introductions.introductions(con, ROUND, by=user)
        return introductions.partnerships_csv(con, ROUND, by=user), introductions.mail_merge_csv(intros), intros
    finally:
        con.close()


def test_partnerships_csv_is_the_pages_file_with_the_formula_neutralised(
        renamed: tuple[Path, int, str], tmp_path: Path, users: dict[str, User],
        capsys: pytest.CaptureFixture[str]) -> None:
    path, app_id, _ = renamed
    out = tmp_path / "out" / "partnerships-2016B.csv"
    assert main(["export", "partnerships", "--round", ROUND, "--out", str(out), "--db", str(path)]) == 0
    assert f"Wrote 850 partnership members of {ROUND} to {out}." in capsys.readouterr().out
    page, _, _ = _page_files(path, users["director"])
    assert out.read_bytes() == page  # byte for byte what the Matching page downloads

    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert len(rows) == 850
    (row,) = [r for r in rows if int(r["application_id"]) == app_id]
    assert row["name"] == "'" + FORMULA  # shown as text by a spreadsheet, never run
    assert not [r for r in rows for cell in r.values() if cell.startswith(("=", "+", "@"))]
    assert FORMULA in out.read_text(encoding="utf-8-sig").replace('""', '"')


def test_mail_merge_and_eml_are_the_pages_files(renamed: tuple[Path, int, str], tmp_path: Path,
                                                users: dict[str, User]) -> None:
    path, _, email = renamed
    merge, emls = tmp_path / "merge.csv", tmp_path / "introductions.zip"
    assert main(["export", "introductions", "--round", ROUND, "--format", "mail-merge", "--out", str(merge),
                 "--db", str(path)]) == 0
    assert main(["export", "introductions", "--round", ROUND, "--format", "eml", "--out", str(emls),
                 "--db", str(path)]) == 0
    _, page_merge, intros = _page_files(path, users["director"])
    assert merge.read_bytes() == page_merge

    rows = list(csv.DictReader(io.StringIO(merge.read_bytes().decode("utf-8-sig"))))
    assert len(rows) == len(intros) == 424
    first = rows[0]
    assert first["names"].startswith("'" + IN_MESSAGES + "; ") and first["to"].startswith(email + "; ")

    # The zip holds one message per partnership; the renamed member is still a recipient, named as written.
    archive = zipfile.ZipFile(emls)
    assert sorted(archive.namelist()) == sorted(f"partnership-{i.partnership_id}.eml" for i in intros)
    msg = message_from_string(archive.read(f"partnership-{intros[0].partnership_id}.eml").decode("utf-8"),
                              policy=default)
    recipients = {a.addr_spec: a.display_name for a in msg["To"].addresses}
    assert recipients[email] == IN_MESSAGES and len(recipients) == len(intros[0].to)
    assert msg["Subject"] == intros[0].subject
    assert msg.get_content().replace("\r\n", "\n").strip() == intros[0].body.strip()


def test_export_commands_explain_what_is_wrong(writable_db: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.csv"
    assert main(["export", "partnerships", "--round", "2017A", "--out", str(out), "--db", str(writable_db)]) == 1
    assert "2017A has no published partnerships yet" in capsys.readouterr().err and not out.exists()
    assert main(["export", "introductions", "--round", "2099Z", "--format", "eml", "--out", str(out),
                 "--db", str(writable_db)]) == 1
    assert "no round '2099Z'" in capsys.readouterr().err and not out.exists()
    assert main(["export", "partnerships", "--round", ROUND, "--out", str(tmp_path), "--db", str(writable_db)]) == 2
    assert "is a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["export", "introductions", "--round", ROUND, "--out", str(out), "--format", "pdf"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["export"])
    assert exc.value.code == 2


def test_introductions_with_the_coordinators_own_template(writable_db: Path, tmp_path: Path,
                                                          users: dict[str, User]) -> None:
    body = tmp_path / "body.txt"
    body.write_text("Hello {names}: partnership {partnership_id} of {round}.\n", encoding="utf-8")
    out = tmp_path / "merge.csv"
    assert main(["export", "introductions", "--round", ROUND, "--format", "mail-merge", "--out", str(out),
                 "--subject", "Round {round}", "--body-file", str(body), "--db", str(writable_db)]) == 0
    con = db.connect(writable_db, read_only=True)
    try:
        intros = introductions.introductions(con, ROUND, by=users["coordinator"], subject="Round {round}",
                                             body=body.read_text(encoding="utf-8"))
    finally:
        con.close()
    assert out.read_bytes() == introductions.mail_merge_csv(intros)
    first = next(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert first["subject"] == "Round 2016B"
    assert first["body"] == intros[0].body == (  # 2016B's first partnership is a trio
        "Hello Lucía Martínez, Diego Martínez and Santiago Hernández: partnership 2356 of 2016B.\n")
    assert main(["export", "introductions", "--round", ROUND, "--format", "eml", "--out", str(out),
                 "--subject", "Hi {nme}", "--db", str(writable_db)]) == 1
