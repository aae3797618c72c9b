"""The program's vocabularies in the database: the seed, lookups, and changes that rewrite every use at once."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbench import access, db, migrations
from workbench.access import Action, NotAllowed, User
from workbench.followup import impact
from workbench.intake import validate
from workbench.matching import model as m
from workbench.matching.scoring import explain_pair
from workbench.program import vocabularies as v
from workbench.program.vocabularies import Term, Vocabulary, VocabularyError, term_key
from workbench.sample import vocabularies as vocab

ROOT = Path(__file__).resolve().parents[1]


def _applications(con: db.Connection) -> pd.DataFrame:
    return con.execute("SELECT application_id, sector, career_stage, interests, languages, partner_sector, "
                       "partner_stage, partner_interests, version FROM applications ORDER BY application_id").df()


# --- the seed ------------------------------------------------------------------------------------


def test_the_sample_database_holds_vocab_py_as_its_vocabularies(con: db.Connection) -> None:
    stored = v.vocabularies(con)
    assert list(stored) == list(v.KINDS) == list(vocab.default_terms())
    assert stored == v.default_vocabularies()  # values, labels, synonyms and positions (versions aside)
    assert stored["sector"].values() == vocab.SECTORS
    assert stored["career_stage"].values() == vocab.CAREER_STAGES
    assert stored["interest"].values() == vocab.INTERESTS
    assert stored["language"].values() == vocab.LANGUAGES
    assert stored["method"].values() == vocab.METHODS
    assert stored["impact_category"].labels() == {c: label for c, label, _ in vocab.IMPACT_CATEGORIES}
    # today's synonyms of the import moved into the seed
    assert "university" in stored["sector"].term("academic").synonyms  # type: ignore[union-attr]
    assert "skype" in stored["method"].term("video call").synonyms  # type: ignore[union-attr]
    assert "farsi" in stored["language"].term("Persian").synonyms  # type: ignore[union-attr]
    # the impact views read the vocabulary, and the check of stored values passes
    assert con.execute("SELECT list(DISTINCT code ORDER BY code) FROM impact_by_round").fetchone()[0] == sorted(  # type: ignore[index]
        stored["impact_category"].values())
    assert db.run_checks(con)["values_outside_vocabularies"] == []


def test_a_new_empty_database_gets_the_same_seed(tmp_path: Path) -> None:
    fresh = migrations.open_live(tmp_path / "new.duckdb", create=True)
    assert v.vocabularies(fresh) == v.default_vocabularies()
    assert fresh.execute("SELECT count(*) FROM vocabulary_terms").fetchone() == (  # type: ignore[index]
        sum(len(t) for t in vocab.default_terms().values()),)
    assert v.seed_vocabularies(fresh) == 0  # idempotent: kinds with terms are left alone
    fresh.close()


# --- lookups -------------------------------------------------------------------------------------


def test_lookup_ignores_case_spacing_accents_punctuation_and_a_plural(con: db.Connection) -> None:
    voc = v.vocabularies(con)
    assert voc["sector"].lookup("academic") == "academic"
    assert voc["sector"].lookup("  University  ") == "academic"  # a synonym
    assert voc["sector"].lookup("Public Libraries") is None  # "libraries" is not a synonym's plural
    assert voc["sector"].lookup("public library") == "public"
    assert voc["career_stage"].lookup("Mid-career") == "mid"  # the label
    assert voc["career_stage"].lookup("EARLY   CAREER") == "early"
    assert voc["interest"].lookup("library space") == "Library spaces"  # the plural 's'
    assert voc["interest"].lookup("Open access & scholarly communication") == "Open access and scholarly communication"
    assert voc["method"].lookup("Video Calls") == "video call"
    assert voc["method"].lookup("Skype") == "video call"
    assert voc["language"].lookup("Español") == "Spanish"  # accents folded: the synonym 'espanol'
    assert voc["impact_category"].lookup("New ideas") == "ideas"
    assert voc["interest"].lookup("Basket weaving") is None
    assert term_key("Business") == "business"  # a double 's' is not a plural
    assert voc["sector"].order(["other", "academic", "unknown", "public"]) == ["academic", "public", "other", "unknown"]


def test_a_vocabulary_is_hashable_and_compares_by_its_terms() -> None:
    a = Vocabulary("method", (Term("email", "Email", ("mail",), 1, 3),))
    b = Vocabulary("method", (Term("email", "Email", ("mail",), 1, 7),))
    assert a == b and hash(a) == hash(b)  # versions do not count
    assert a != Vocabulary("method", (Term("email", "E-mail", ("mail",), 1),))


# --- changes -------------------------------------------------------------------------------------


def test_renaming_an_interest_rewrites_every_application_in_one_audited_change(writable_db: Path,
                                                                                users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    before = _applications(con)
    uses = before["interests"].map(lambda xs: "Library spaces" in xs)
    wishes = before["partner_interests"].map(lambda xs: "Library spaces" in xs)
    assert uses.sum() == 1935 and wishes.sum() == 217  # the sample's figures
    audit_before = con.execute("SELECT count(*) FROM audit_log").fetchone()[0]  # type: ignore[index]
    term_version = v.vocabulary(con, "interest").term("Library spaces").version  # type: ignore[union-attr]

    changed = v.rename_term(con, "interest", "Library spaces", "Library buildings and spaces",
                            by=users["director"], version=term_version)

    assert changed == {"applications": 1935, "partner wishes": 217}
    after = _applications(con)
    assert len(after) == len(before)
    touched = uses | wishes
    expected = before["interests"].map(lambda xs: ["Library buildings and spaces" if x == "Library spaces" else x
                                                   for x in xs])
    assert after["interests"].map(list).tolist() == expected.map(list).tolist()  # same order, in place
    assert (after.loc[touched, "version"] == before.loc[touched, "version"] + 1).all()
    assert (after.loc[~touched, "version"] == before.loc[~touched, "version"]).all()
    assert not after["interests"].map(lambda xs: "Library spaces" in xs).any()
    voc = v.vocabulary(con, "interest")
    assert "Library spaces" not in voc and voc.values()[0] == "Library buildings and spaces"  # same position
    term = voc.term("Library buildings and spaces")
    assert term is not None and term.version == term_version + 1 and "Library spaces" in term.synonyms
    assert voc.lookup("library spaces") == "Library buildings and spaces"  # old forms still import
    # one audit entry, as the director, saying what was rewritten
    entries = con.execute("SELECT actor, action, entity_id, after FROM audit_log WHERE audit_id > ?",
                          [audit_before]).fetchall()
    assert len(entries) == 1
    actor, action, entity_id, after_json = entries[0]
    assert (actor, action, entity_id) == (users["director"].actor, "rename vocabulary term",
                                          "interest:Library spaces")
    assert '"rewritten": {"applications": 1935, "partner wishes": 217}' in after_json
    # the references to the applications are whole, and every data check passes
    assert con.execute("SELECT count(*) FROM partnership_members AS pm ANTI JOIN applications USING "
                       "(application_id)").fetchone() == (0,)
    db.apply_views(con)
    assert {k: rows for k, rows in db.run_checks(con).items() if rows} == {}
    # a stale version is refused
    with pytest.raises(db.StaleEdit, match="changed by someone else"):
        v.rename_term(con, "interest", "Library buildings and spaces", "Spaces", by=users["director"],
                      version=term_version)
    con.close()


def test_merging_sectors_methods_and_impact_codes_rewrites_their_uses(writable_db: Path,
                                                                     users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    director = users["director"]
    (national, wishing) = con.execute("SELECT count(*) FILTER (WHERE sector = 'national'), "
                                      "count(*) FILTER (WHERE partner_sector = 'national') FROM applications"
                                      ).fetchone()  # type: ignore[misc]
    assert v.merge_terms(con, "sector", "national", "public", by=director) == {
        "applications": national, "partner wishes": wishing}
    assert con.execute("SELECT count(*) FROM applications WHERE 'national' IN (sector, partner_sector)"
                       ).fetchone() == (0,)
    sectors = v.vocabulary(con, "sector")
    assert "national" not in sectors and sectors.lookup("National library") == "public"

    # a check-in that named both keeps one
    both = con.execute("SELECT count(*) FROM checkins WHERE list_contains(methods, 'phone') AND "
                       "list_contains(methods, 'video call')").fetchone()[0]  # type: ignore[index]
    v.merge_terms(con, "method", "phone", "video call", by=director)
    assert con.execute("SELECT count(*) FROM checkins WHERE list_contains(methods, 'phone')").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM checkins WHERE len(methods) <> len(list_distinct(methods))"
                       ).fetchone() == (0,)
    assert both > 0

    coded = con.execute("SELECT count(*) FROM surveys WHERE list_contains(impact_codes, 'skill')").fetchone()[0]  # type: ignore[index]
    assert v.merge_terms(con, "impact_category", "skill", "development", by=director) == {
        "coded survey answers": coded}
    assert "skill" not in impact.codes(con)
    assert con.execute("SELECT count(*) FROM impact_by_round WHERE code = 'skill'").fetchone() == (0,)
    # the keyword rules of a merged category follow it to its new code
    assert impact.suggest("I improved my English and my time management.", impact.coding_frame(con)).codes == (
        "development",)
    db.apply_views(con)
    assert {k: rows for k, rows in db.run_checks(con).items() if rows} == {}
    con.close()


def test_a_change_that_fails_midway_leaves_everything_as_it_was(writable_db: Path, users: dict[str, User],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    con = db.connect(writable_db)
    before = _applications(con)
    terms_before = v.vocabularies(con)
    members = con.execute("SELECT count(*) FROM partnership_members").fetchone()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(v.db, "audit", broken)  # fails after the applications were rewritten
    with pytest.raises(RuntimeError, match="disk on fire"):
        v.rename_term(con, "interest", "Library spaces", "Spaces", by=users["director"])
    with pytest.raises(RuntimeError, match="disk on fire"):
        v.merge_terms(con, "sector", "national", "public", by=users["director"])
    monkeypatch.undo()

    pd.testing.assert_frame_equal(_applications(con), before)
    assert v.vocabularies(con) == terms_before
    assert [t.version for t in v.vocabulary(con, "interest").terms] == [1] * len(vocab.INTERESTS)
    assert con.execute("SELECT count(*) FROM partnership_members").fetchone() == members
    # the tables are back whole, with their keys: a duplicate is still refused
    with pytest.raises(db.duckdb.ConstraintException):
        con.execute("INSERT INTO applications SELECT * FROM applications WHERE application_id = 1")
    con.close()


def test_adding_checks_the_words_and_removing_refuses_a_used_term(writable_db: Path,
                                                                  users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    director = users["director"]
    with pytest.raises(VocabularyError, match="'University' already names the sector 'Academic'"):
        v.add_term(con, "sector", "University", by=director)
    with pytest.raises(VocabularyError, match="already a sector"):
        v.add_term(con, "sector", "academic", by=director)
    with pytest.raises(VocabularyError, match="is empty"):
        v.add_term(con, "interest", "  ;  ", by=director)
    with pytest.raises(VocabularyError, match="one word in lower-case"):
        v.add_term(con, "impact_category", "Leadership skills", by=director)
    with pytest.raises(v.NotFound, match="no vocabulary 'colour'"):
        v.vocabulary(con, "colour")

    term = v.add_term(con, "impact_category", "leadership", label="Leadership", synonyms=["leading"], by=director)
    assert term.position == 8 and impact.labels(con)["leadership"] == "Leadership"
    assert con.execute("SELECT DISTINCT label, category_seq FROM impact_by_round WHERE code = 'leadership'"
                       ).fetchone() == ("Leadership", 8)
    v.remove_term(con, "impact_category", "leadership", by=director)  # unused: removed
    assert "leadership" not in impact.codes(con)
    public, wishes = con.execute("SELECT count(*) FILTER (WHERE sector = 'public'), "
                                 "count(*) FILTER (WHERE partner_sector = 'public') FROM applications").fetchone()  # type: ignore[misc]
    assert (public, wishes) == (1560, 436)
    with pytest.raises(VocabularyError, match=r"'public' is used by 1,560 applications, 436 partner wishes.*Merge"):
        v.remove_term(con, "sector", "public", by=director)
    with pytest.raises(VocabularyError, match="merge them"):
        v.rename_term(con, "sector", "national", "public", by=director)
    updated = v.set_synonyms(con, "sector", "other", ["Private library", "private library", "none of the above"],
                             by=director)
    assert updated.synonyms == ("Private library", "none of the above")
    assert v.vocabulary(con, "sector").lookup("private libraries") is None  # no filler words in lookup
    assert v.vocabulary(con, "sector").lookup("Private Library") == "other"
    con.close()


@pytest.mark.parametrize("role", ["coordinator", "country", "analyst", "presenter"])
def test_only_a_director_changes_the_vocabularies(role: str, writable_db: Path, users: dict[str, User]) -> None:
    assert role not in access.RULES[Action.SETTINGS]
    con = db.connect(writable_db)
    before = v.vocabularies(con)
    user = users[role]
    for change in (lambda: v.add_term(con, "interest", "Makerspaces", by=user),
                   lambda: v.rename_term(con, "interest", "Library spaces", "Spaces", by=user),
                   lambda: v.merge_terms(con, "sector", "national", "public", by=user),
                   lambda: v.set_synonyms(con, "sector", "other", ["private"], by=user),
                   lambda: v.set_label(con, "sector", "other", "Elsewhere", by=user),
                   lambda: v.remove_term(con, "interest", "Law libraries", by=user)):
        with pytest.raises(NotAllowed, match="change the program's settings"):
            change()
    assert v.vocabularies(con) == before
    con.close()


# --- a program's own term, in the import and the matching ---------------------------------------


def test_a_custom_interest_is_accepted_by_the_import_and_shared_in_the_matching(
        writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    frame = pd.DataFrame([{
        "submitted_at": "2017-01-10 10:00", "name": "Ana Pérez", "email": "ana@example.org", "country": "Chile",
        "sector": "Public library", "career_stage": "early career", "interests": "Makerspaces; Library advocacy",
        "partner_interests": "maker space"}])
    mapping = {c: c for c in frame.columns}
    rejected = validate(frame, mapping)  # the sample's defaults do not know it
    assert rejected.rejections == []  # an unknown value is a question for the coordinator, not a rejection
    assert [(u.column, u.value) for u in rejected.unknown_values] == [("interests", "Makerspaces"),
                                                                      ("partner_interests", "maker space")]

    v.add_term(con, "interest", "Makerspaces", synonyms=["maker space", "fab lab"], by=users["director"])
    accepted = validate(frame, mapping, vocabularies=v.vocabularies(con))
    assert accepted.rejections == []
    record = accepted.rows.iloc[0]
    assert list(record["interests"]) == ["Makerspaces", "Library advocacy"]
    assert list(record["partner_interests"]) == ["Makerspaces"]  # a synonym, stored as the term

    # The matching compares the stored values: merge an interest into the new term, and two people who both
    # had it share "Makerspaces" in the engine's score.
    v.merge_terms(con, "interest", "Library spaces", "Makerspaces", by=users["director"])
    from workbench import matchstore

    pool = matchstore._pool(con, "2017A")
    having = [a for a in pool.applicants if "Makerspaces" in a.interests]
    assert len(having) > 2
    a = having[0]
    b = next(x for x in having[1:] if x.country != a.country)
    explained = explain_pair(a, b, m.Weights())
    assert "Makerspaces" in explained.shared_interests
    assert explained.components["shared_interests"] == m.Weights().shared_interest * len(a.interests & b.interests)
    assert pool.vocabularies["interest"].label("Makerspaces") == "Makerspaces"
    con.close()


def test_the_pool_reads_a_value_kept_as_written_as_the_term_it_names(writable_db: Path,
                                                                    users: dict[str, User]) -> None:
    """A stored value outside the vocabulary that later became a synonym counts as its term in the matching."""
    con = db.connect(writable_db)
    row = con.execute("SELECT application_id FROM applications WHERE round_id = '2017A' AND status = 'accepted' "
                      "AND application_id NOT IN (SELECT application_id FROM partnership_members) "
                      "AND application_id NOT IN (SELECT application_a_id FROM match_rules) "
                      "AND application_id NOT IN (SELECT application_id FROM match_unmatched) LIMIT 1").fetchone()
    if row is None:
        pytest.skip("every 2017A application is referenced")
    con.execute("UPDATE applications SET sector = 'Uni' WHERE application_id = ?", [row[0]])
    assert db.run_checks(con)["values_outside_vocabularies"] == [("sector", "applications.sector", "Uni", 1)]
    pool = matchstore_pool(con)
    assert pool[row[0]].sector == "Uni"  # unknown: kept as it is
    v.set_synonyms(con, "sector", "academic", ["Uni"], by=users["director"])
    assert matchstore_pool(con)[row[0]].sector == "academic"
    con.close()


def matchstore_pool(con: db.Connection) -> dict[int, m.Applicant]:
    from workbench import matchstore

    return matchstore._pool(con, "2017A").by_id()


# --- the commands ---------------------------------------------------------------------------------


def test_vocab_commands_list_add_rename_and_merge(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from workbench.cli import main

    db_arg = ["--db", str(writable_db)]
    assert main(["vocab", "list", "sector", *db_arg]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "sector (6 sectors)"
    assert out.splitlines()[1].startswith("  academic  [Academic]  used 3,888  also: university, college")

    assert main(["vocab", "add", "interest", "Makerspaces", "--synonym", "maker space", "--synonym", "fab lab",
                 *db_arg]) == 0
    assert capsys.readouterr().out.strip() == "Added the area of interest 'Makerspaces' (also: maker space, fab lab)."
    assert main(["vocab", "rename", "interest", "Library spaces", "Library buildings", *db_arg]) == 0
    assert capsys.readouterr().out.startswith(
        "Renamed the area of interest 'Library spaces' to 'Library buildings'; rewrote 1,935 applications, "
        "217 partner wishes.")
    assert main(["vocab", "merge", "method", "phone", "video call", *db_arg]) == 0
    assert "Merged the way of keeping in touch 'phone' into 'video call'; rewrote" in capsys.readouterr().out

    assert main(["vocab", "list", "interest", "--json", *db_arg]) == 0
    listed = json.loads(capsys.readouterr().out)["interest"]
    assert listed[0] == {"value": "Library buildings", "label": "Library buildings", "synonyms": ["Library spaces"],
                         "position": 1, "version": 2, "used": 1935 + 217}
    assert listed[-1]["value"] == "Makerspaces" and listed[-1]["used"] == 0

    # refusals: a clear message, exit 1, nothing changed
    assert main(["vocab", "merge", "sector", "nowhere", "public", *db_arg]) == 1
    err = capsys.readouterr().err
    assert "'nowhere' is not a sector of this program." in err and "academic, public" in err
    assert main(["vocab", "add", "sector", "University", *db_arg]) == 1
    assert "already names the sector 'Academic'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["vocab", "list", "colours", *db_arg])
    assert usage.value.code == 2
    con = db.connect(writable_db, read_only=True)
    assert con.execute("SELECT actor FROM audit_log WHERE entity = 'vocabulary_terms' ORDER BY audit_id").fetchall() \
        == [(access.command_line_user().actor,)] * 3
    con.close()


# --- the Settings page ----------------------------------------------------------------------------


def _settings_page(account: str):  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    from workbench.ui.auth import USER_KEY

    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=60)
    at.session_state[USER_KEY] = account
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_settings_page_lets_a_director_add_rename_and_merge(app_env: Path) -> None:
    at = _settings_page("amorgan")
    assert [t.label for t in at.tabs] == ["Program", "Sectors", "Career stages", "Areas of interest",
                                          "Working languages", "Ways of keeping in touch", "Impact categories"]
    sectors = at.tabs[1].dataframe[0].value
    assert list(sectors["value"]) == list(vocab.SECTORS)
    assert "university" in sectors.set_index("value").loc["academic", "synonyms"]
    assert sectors["used"].sum() > 0

    at.text_input(key="add_value_interest").set_value("Makerspaces")
    at.text_input(key="add_synonyms_interest").set_value("maker space; fab lab")
    next(b for b in at.button if b.label == "Add the area of interest").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Added the area of interest 'Makerspaces'."]

    # a rename needs the confirmation
    at.selectbox(key="rename_old_sector").set_value("national")
    at.text_input(key="rename_new_sector").set_value("national library").run()
    assert at.button(key="rename_sector").disabled
    at.checkbox(key="rename_sure_sector").check().run()
    assert "in the 383 rows that use it" in at.checkbox(key="rename_sure_sector").label
    at.button(key="rename_sector").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Renamed 'national' to 'national library' (383 rows rewritten)."]

    at.selectbox(key="merge_from_method").set_value("phone")
    at.selectbox(key="merge_into_method").set_value("video call")
    at.checkbox(key="merge_sure_method").check().run()
    at.button(key="merge_method").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Merged 'phone' into 'video call' (")

    # a refused change shows its message, not a trace
    at.text_input(key="add_value_sector").set_value("University")
    next(b for b in at.button if b.label == "Add the sector").click().run()
    assert not at.exception, at.exception
    assert any("already names the sector 'Academic'" in e.value for e in at.error)

    con = db.connect(app_env)  # the same configuration as the app's connection in this process
    voc = v.vocabularies(con)
    assert "Makerspaces" in voc["interest"] and "national library" in voc["sector"] and "phone" not in voc["method"]
    assert con.execute("SELECT count(*) FILTER (WHERE sector = 'national library') + count(*) FILTER "
                       "(WHERE partner_sector = 'national library'), count(*) FILTER (WHERE 'national' IN "
                       "(sector, partner_sector)) FROM applications").fetchone() == (383, 0)
    assert con.execute("SELECT DISTINCT actor FROM audit_log WHERE entity = 'vocabulary_terms'").fetchall() == [
        ("amorgan",)]
    con.close()


def test_the_settings_page_refuses_a_coordinator(app_env: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from workbench.ui.auth import USER_KEY

    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=60)
    at.session_state[USER_KEY] = "tortega"
    at.run()
    assert any("may not change the program's settings" in e.value for e in at.error)
    assert not at.tabs and not at.button
