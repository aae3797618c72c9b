"""Introduction emails and exports of a round's published partnerships.

One message per partnership from an editable template, as ``.eml`` files in a zip (open them in any
mail program, or send them with a script) or as a mail-merge CSV (one row per partnership).

Both readers take the signed-in user as ``by`` and need :attr:`~workbench.access.Action.EXPORT_PERSONAL`.
A country coordinator gets the partnerships with a member from their countries, the members from
elsewhere reduced to name and country; an introduction needs every member's address, so they get the
introductions of the partnerships wholly within their countries only. The Matching page and
``workbench export partnerships|introductions`` write the same files from these functions.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTPUTF8
from email.utils import formatdate, make_msgid

import pandas as pd

from workbench.access import Action, NotAllowed, User, country_scope, redact_outside, require
from workbench.db import Connection
from workbench.errors import WorkbenchError
from workbench.exports import csv_text, frame_csv_bytes

DEFAULT_SUBJECT = "Meet your {round} partner{s}: {names}"
DEFAULT_BODY = """Dear {names},

Welcome to round {round}! You have been matched as partners:

{people}

You share an interest in {shared_interests}. Over the coming weeks we will send you a discussion topic
every fortnight, starting with "Getting to know you". Email is a good way to begin; please reply to
each other within a week.

If anything gets in the way, just reply to this message and a coordinator will help.

Warm wishes,
The program coordinators
"""
STAGE_WORDS = {"student": "library student", "early": "early career", "mid": "mid career", "senior": "senior"}
PLACEHOLDERS = ("round", "names", "people", "shared_interests", "s", "partnership_id")
#: What a country coordinator does not see of a partnership member from outside their countries.
OUTSIDE_HIDDEN = ("email", "sector", "career_stage", "interests", "languages", "timezone")


class TemplateError(WorkbenchError):
    pass


@dataclass(frozen=True)
class Introduction:
    partnership_id: int
    to: list[tuple[str, str]]  # (name, email)
    subject: str
    body: str


def published_partnerships(con: Connection, round_id: str, *, by: User) -> pd.DataFrame:
    """One row per member of the round's published partnerships (for the CSV export).

    Needs EXPORT_PERSONAL. A country coordinator gets the partnerships with a member from their
    countries; members from elsewhere keep their name and country, the rest of their row is blank
    (:data:`OUTSIDE_HIDDEN`).
    """
    require(by, Action.EXPORT_PERSONAL, what="The round's partnerships")
    members = _published(con, round_id)
    scope = country_scope(by)
    if scope is None or members.empty:
        return members
    involved = members.loc[members["country_iso3"].isin(scope), "partnership_id"].unique()
    members = members[members["partnership_id"].isin(involved)].reset_index(drop=True)
    return redact_outside(by, members, country_column="country_iso3", personal_columns=OUTSIDE_HIDDEN)


def partnerships_csv(con: Connection, round_id: str, *, by: User) -> bytes:
    """The partnerships export, as the Matching page downloads it and ``workbench export partnerships``
    writes it: :func:`published_partnerships` through :func:`workbench.exports.frame_csv_bytes`."""
    return frame_csv_bytes(published_partnerships(con, round_id, by=by))


def _published(con: Connection, round_id: str) -> pd.DataFrame:
    return con.execute(
        """
        SELECT p.partnership_id, p.kind, p.status, p.score, a.application_id, a.name, a.email, a.country_iso3,
            c.name AS country, a.sector, a.career_stage, array_to_string(a.interests, '; ') AS interests,
            array_to_string(a.languages, '; ') AS languages, a.timezone
        FROM partnerships AS p
        JOIN match_runs AS r ON r.run_id = p.run_id AND r.status = 'published'
        JOIN partnership_members AS pm ON pm.partnership_id = p.partnership_id
        JOIN applications AS a ON a.application_id = pm.application_id
        JOIN countries AS c ON c.iso3 = a.country_iso3
        WHERE p.round_id = ? AND p.status <> 'broken'
        ORDER BY p.partnership_id, a.application_id
        """,
        [round_id],
    ).df()


def _fill(template: str, values: dict[str, str], field: str) -> str:
    unknown = sorted(set(re.findall(r"{(\w*)}", template)) - set(PLACEHOLDERS))
    if unknown:
        raise TemplateError(
            f"The {field} uses unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}. "
            f"Use only {', '.join('{' + p + '}' for p in PLACEHOLDERS)}."
        )
    try:
        return template.format(**values)
    except (ValueError, IndexError, KeyError) as exc:
        raise TemplateError(f"The {field} is not a valid template ({exc}); write literal braces as {{{{ }}}}.") \
            from None


def introductions(con: Connection, round_id: str, *, by: User, subject: str = DEFAULT_SUBJECT,
                  body: str = DEFAULT_BODY) -> list[Introduction]:
    """One introduction per published partnership of the round, from the templates.

    Needs EXPORT_PERSONAL. A country coordinator gets the introductions of the partnerships whose members
    all live in their countries; a partnership with a member from elsewhere is left out (its introduction
    carries that member's address, which is not theirs to export: a coordinator sends it). When that
    leaves none, they are refused with :class:`~workbench.access.NotAllowed`.
    """
    require(by, Action.EXPORT_PERSONAL, what="The introductions")
    members = _published(con, round_id)
    if members.empty:
        raise WorkbenchError(f"Round {round_id} has no published partnerships yet: publish a matching run first.")
    scope = country_scope(by)
    if scope is not None:
        outside = members.loc[~members["country_iso3"].isin(scope), "partnership_id"].unique()
        members = members[~members["partnership_id"].isin(outside)]
        if members.empty:
            raise NotAllowed(
                f"None of round {round_id}'s partnerships has all its members in {by.name}'s countries "
                f"({', '.join(scope) or 'none'}); an introduction carries every member's address, so a director "
                "or coordinator sends those.")
    out = []
    for pid, group in members.groupby("partnership_id", sort=True):
        interests = [set(x.split("; ")) for x in group["interests"]]
        shared = sorted(set.intersection(*interests)) if interests else []
        names = [str(n) for n in group["name"]]
        values = {
            "round": round_id,
            "names": " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 2 else " and ".join(names),
            "people": "\n".join(
                f"- {r.name} ({r.country}; {r.sector} library, {STAGE_WORDS.get(r.career_stage, r.career_stage)}), "
                f"{r.email.strip()}"
                for r in group.itertuples()),
            "shared_interests": ", ".join(shared) if shared else "librarianship",
            "s": "s" if len(names) > 2 else "",
            "partnership_id": str(pid),
        }
        out.append(Introduction(int(pid), list(zip(group["name"], group["email"], strict=True)),
                                _fill(subject, values, "subject"), _fill(body, values, "message")))
    return out


def address(name: str, email: str) -> Address:
    """One recipient as a structured header value: the display name is quoted and encoded as needed, so a
    name with commas, quotes or non-ASCII letters can neither drop its address nor add a bogus one."""
    addr = email.strip()
    local, _, domain = addr.rpartition("@")
    if not local or not domain:
        raise WorkbenchError(f"{name}'s email {addr!r} is not an address; correct it on the Applicants page.")
    return Address(display_name=" ".join(str(name).split()), username=local, domain=domain)


def introduction_message(intro: Introduction, *, sender: str = "coordinators@example.org") -> EmailMessage:
    """The introduction as an email: every member a recipient, headers built from structured addresses."""
    msg = EmailMessage(policy=SMTPUTF8)
    msg["From"] = sender
    msg["To"] = [address(name, email) for name, email in intro.to]
    msg["Subject"] = intro.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1])
    msg.set_content(intro.body)
    return msg


def eml_zip(intros: list[Introduction], *, sender: str = "coordinators@example.org") -> bytes:
    """A zip of ``.eml`` files, one message per partnership."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for intro in intros:
            zf.writestr(f"partnership-{intro.partnership_id}.eml",
                        introduction_message(intro, sender=sender).as_bytes())
    return buf.getvalue()


def mail_merge_csv(intros: list[Introduction]) -> bytes:
    """A CSV for a mail merge: partnership, recipients, subject, body (formula-safe)."""
    rows = [[intro.partnership_id, "; ".join(e.strip() for _, e in intro.to), "; ".join(n for n, _ in intro.to),
             intro.subject, intro.body] for intro in intros]
    return ("\ufeff" + csv_text(rows, ["partnership_id", "to", "names", "subject", "body"])).encode("utf-8")
