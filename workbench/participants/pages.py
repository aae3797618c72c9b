"""The participants' pages: ``/apply``, ``/apply/confirm/<token>``, ``/me/<token>``, ``/unsubscribe/<token>``.

Every GET only shows (mail scanners follow links); every change is a POST with the form's CSRF field, except
the RFC 8058 one-click POST to ``/unsubscribe/<token>`` (body ``List-Unsubscribe=One-Click``), whose signed
link is its authority. Writes run on the request's own cursor in a worker thread (:meth:`Site.run`).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from workbench import db
from workbench.emails import normalise_email
from workbench.messages.templates import long_date, program_setting
from workbench.participants import applying, i18n, mail
from workbench.participants.tokens import make_token, read_token
from workbench.participants.web import Ctx, Form, Site, route
from workbench.program.vocabularies import vocabularies

ALWAYS = ("name", "email", "country", "sector", "career_stage", "interests")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _form_context(con: db.Connection, lang: str) -> dict[str, Any]:
    vocab = vocabularies(con)
    optional = program_setting(con, "form_questions", list(applying.FIELDS))
    return {
        "asked": [f for f in applying.FIELDS if f in ALWAYS or f in optional],
        "countries": i18n.country_options(lang),
        "choices": {"sector": vocab["sector"].terms, "career_stage": vocab["career_stage"].terms,
                    "interests": vocab["interest"].terms, "languages": vocab["language"].terms},
        "privacy_notice": program_setting(con, "privacy_notice", ""),
        "program_name": program_setting(con, "program_name", ""),
    }


def _answers(form: Form) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in applying.FIELDS:
        out[name] = form.getlist(name) if name in applying.LIST_FIELDS else form.get(name).strip()
    return out


def _apply_get(con: db.Connection, lang: str) -> dict[str, Any]:
    applying.expire_now_and_then(con)
    current, upcoming = applying.form_window(con)
    return {"current": current, "upcoming": upcoming, **_form_context(con, lang)}


async def apply_page(ctx: Ctx) -> Response:
    data = await ctx.site.run(_apply_get, ctx.lang)
    current, upcoming = data.pop("current"), data.pop("upcoming")
    name = i18n.LANGUAGE_NAMES[ctx.lang]
    if current is None:
        body = (ctx.t("closed_next", round=upcoming.round_id, opens=long_date(upcoming.opens_on, name))
                if upcoming else ctx.t.closed_none)
        return ctx.message("closed_title", body, program_name=data["program_name"])
    values: dict[str, Any] = {"languages": [], "interests": [], "partner_interests": []}
    errors: dict[str, str] = {}
    if ctx.request.method == "POST":
        values = _answers(ctx.form)
        returner = ctx.form.get("returner")
        earlier = ctx.form.get("earlier_email").strip()
        if ctx.form.honeypot_filled:  # a robot: thanked, nothing kept
            return ctx.message("sent_title", ctx.t("sent_body", days=applying.CONFIRM_DAYS))
        errors = await ctx.site.run(applying.check_answers, values)
        if not ctx.form.get("consent"):
            errors["consent"] = ctx.t.consent_missing
        if not errors:
            ctx.limit_email(normalise_email(values["email"]))
            result = await ctx.site.run(_submit, current.round_id, values, ctx.lang,
                                        earlier if returner == "yes" else None)
            ctx.site.on_mail()
            del result
            return ctx.message("sent_title", ctx.t("sent_body", days=applying.CONFIRM_DAYS))
        values["returner"], values["earlier_email"] = returner, earlier
    return ctx.render("apply.html", status=400 if errors else 200, title=ctx.t.apply_title, values=values,
                      errors=errors, round_id=current.round_id, closes=long_date(current.closes_on, name), **data)


def _submit(con: db.Connection, round_id: str, values: dict[str, Any], lang: str, earlier: str | None) -> str:
    form_id, how = applying.submit(con, round_id, values, language=lang, earlier_email=earlier)
    email = normalise_email(values["email"])
    if how == "already":
        found = applying.load(con, form_id)
        assert found is not None and found.person_id is not None
        _notice(con, found, lang, i18n.text(lang, "confirmed_body"), f"again:{form_id}:{_now():%Y%m%d%H%M}")
        return how
    token = make_token(con, "confirm", form_id, round_id=round_id)
    link = f"{mail.base_url(con)}/apply/confirm/{token}" + ("" if lang == "en" else f"?lang={lang}")
    version = con.execute("SELECT version FROM form_applications WHERE form_application_id = ?",
                          [form_id]).fetchone()[0]  # type: ignore[index]
    mail.queue(con, kind="confirmation", round_id=round_id, dedupe_key=f"confirm:{form_id}:{version}", lang=lang,
               name=values["name"], email=email,
               subject=i18n.text(lang, "mail_confirm_subject", round=round_id),
               body=i18n.text(lang, "mail_confirm_body", name=values["name"], round=round_id,
                              days=applying.CONFIRM_DAYS, link=link))
    return how


def _notice(con: db.Connection, found: applying.FormApplication, lang: str, what: str, key: str) -> None:
    assert found.person_id is not None
    me, unsubscribe = mail.links(con, found.person_id, found.round_id, lang)
    mail.queue(con, kind="notice", round_id=found.round_id, dedupe_key=f"notice:{found.form_application_id}:{key}",
               lang=lang, name=found.name, email=found.email, application_id=found.application_id,
               subject=i18n.text(lang, "mail_notice_subject", round=found.round_id),
               body=i18n.text(lang, "mail_notice_body", name=found.name, what=what, me=me, unsubscribe=unsubscribe),
               unsubscribe=unsubscribe)


async def confirm_page(ctx: Ctx) -> Response:
    token = await ctx.site.run(read_token, ctx.request.path_params["token"], "confirm")
    if ctx.request.method == "GET":
        return ctx.render("confirm.html", title=ctx.t.confirm_title, round_id=token.round_id)
    found = await ctx.site.run(_confirm, token.subject, ctx.lang)
    ctx.site.on_mail()
    me = ctx.url(f"/me/{found[1]}")
    return ctx.message("confirmed_title", ctx.t.confirmed_body, links=[(me, ctx.t.my_page)])


def _confirm(con: db.Connection, form_id: int, lang: str) -> tuple[applying.FormApplication, str]:
    found = applying.confirm(con, form_id)
    assert found.person_id is not None
    _notice(con, found, lang, i18n.text(lang, "confirmed_title") + ".", "confirmed")
    return found, make_token(con, "me", found.person_id, round_id=found.round_id)


def _mine(con: db.Connection, person_id: int, round_id: str | None) -> dict[str, Any]:
    row = con.execute("SELECT form_application_id FROM form_applications WHERE person_id = ? "
                      "AND (? IS NULL OR round_id = ?) ORDER BY submitted_at DESC LIMIT 1",
                      [person_id, round_id, round_id]).fetchone()
    found = applying.load(con, int(row[0])) if row else None
    application = None
    if found and found.application_id is not None:
        application = con.execute("SELECT status FROM applications WHERE application_id = ?",
                                  [found.application_id]).fetchone()
    round_status = con.execute("SELECT status FROM rounds WHERE round_id = ?",
                               [found.round_id if found else round_id]).fetchone()
    return {"found": found, "application_status": application[0] if application else None,
            "locked": not round_status or round_status[0] != "open"}


async def me_page(ctx: Ctx) -> Response:
    token = await ctx.site.run(read_token, ctx.request.path_params["token"], "me")
    data = await ctx.site.run(_mine, token.subject, token.round_id)
    found: applying.FormApplication | None = data["found"]
    if found is None:
        return ctx.message("me_title", ctx.t.withdrawn)
    note, errors = "", {}
    values = dict(found.answers)
    if ctx.request.method == "POST":
        action = ctx.form.get("action")
        if action == "download":
            export = await ctx.site.run(_export, token.subject)
            return JSONResponse(export, headers={"Content-Disposition": "attachment; filename=my-data.json"})
        if action == "withdraw" and not data["locked"]:
            await ctx.site.run(_withdraw, found, ctx.lang)
            ctx.site.on_mail()
            return ctx.message("me_title", ctx.t.withdrawn)
        if action == "forget":
            await ctx.site.run(_forget, token.subject)
            return ctx.message("me_title", ctx.t.forget_done)
        if action == "change" and not data["locked"]:
            values = {**_answers(ctx.form), "email": found.email}
            errors = await ctx.site.run(applying.check_answers, values)
            if not errors:
                await ctx.site.run(_change, found, values, ctx.lang)
                ctx.site.on_mail()
                note = ctx.t.changed
    form = await ctx.site.run(_form_context, ctx.lang)
    return ctx.render("me.html", status=400 if errors else 200, title=ctx.t.me_title, found=found, values=values,
                      errors=errors, note=note, locked=data["locked"], status_word=data["application_status"]
                      or found.status, **form)


def _withdraw(con: db.Connection, found: applying.FormApplication, lang: str) -> None:
    with db.transaction(con):
        con.execute("UPDATE form_applications SET status = 'withdrawn', withdrawn_at = ?, version = version + 1 "
                    "WHERE form_application_id = ?", [_now(), found.form_application_id])
        if found.application_id is not None:
            con.execute("UPDATE applications SET status = 'withdrawn', status_reason = 'withdrawn by the applicant "
                        "(their page)', version = version + 1 WHERE application_id = ?", [found.application_id])
        db.audit(con, actor=applying.FORM_USER.actor, action="withdraw (the applicant)", entity="applications",
                 entity_id=found.application_id)
    _notice(con, found, lang, i18n.text(lang, "withdrawn"), "withdrawn")


def _change(con: db.Connection, found: applying.FormApplication, values: dict[str, Any], lang: str) -> None:
    from_import = applying.parsed(con, values)
    with db.transaction(con):
        con.execute("UPDATE form_applications SET answers = ?, name = ?, version = version + 1 "
                    "WHERE form_application_id = ?",
                    [json.dumps({k: values.get(k) for k in applying.FIELDS}, ensure_ascii=False), values["name"],
                     found.form_application_id])
        if found.application_id is not None:
            sets = ", ".join(f"{k} = ?" for k in from_import)
            con.execute(f"UPDATE applications SET {sets}, version = version + 1 WHERE application_id = ?",
                        [*from_import.values(), found.application_id])
        db.audit(con, actor=applying.FORM_USER.actor, action="change (the applicant)", entity="applications",
                 entity_id=found.application_id, after={"fields": sorted(from_import)})
    version = con.execute("SELECT version FROM form_applications WHERE form_application_id = ?",
                          [found.form_application_id]).fetchone()[0]  # type: ignore[index]
    _notice(con, found, lang, i18n.text(lang, "changed"), f"changed:{version}")


def _forget(con: db.Connection, person_id: int) -> None:
    with db.transaction(con):
        if con.execute("SELECT 1 FROM forget_requests WHERE person_id = ? AND status = 'requested'",
                       [person_id]).fetchone():
            return
        (request_id,) = db.next_ids(con, "forget_requests")
        con.execute("INSERT INTO forget_requests VALUES (?, ?, ?, 'requested', NULL, NULL)",
                    [request_id, person_id, _now()])
        con.execute("INSERT OR IGNORE INTO opt_outs VALUES (?, ?, 'asked to be forgotten')", [person_id, _now()])
        db.audit(con, actor=applying.FORM_USER.actor, action="ask to be forgotten", entity="people",
                 entity_id=person_id)


def _export(con: db.Connection, person_id: int) -> dict[str, Any]:
    def rows(sql: str) -> list[dict[str, Any]]:
        frame = con.execute(sql, [person_id]).df()
        return json.loads(frame.to_json(orient="records", date_format="iso"))

    return {
        "person": rows("SELECT person_id, name, email, created_at FROM people WHERE person_id = ?"),
        "applications": rows("SELECT * EXCLUDE (organisation_key) FROM applications WHERE person_id = ?"),
        "form_applications": rows("SELECT * FROM form_applications WHERE person_id = ?"),
        "opt_outs": rows("SELECT * FROM opt_outs WHERE person_id = ?"),
        "forget_requests": rows("SELECT * FROM forget_requests WHERE person_id = ?"),
    }


def _opt_out(con: db.Connection, person_id: int, how: str) -> None:
    with db.transaction(con):
        con.execute("INSERT OR IGNORE INTO opt_outs VALUES (?, ?, ?)", [person_id, _now(), how])
        db.audit(con, actor=applying.FORM_USER.actor, action="unsubscribe", entity="people", entity_id=person_id,
                 after={"how": how})


def _one_click(form: Form) -> bool:
    return form.get("List-Unsubscribe") == "One-Click"


async def unsubscribe_page(ctx: Ctx) -> Response:
    token = await ctx.site.run(read_token, ctx.request.path_params["token"], "unsubscribe")
    if ctx.request.method == "GET":
        return ctx.render("unsubscribe.html", title=ctx.t.unsub_title)
    await ctx.site.run(_opt_out, token.subject, "one-click" if _one_click(ctx.form) else "page")
    return ctx.message("unsub_title", ctx.t.unsub_done)


def _new_link(con: db.Connection, email: str, lang: str) -> None:
    row = con.execute("SELECT form_application_id FROM form_applications WHERE email = ? AND status = 'confirmed' "
                      "ORDER BY submitted_at DESC LIMIT 1", [email]).fetchone()
    if row:
        found = applying.load(con, int(row[0]))
        assert found is not None
        _notice(con, found, lang, i18n.text(lang, "my_page") + ":", f"link:{_now():%Y%m%d%H%M}")


async def new_link_page(ctx: Ctx) -> Response:
    email = normalise_email(ctx.form.get("email"))
    if email and not ctx.form.honeypot_filled:
        ctx.limit_email(email)
        await ctx.site.run(_new_link, email, ctx.lang)
        ctx.site.on_mail()
    return ctx.message("new_link", ctx.t.link_sent)


def routes(site: Site) -> list[BaseRoute]:
    both = ("GET", "POST")
    return [
        route(site, "/apply", apply_page, methods=both),
        route(site, "/apply/confirm/{token}", confirm_page, methods=both),
        route(site, "/me/new-link", new_link_page, methods=("POST",)),
        route(site, "/me/{token}", me_page, methods=both),
        route(site, "/unsubscribe/{token}", unsubscribe_page, methods=both, csrf_exempt=_one_click),
    ]


__all__ = ["routes"]
