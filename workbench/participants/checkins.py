"""``/checkin/<token>`` and ``/survey/<token>``: the fortnightly check-in and the end-of-round survey, answered
from the participant's own link in the program's email (issue 20).

A check-in token names the person (their application), the partnership and the fortnight; a survey token the
application. GET shows the form (with the answer given before, to change it); POST stores it through
:mod:`workbench.followup.answers` (the one home the CSV import uses too) and thanks. A tampered or expired token
gets the framework's 400/410 page (:func:`workbench.participants.web.endpoint`).

:func:`checkin_link` and :func:`survey_link` make the links the outbox puts in the topic, reminder and survey
messages (the outbox sits below this package, so it receives them as functions: :func:`link_makers`).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from workbench import db
from workbench.access import system_user
from workbench.errors import NotFound
from workbench.followup import answers
from workbench.participants import i18n
from workbench.participants.tokens import make_token, read_token
from workbench.participants.web import Ctx, Site, route
from workbench.program.settings import SETTINGS, get_setting

#: Where the links point while the program has no public address set.
DEFAULT_BASE_URL = "http://127.0.0.1:8501"
_WRITER = system_user("participant's own link")

_TEXTS: dict[str, dict[str, str]] = {  # this page's words, added to the framework's below
    "checkin_title": {"en": "Your fortnightly check-in", "fr": "Votre point d'étape de la quinzaine",
                      "es": "Su seguimiento quincenal"},
    "checkin_intro": {"en": "{round}, fortnight {fortnight}. One answer is enough; you can change it later.",
                      "fr": "{round}, quinzaine {fortnight}. Une réponse suffit ; vous pourrez la modifier.",
                      "es": "{round}, quincena {fortnight}. Basta una respuesta; puede cambiarla después."},
    "talked": {"en": "Did you and your partner talk this fortnight?",
               "fr": "Avez-vous échangé avec votre binôme cette quinzaine ?",
               "es": "¿Hablaron usted y su pareja esta quincena?"},
    "talked_yes": {"en": "Yes", "fr": "Oui", "es": "Sí"},
    "talked_not_yet": {"en": "Not yet", "fr": "Pas encore", "es": "Todavía no"},
    "talked_no_reply": {"en": "My partner has not replied", "fr": "Mon binôme n'a pas répondu",
                        "es": "Mi pareja no ha respondido"},
    "optional": {"en": "Optional", "fr": "Facultatif", "es": "Opcional"},
    "how": {"en": "How did you keep in touch?", "fr": "Comment êtes-vous resté·e·s en contact ?",
            "es": "¿Cómo se mantuvieron en contacto?"},
    "which_topics": {"en": "Which topics did you discuss?", "fr": "Quels thèmes avez-vous abordés ?",
                     "es": "¿Qué temas trataron?"},
    "rating": {"en": "How is the partnership going? (1: badly, 5: very well)",
               "fr": "Comment se passe le binôme ? (1 : mal, 5 : très bien)",
               "es": "¿Cómo va la mentoría? (1: mal, 5: muy bien)"},
    "note": {"en": "A note to the coordinators", "fr": "Un mot pour les coordinateurs",
             "es": "Una nota para los coordinadores"},
    "answer_send": {"en": "Send", "fr": "Envoyer", "es": "Enviar"},
    "thanks_title": {"en": "Thank you", "fr": "Merci", "es": "Gracias"},
    "thanks_body": {"en": "Your answer is saved. You can change it with the same link.",
                    "fr": "Votre réponse est enregistrée. Vous pouvez la modifier avec le même lien.",
                    "es": "Su respuesta se ha guardado. Puede cambiarla con el mismo enlace."},
    "answer_problem": {"en": "Please check the answers marked below.", "fr": "Vérifiez les réponses signalées.",
                       "es": "Revise las respuestas señaladas."},
    "survey_title": {"en": "End-of-round survey", "fr": "Questionnaire de fin de session",
                     "es": "Encuesta de fin de ronda"},
    "gone_title": {"en": "This link no longer leads anywhere", "fr": "Ce lien ne mène plus nulle part",
                   "es": "Este enlace ya no lleva a ninguna parte"},
    "gone_body": {"en": "The partnership or the application it was for has changed. Reply to the program's email "
                        "and a coordinator will help.",
                  "fr": "Le binôme ou la candidature concernés ont changé. Répondez au message du programme et un·e "
                        "coordinateur·rice vous aidera.",
                  "es": "La mentoría o la solicitud a la que se refería ha cambiado. Responda al correo del "
                        "programa y un coordinador le ayudará."},
}
_SHADOWED = sorted(set(_TEXTS) & set(i18n.TEXTS))
if _SHADOWED:  # a key of the same name would silently reword another page (the /apply button read "Send")
    raise RuntimeError(f"check-in texts {_SHADOWED} already name the framework's words: give them names of their own")
i18n.TEXTS.update(_TEXTS)


def base_url(con: db.Connection) -> str:
    """The program's public address (the setting ``base_url`` when the program has it), without a final slash."""
    value = get_setting(con, "base_url") if "base_url" in SETTINGS else None
    return str(value or DEFAULT_BASE_URL).rstrip("/")


def checkin_link(con: db.Connection, application_id: int, partnership_id: int, fortnight: int,
                 *, base: str | None = None) -> str:
    token = make_token(con, "checkin", application_id, extra={"p": int(partnership_id), "f": int(fortnight)})
    return f"{base or base_url(con)}/checkin/{token}"


def survey_link(con: db.Connection, application_id: int, *, base: str | None = None) -> str:
    return f"{base or base_url(con)}/survey/{make_token(con, 'survey', application_id)}"


def link_makers(con: db.Connection) -> dict[str, Any]:
    """``checkin_link`` and ``survey_link`` functions for :func:`workbench.messages.outbox.queue`."""
    base = base_url(con)
    return {"checkin_link": lambda app, pid, f: checkin_link(con, app, pid, f, base=base),
            "survey_link": lambda app: survey_link(con, app, base=base)}


def queue_links(con: db.Connection, kind: str) -> dict[str, Any]:
    """What :func:`workbench.messages.outbox.queue` needs to put participants' own links in a ``kind`` of message:
    every topic and reminder carries each member's check-in link; the survey links to each participant's own
    survey page unless the program keeps its own form (the setting ``survey_form_link``)."""
    makers = link_makers(con)
    if kind in ("topic", "reminder"):
        return {"checkin_link": makers["checkin_link"]}
    if kind == "survey" and not get_setting(con, "survey_form_link"):
        return {"survey_link": makers["survey_link"]}
    return {}


def _int(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def _checkin(con: db.Connection, token: str, form: dict[str, Any] | None) -> tuple[str, Any]:
    found = read_token(con, token, "checkin")
    app, pid, fortnight = found.subject, int(found.extra["p"]), int(found.extra["f"])
    problems: dict[str, str] = {}
    if form is not None:
        answer = answers.CheckinAnswer(
            talked=form["talked"], methods=tuple(form["methods"]),
            topics=tuple(t for t in (_int(x) for x in form["topics"]) if t is not None),
            rating=_int(form["rating"]), note=form["note"] or None)
        try:
            return "saved", answers.answer_checkin(con, app, pid, fortnight, answer, by=_WRITER)
        except answers.AnswerInvalid as exc:
            problems = exc.problems
    return "form", (answers.checkin_form(con, app, pid, fortnight), problems)


def _survey(con: db.Connection, token: str, language: str, form: dict[str, Any] | None) -> tuple[str, Any]:
    found = read_token(con, token, "survey")
    problems: dict[str, str] = {}
    if form is not None:
        def yes_no(key: str) -> bool | None:
            return {"yes": True, "no": False}.get(form[key])
        answer = answers.SurveyAnswer(
            program_satisfaction=_int(form["program_satisfaction"]) or 0,
            partner_satisfaction=_int(form["partner_satisfaction"]), used_topics=bool(yes_no("used_topics")),
            methods=tuple(form["methods"]), would_return=yes_no("would_return"),
            impact_text=form["impact_text"] or None, may_quote=form["may_quote"] == "yes")
        try:
            return "saved", answers.answer_survey(con, found.subject, answer, by=_WRITER)
        except answers.AnswerInvalid as exc:
            problems = exc.problems
    return "form", (answers.survey_form(con, found.subject, language), problems)


def _posted(ctx: Ctx, keys: tuple[str, ...], lists: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {k: ctx.form.get(k).strip() for k in keys}
    out.update({k: ctx.form.getlist(k) for k in lists})
    return out


def routes(site: Site) -> list[BaseRoute]:
    async def checkin(ctx: Ctx) -> Response:
        token = ctx.request.path_params["token"]
        form = _posted(ctx, ("talked", "rating", "note"), ("methods", "topics")) \
            if ctx.request.method == "POST" else None
        try:
            state, value = await site.run(_checkin, token, form)
        except NotFound:
            return ctx.message("gone_title", ctx.t.gone_body, status=404)
        if state == "saved":
            return ctx.message("thanks_title", ctx.t.thanks_body, links=[(ctx.url(ctx.request.url.path),
                                                                          ctx.t.checkin_title)])
        page, problems = value
        return ctx.render("checkin.html", status=400 if problems else 200, title=ctx.t.checkin_title, page=page,
                          problems=problems, talked=answers.TALKED, stored_talked=answers.talked_of(
                              page.stored["contact_made"], page.stored["partner_replied"]) if page.stored else None)

    async def survey(ctx: Ctx) -> Response:
        token = ctx.request.path_params["token"]
        form = _posted(ctx, ("program_satisfaction", "partner_satisfaction", "used_topics", "would_return",
                             "impact_text", "may_quote"), ("methods",)) if ctx.request.method == "POST" else None
        try:
            state, value = await site.run(_survey, token, ctx.lang, form)
        except NotFound:
            return ctx.message("gone_title", ctx.t.gone_body, status=404)
        if state == "saved":
            return ctx.message("thanks_title", ctx.t.thanks_body)
        page, problems = value
        return ctx.render("survey.html", status=400 if problems else 200, title=ctx.t.survey_title, page=page,
                          problems=problems)

    return [route(site, "/checkin/{token}", checkin, methods=("GET", "POST")),
            route(site, "/survey/{token}", survey, methods=("GET", "POST"))]


__all__ = ["base_url", "checkin_link", "link_makers", "queue_links", "routes", "survey_link"]
