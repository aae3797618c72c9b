"""One home for each rule of issue 17: the Wilson interval, the impact coding frame, the person's email
key, the message path."""

from __future__ import annotations

import datetime as dt
import email
import math
import re
import unicodedata
from email import policy
from pathlib import Path

import pytest

from tests.app_support import app_as
from tests.smtp_support import publish_round
from workbench import accounts, backups, db, emails, privacy, reports
from workbench.access import NotAllowed, User, system_user
from workbench.cli import main
from workbench.followup import impact, topics
from workbench.intake import cells
from workbench.messages import introductions, outbox
from workbench.messages import templates as tpl
from workbench.present import slides as slide_list
from workbench.program import settings, vocabularies

ROOT = Path(__file__).resolve().parents[1]


# --- The Wilson interval: the macros of macros.sql, nowhere else --------------------------------------


def _wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """The textbook formula, written here only to check the macro."""
    z = 1.959964
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n)


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (45, 50, 0.7864, 0.9565),   # the example in macros.sql
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (1, 2, 0.0945, 0.9055),
])
def test_wilson_macro_gives_the_known_interval(con: db.Connection, k: int, n: int, low: float, high: float) -> None:
    got_low, got_high = con.execute("SELECT wilson_low(?, ?), wilson_high(?, ?)", [k, n, k, n]).fetchone()  # type: ignore[misc]
    assert got_low == pytest.approx(low, abs=1e-4)
    assert got_high == pytest.approx(high, abs=1e-4)
    assert (got_low, got_high) == pytest.approx(_wilson_by_hand(k, n), abs=1e-12)


def test_wilson_macro_is_null_without_answers(con: db.Connection) -> None:
    assert con.execute("SELECT wilson_low(0, 0), wilson_high(0, 0), wilson_low(NULL, NULL)").fetchone() == (
        None, None, None)


def test_satisfaction_figures_unchanged_by_the_macro(con: db.Connection) -> None:
    """The figures the views gave with their own copies of the formula (measured before the change)."""
    by_round = reports.satisfaction_by_round(con).set_index("round_id")
    pilot = by_round.loc["Pilot"]
    assert pilot["respondents"] == 63
    assert (pilot["program_share_low"], pilot["program_share_high"]) == (0.7880, 0.9451)
    assert (pilot["partner_share_low"], pilot["partner_share_high"]) == (0.7319, 0.9114)
    later = by_round.loc["2014A"]
    assert (later["program_share_low"], later["program_share_high"]) == (0.8024, 0.8724)
    assert (later["partner_share_low"], later["partner_share_high"]) == (0.7692, 0.8442)
    overall = reports.satisfaction_returning_overall(con).set_index("participant_group")
    assert overall.loc["new", "respondents"] == 2357
    assert (overall.loc["new", "program_share_low"], overall.loc["new", "program_share_high"]) == (0.8427, 0.8710)
    assert (overall.loc["returning", "partner_share_low"],
            overall.loc["returning", "partner_share_high"]) == (0.8181, 0.8717)
    returning = con.execute("SELECT count(*) FROM satisfaction_by_returning").fetchone()  # type: ignore[misc]
    assert returning == (15,)


def test_wilson_formula_lives_only_in_macros_sql() -> None:
    """No view or module carries its own copy of the interval (its z, 1.959964)."""
    copies = [path.relative_to(ROOT).as_posix()
              for folder in ("queries", "workbench", "pages")
              for path in (ROOT / folder).rglob("*")
              if path.suffix in {".sql", ".py"} and "1.959964" in path.read_text(encoding="utf-8")]
    assert [p for p in copies if not p.endswith("macros.sql")] == []
    assert any(p.endswith("macros.sql") for p in copies)


# --- The impact coding frame: the database's vocabulary, everywhere -------------------------------------


def test_a_renamed_impact_category_keeps_impact_pages_and_quotes_working(app_env: Path,
                                                                         users: dict[str, User]) -> None:
    """`workbench vocab rename impact_category awareness perspective` (then a new label): the reports, the Present
    page's impact slide with its quote and the Impact page show the new label (before: KeyError 'perspective')."""
    assert main(["vocab", "rename", "impact_category", "awareness", "perspective", "--db", str(app_env)]) == 0
    con = db.connect(app_env)
    try:
        vocabularies.set_label(con, "impact_category", "perspective", "Professional perspective",
                               by=users["director"])
        assert reports.impact_categories(con)["label"].iloc[0] == "Professional perspective"
        newest = reports.impact_by_round(con)["round_id"].iloc[-1]
        coded = reports.impact_answers(con, newest, by=users["coordinator"], which="coded")
        assert any("Professional perspective" in labels for labels in coded["labels"])
        waiting = reports.impact_answers(con, newest, by=users["coordinator"], which="all")
        assert any("perspective" in codes for codes in waiting["suggested_codes"])  # the rules follow the rename
        sid, version = con.execute(
            "SELECT survey_id, version FROM surveys WHERE round_id = ? AND codes_confirmed AND impact_text IS NOT NULL "
            "AND list_contains(impact_codes, 'perspective') ORDER BY survey_id LIMIT 1", [newest]).fetchone()  # type: ignore[misc]
        impact.set_cleared(con, sid, version, True, by=users["coordinator"])
        quotes = reports.cleared_quotes(con, round_id=newest)
        assert list(quotes["labels"].str.contains("Professional perspective")) == [True]
        overall = reports.impact_overall(con).set_index("code")
        assert overall.loc["perspective", "label"] == "Professional perspective"
        assert overall.loc["perspective", "published_share"] == 0.30  # "Rethinking mentoring", through the rename
        slide = slide_list.build_slide(slide_list.context(con, newest), "impact")
        assert "Professional perspective" in list(slide.table["Impact category"])
        assert slide.quote is not None and slide.quote.endswith(str(quotes["round_label"].iloc[0]))
    finally:
        con.close()

    at = app_as("coordinator", "pages/impact.py")
    assert not at.exception
    options = {option for box in at.multiselect for option in box.options}
    assert "Professional perspective" in options and "Widening of professional awareness" not in options
    shown = at.dataframe[0].value
    assert shown["labels"].str.contains("Professional perspective").any()


def test_nothing_reads_the_impact_categories_table() -> None:
    """The frame is the vocabulary: no view, check, report, page or build step reads the old table."""
    readers = [path.relative_to(ROOT).as_posix()
               for folder in ("queries", "workbench", "pages")
               for path in (ROOT / folder).rglob("*")
               if path.suffix in {".sql", ".py"} and "schema" not in path.name
               and re.search(r"(FROM|JOIN)\s+impact_categories\b", path.read_text(encoding="utf-8"))]
    assert readers == []
    assert not hasattr(impact, "CODES") and not hasattr(impact, "LABELS")
    assert not (ROOT / "workbench" / "vocab.py").exists()  # the sample's lists live in workbench/sample/


def test_introductions_describe_a_stage_by_the_vocabulary_label() -> None:
    """A stage without sentence words (a program's own, or renamed) reads as its label, never as a code."""
    line = tpl.member_line(name="Ana", iso3="USA", country="United States", sector="public", stage="postdoc",
                           email="ana@x.org", language="French", stage_label="Post-doctorat")
    assert line == "- Ana (États-Unis ; bibliothèque publique, Post-doctorat), ana@x.org"
    line = tpl.member_line(name="Ana", iso3="USA", country="United States", sector="public", stage="mid",
                           email="ana@x.org", language="English", stage_label="Mid-career")
    assert line == "- Ana (United States; public library, mid career), ana@x.org"
    assert not hasattr(introductions, "STAGE_WORDS")


# --- The person's email key: one, for the import, erasure and accounts -----------------------------------


def test_one_email_key_for_people_and_staff_accounts(writable_db: Path, users: dict[str, User]) -> None:
    assert cells.normalise_email is emails.normalise_email is accounts.normalise_email is privacy.normalise_email
    con = db.connect(writable_db)
    try:
        password = "a long enough password"
        ivan = accounts.add_user(con, "Ivan@XN--E1AFMKFD.XN--P1AI", name="Ivan Petrov", role="coordinator",
                                 by=users["director"], password=password)
        found = accounts.user_for_email(con, "ivan@пример.рф")
        assert found is not None and found.id == ivan.id
        assert accounts.authenticate(con, "IVAN@ПРИМЕР.РФ", password).id == ivan.id
        jose = accounts.add_user(con, unicodedata.normalize("NFD", "José@Lib.es"), name="José Ruiz",
                                 role="analyst", by=users["director"])
        assert jose.email == "josé@lib.es" == unicodedata.normalize("NFC", jose.email)
        again = accounts.user_for_email(con, unicodedata.normalize("NFC", "JOSÉ@lib.es"))
        assert again is not None and again.id == jose.id
    finally:
        con.close()


# --- One email path: the Topics page's .eml is what the outbox queues ------------------------------------


def test_topic_eml_is_what_the_outbox_queues_in_french(writable_db: Path, users: dict[str, User],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("WORKBENCH_SMTP_FROM", "ILN coordinators <coordinators@iln.example.org>")
    publish_round(writable_db, "2017A")
    con = db.connect(writable_db)
    try:
        settings.set_setting(con, "languages", "French", by=users["director"])
        outbox.queue_topics(con, "2017A", by=users["director"], on=dt.date(2017, 3, 13))
        (outbox_id,) = con.execute("SELECT min(outbox_id) FROM outbox WHERE kind = 'topic' AND language = 'French' "
                                   "AND topic_id = (SELECT topic_id FROM topics WHERE round_id = '2017A' AND seq = 2)"
                                   ).fetchone()  # type: ignore[misc]
        queued = outbox.get_message(con, outbox_id, by=users["director"])
        sent = email.message_from_bytes(queued.email().as_bytes(), policy=policy.default)  # as it goes out
        names = tpl.join_names([r["name"] for r in queued.recipients], "French")
        eml = email.message_from_bytes(topics.topic_eml(con, int(queued.topic_id), names=names),  # type: ignore[arg-type]
                                       policy=policy.default)
        for header in ("Subject", "From", "Reply-To", "Content-Language"):
            assert eml[header] == sent[header], header
        assert eml.get_content() == sent.get_content()
        assert eml["From"] == "ILN coordinators <coordinators@iln.example.org>"
        assert eml["Subject"].startswith("2017A, sujet 2 : ")
        assert "Voici le sujet de discussion 2 sur 9" in eml.get_content()
        # The page's draft to every participant: the same text, greeting them all, in the program's language.
        draft = email.message_from_bytes(topics.topic_eml(con, int(queued.topic_id)), policy=policy.default)
        assert draft["Subject"] == sent["Subject"] and draft["X-Unsent"] == "1"
        assert draft.get_content().startswith("Bonjour à toutes et à tous,")
        assert draft.get_content().replace("à toutes et à tous", names) == sent.get_content()
    finally:
        con.close()


# --- Backups ask the role -----------------------------------------------------------------------------


def test_backups_are_refused_to_roles_without_the_backup_right(writable_db: Path, users: dict[str, User],
                                                               tmp_path: Path) -> None:
    con = db.connect(writable_db)
    try:
        for role in ("coordinator", "analyst", "country", "presenter"):
            with pytest.raises(NotAllowed, match="may not make or restore backups"):
                backups.backup_bytes(con, tmp_path / "scratch", by=users[role])
            with pytest.raises(NotAllowed, match="may not make or restore backups"):
                backups.keep_dated(con, tmp_path / "dated", 2, by=users[role])
            with pytest.raises(NotAllowed):
                backups.BackupKeeper(con, tmp_path / "kept", 2, 24, by=users[role])
        assert not (tmp_path / "dated").exists()
        assert backups.backup_bytes(con, tmp_path / "scratch", by=users["director"])[:4]
        keeper_user = system_user("backup keeper")
        assert keeper_user.actor == "system:backup-keeper"
        made = backups.BackupKeeper(con, tmp_path / "kept", 2, 24, by=keeper_user).run_once()
        assert made is not None and made.parent == tmp_path / "kept"
    finally:
        con.close()
