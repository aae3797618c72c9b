"""The earlier address the form takes ("Have you taken part before?", issue 19) reaches the import's linking: a
returner under a new address whom the linking only half recognises is recognised; an address typed by someone the
linking does not offer as that person links nobody."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from workbench import db, migrations
from workbench.access import command_line_user
from workbench.participants import applying

ROUND = "2099A"


def _returners(con: db.Connection) -> list[dict[str, object]]:
    """Two people with a name no one else has, as their latest application describes them."""
    rows = con.execute(
        """SELECT a.person_id, p.email, a.name, a.country_iso3, a.sector, a.career_stage, a.interests, a.languages
           FROM applications AS a JOIN people AS p USING (person_id)
           WHERE (SELECT count(*) FROM people AS q WHERE q.name = p.name) = 1
             AND (SELECT count(*) FROM applications AS b WHERE b.person_id = a.person_id) >= 2
           QUALIFY row_number() OVER (PARTITION BY a.person_id ORDER BY a.submitted_at DESC) = 1
           ORDER BY a.person_id LIMIT 2""").fetchall()
    keys = ("person_id", "email", "name", "country", "sector", "career_stage", "interests", "languages")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def _as_a_new_address(con: db.Connection, person: dict[str, object], email: str) -> dict[str, object]:
    """The person's answers from a new address, in another sector: the linking puts them in review, no more."""
    other = con.execute("SELECT value FROM vocabulary_terms WHERE kind = 'sector' AND value <> ? ORDER BY position "
                        "LIMIT 1", [person["sector"]]).fetchone()[0]  # type: ignore[index]
    return {"name": person["name"], "email": email, "country": person["country"], "sector": other,
            "career_stage": person["career_stage"], "interests": list(person["interests"]),  # type: ignore[call-overload]
            "languages": list(person["languages"])}  # type: ignore[call-overload]


def test_the_earlier_address_recognises_a_returner_the_linking_offers(writable_db: Path) -> None:
    con = migrations.open_live(writable_db)
    try:
        applying.open_for_applications(con, ROUND, by=command_line_user(), closes_on=dt.date.today()
                                       + dt.timedelta(days=14))
        first, second = _returners(con)
        people = con.execute("SELECT count(*) FROM people").fetchone()[0]  # type: ignore[index]

        # with the earlier address: the linking's review offers them, the address answers it
        recognised, _ = applying.submit(con, ROUND, _as_a_new_address(con, first, "moved.on@elsewhere.example.net"),
                                        language="en", earlier_email=str(first["email"]).upper())
        # the control: the same kind of answers without it go in as a new person
        control, _ = applying.submit(con, ROUND, _as_a_new_address(con, second, "fresh.start@elsewhere.example.net"),
                                     language="en")
        # someone else typing the second person's address is not offered by the linking: linked to nobody known
        stranger = {**_as_a_new_address(con, first, "someone@elsewhere.example.net"), "name": "Quentin Oddfellow",
                    "country": "ISL"}
        claimant, _ = applying.submit(con, ROUND, stranger, language="en", earlier_email=str(second["email"]))
        # confirmed together, as a busy form's confirmations are (one import, one linking run)
        assert applying._confirm_many(con, [recognised, control, claimant]) == {}
        linked = {f: applying.load(con, f).person_id for f in (recognised, control, claimant)}  # type: ignore[union-attr]
        assert linked[recognised] == first["person_id"]
        assert linked[control] != second["person_id"]
        assert linked[claimant] not in (first["person_id"], second["person_id"])
        assert con.execute("SELECT count(*) FROM people").fetchone()[0] == people + 2  # type: ignore[index]

        verdicts = [json.loads(r[0]) for r in con.execute(
            "SELECT after FROM audit_log WHERE action = 'earlier address given' ORDER BY audit_id").fetchall()]
        assert [(v["claimed_person"], v["recognised"]) for v in verdicts] == [(first["person_id"], True),
                                                                             (second["person_id"], False)]
    finally:
        con.close()
