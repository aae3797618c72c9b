"""Introduction emails and exports of a round's published partnerships.

One message per partnership, in a language all its members share (:mod:`workbench.messages.templates`:
the program's first language when they all speak it), as ``.eml`` files in a zip (open them in any mail
program), as a mail-merge CSV (one row per partnership), or queued in the outbox
(:func:`workbench.messages.outbox.queue_introductions`) to be sent from the workbench.

Both readers take the signed-in user as ``by`` and need :attr:`~workbench.access.Action.EXPORT_PERSONAL`.
A country coordinator gets the partnerships with a member from their countries, the members from
elsewhere reduced to name and country; an introduction needs every member's address, so they get the
introductions of the partnerships wholly within their countries only. The Matching page and
``workbench export partnerships|introductions`` write the same files from these functions.

The messages' From, Reply-To and List-Unsubscribe come from the mail settings (:mod:`workbench.messages.smtp`)
and the program's settings (:func:`workbench.messages.smtp.identity`), never from a fixed address.
"""

from __future__ import annotations

import io
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
from workbench.messages import templates as tpl
from workbench.messages.smtp import Identity, identity

_ENGLISH = tpl.template("English", "introduction")
#: The English template (the other languages: ``workbench/messages/templates/<code>/introduction.txt``).
DEFAULT_SUBJECT = _ENGLISH.subject
DEFAULT_BODY = _ENGLISH.body
PLACEHOLDERS = tpl.PLACEHOLDERS["introduction"]
#: What a country coordinator does not see of a partnership member from outside their countries.
OUTSIDE_HIDDEN = ("email", "sector", "career_stage", "interests", "languages", "timezone")

TemplateError = tpl.TemplateError


@dataclass(frozen=True)
class Introduction:
    partnership_id: int
    to: list[tuple[str, str]]  # (name, email)
    subject: str
    body: str
    language: str = "English"
    note: str | None = None  #: why the language is not one all members share, when it is not


def published_partnerships(con: Connection, round_id: str, *, by: User) -> pd.DataFrame:
    """One row per member of the round's published partnerships (for the CSV export).

    Needs EXPORT_PERSONAL. A country coordinator gets the partnerships with a member from their
    countries; members from elsewhere keep their name and country, the rest of their row is blank
    (:data:`OUTSIDE_HIDDEN`).
    """
    require(by, Action.EXPORT_PERSONAL, what="The round's partnerships")
    members = _published(con, round_id).drop(columns=["sector_label", "career_stage_label"])  # the message's words
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


def _published(con: Connection, round_id: str, statuses: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Members of the round's published partnerships (not broken; or only those with ``statuses``), each with
    their person's latest address (a person keeps every address they used; messages go to the latest)."""
    return con.execute(
        """
        SELECT p.partnership_id, p.kind, p.status, p.score, a.application_id, a.name,
            coalesce(person.email, a.email) AS email, a.country_iso3,
            c.name AS country, a.sector, a.career_stage, coalesce(vs.label, a.sector) AS sector_label,
            coalesce(vc.label, a.career_stage) AS career_stage_label,
            array_to_string(a.interests, '; ') AS interests,
            array_to_string(a.languages, '; ') AS languages, a.timezone
        FROM partnerships AS p
        JOIN match_runs AS r ON r.run_id = p.run_id AND r.status = 'published'
        JOIN partnership_members AS pm ON pm.partnership_id = p.partnership_id
        JOIN applications AS a ON a.application_id = pm.application_id
        -- the person's latest address (people.email, workbench.people.identity): messages go there
        LEFT JOIN people AS person ON person.person_id = a.person_id
        JOIN countries AS c ON c.iso3 = a.country_iso3
        LEFT JOIN vocabulary_terms AS vs ON vs.kind = 'sector' AND vs.value = a.sector
        LEFT JOIN vocabulary_terms AS vc ON vc.kind = 'career_stage' AND vc.value = a.career_stage
        WHERE p.round_id = ? AND p.status <> 'broken' AND (? IS NULL OR list_contains(?, p.status))
        ORDER BY p.partnership_id, a.application_id
        """,
        [round_id, None if statuses is None else list(statuses), None if statuses is None else list(statuses)],
    ).df()


def introductions(con: Connection, round_id: str, *, by: User, subject: str | None = None,
                  body: str | None = None) -> list[Introduction]:
    """One introduction per published partnership of the round.

    Each is written from the program's template in a language all its members share
    (:func:`~workbench.messages.templates.choose_language`); a coordinator's own ``subject`` and ``body``
    (English placeholders, :data:`PLACEHOLDERS`) replace the templates for every partnership. Passing the
    English template itself (:data:`DEFAULT_SUBJECT`, :data:`DEFAULT_BODY`) is the same as passing nothing.

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
    return build(members, round_id, tpl.program_languages(con), subject=subject, body=body)


def build(members: pd.DataFrame, round_id: str, program_languages: list[str], *, subject: str | None = None,
          body: str | None = None) -> list[Introduction]:
    """The introductions of the partnerships in ``members`` (rows of :func:`_published`; no access check:
    callers ask :mod:`workbench.access` first)."""
    custom = None
    if (subject, body) != (None, None) and (subject, body) != (DEFAULT_SUBJECT, DEFAULT_BODY):
        custom = tpl.Template("English", "introduction", DEFAULT_SUBJECT if subject is None else subject,
                              DEFAULT_BODY if body is None else body)
    out = []
    for pid, group in members.groupby("partnership_id", sort=True):
        spoken = [[x for x in str(langs).split("; ") if x] for langs in group["languages"]]
        choice = tpl.LanguageChoice("English") if custom else tpl.choose_language(spoken, program_languages)
        language = choice.language
        template = custom or tpl.template(language, "introduction")
        interests = [set(x.split("; ")) for x in group["interests"]]
        shared = sorted(set.intersection(*interests)) if interests else []
        names = [str(n) for n in group["name"]]
        values = {
            "round": round_id,
            "names": tpl.join_names(names, language),
            "people": "\n".join(
                tpl.member_line(name=r.name, iso3=r.country_iso3, country=r.country, sector=r.sector,
                                stage=r.career_stage, email=r.email, language=language,
                                sector_label=r.sector_label, stage_label=r.career_stage_label)
                for r in group.itertuples()),
            "shared_interests": ", ".join(shared) if shared else tpl.field_word(language),
            "s": "s" if len(names) > 2 else "",
            "partnership_id": str(pid),
        }
        filled_subject, filled_body = template.render(values)
        to = [(tpl.safe_name(str(name)), str(email)) for name, email in zip(group["name"], group["email"], strict=True)]
        out.append(Introduction(int(pid), to, filled_subject, filled_body, language, choice.note))
    return out


def address(name: str, email: str) -> Address:
    """One recipient as a structured header value: the display name is quoted and encoded as needed, so a
    name with commas, quotes or non-ASCII letters can neither drop its address nor add a bogus one; it is
    one line, without bidirectional controls or a clickable web address (:func:`templates.safe_name`)."""
    addr = email.strip()
    local, _, domain = addr.rpartition("@")
    if not local or not domain:
        raise WorkbenchError(f"{name}'s email {addr!r} is not an address; correct it on the Applicants page.")
    return Address(display_name=tpl.safe_name(str(name)), username=local, domain=domain)


def _sender(sender: Identity | str | None) -> Identity:
    if isinstance(sender, Identity):
        return sender
    if isinstance(sender, str):
        return Identity(sender)
    return identity(None)


def introduction_message(intro: Introduction, *, sender: Identity | str | None = None) -> EmailMessage:
    """The introduction as an email: every member a recipient, headers built from structured addresses.

    ``sender`` is the From (and Reply-To, List-Unsubscribe) to use; unset, the configured ones
    (:func:`workbench.messages.smtp.identity`).
    """
    who = _sender(sender)
    msg = EmailMessage(policy=SMTPUTF8)
    msg["From"] = who.from_header()
    msg["To"] = [address(name, email) for name, email in intro.to]
    msg["Subject"] = tpl.header_text(intro.subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=who.domain)
    who.add_headers(msg)
    msg.set_content(intro.body)
    msg["Content-Language"] = tpl.LANGUAGE_CODES.get(intro.language, "en")  # after: set_content clears Content-*
    return msg


def eml_zip(intros: list[Introduction], *, sender: Identity | str | None = None) -> bytes:
    """A zip of ``.eml`` files, one message per partnership."""
    who = _sender(sender)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for intro in intros:
            zf.writestr(f"partnership-{intro.partnership_id}.eml",
                        introduction_message(intro, sender=who).as_bytes())
    return buf.getvalue()


def mail_merge_csv(intros: list[Introduction]) -> bytes:
    """A CSV for a mail merge: partnership, recipients, subject, body (formula-safe)."""
    rows = [[intro.partnership_id, "; ".join(e.strip() for _, e in intro.to),
             "; ".join(tpl.safe_name(n) for n, _ in intro.to), tpl.header_text(intro.subject), intro.body]
            for intro in intros]
    return ("\ufeff" + csv_text(rows, ["partnership_id", "to", "names", "subject", "body"])).encode("utf-8")
