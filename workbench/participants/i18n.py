"""The participants' pages in the program's languages: English, French and Spanish shipped.

:func:`choose_language` picks the page's language from ``?lang=`` first, then the browser's
``Accept-Language`` (quality values honoured), then English. :func:`texts` gives a page its words
(:data:`TEXTS`, one entry per key with every language; a key missing a language falls back to English, and
``tests/test_participants.py`` checks none is missing). Country names come in the page's language from
pycountry's translations (:func:`country_options`), sorted as a reader of that language expects.
"""

from __future__ import annotations

import gettext
import unicodedata
from functools import cache
from typing import Any

import pycountry

from workbench.countries import country_table

#: The languages the pages speak: code -> the language's own name (the language switcher's words).
LANGUAGES = {"en": "English", "fr": "Français", "es": "Español"}
DEFAULT = "en"
#: Code -> the language's name as applications and message templates list it.
LANGUAGE_NAMES = {"en": "English", "fr": "French", "es": "Spanish"}


def _parse_accept(header: str) -> list[tuple[float, str]]:
    found = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag:
            found.append((quality - position * 1e-6, tag.strip().lower()))
    return sorted(found, reverse=True)


def choose_language(query: str | None, accept_language: str | None) -> str:
    """The page's language code: ``?lang=`` when it names a shipped language, else the first shipped
    language of ``Accept-Language`` (``fr-CA`` counts as ``fr``), else English."""
    if query and query.strip().lower()[:2] in LANGUAGES:
        return query.strip().lower()[:2]
    for quality, tag in _parse_accept(accept_language or ""):
        if quality > 0 and tag[:2] in LANGUAGES:
            return tag[:2]
    return DEFAULT


@cache
def _translations(code: str) -> gettext.NullTranslations:
    if code == "en":
        return gettext.NullTranslations()
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[code])
    except OSError:
        return gettext.NullTranslations()


def _sort_key(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


@cache
def country_options(code: str) -> tuple[tuple[str, str, str], ...]:
    """Every country as ``(iso3, English name, name in the language)``, sorted by the name shown. The form
    sends the English name, which the import's country resolution reads."""
    table = country_table()
    out = []
    for iso3, english in zip(table["iso3"], table["name"], strict=True):
        found = pycountry.countries.get(alpha_3=iso3)
        shown = _translations(code).gettext(found.name) if found is not None and code != "en" else english
        out.append((str(iso3), str(english), str(shown)))
    return tuple(sorted(out, key=lambda row: _sort_key(row[2])))


def country_label(iso3: str, code: str) -> str:
    """One country's name in the language."""
    for found, _, shown in country_options(code):
        if found == iso3:
            return shown
    return iso3


#: Every text of the pages: key -> {language code: words}. ``{name}`` placeholders are filled by the page.
TEXTS: dict[str, dict[str, str]] = {
    "skip": {"en": "Skip to the content", "fr": "Aller au contenu", "es": "Ir al contenido"},
    "language": {"en": "Language", "fr": "Langue", "es": "Idioma"},
    "footer": {"en": "This page works without JavaScript and keeps no cookie except a form's security check.",
               "fr": "Cette page fonctionne sans JavaScript et ne garde aucun cookie hormis le contrôle de "
                     "sécurité du formulaire.",
               "es": "Esta página funciona sin JavaScript y no guarda ninguna cookie salvo el control de "
                     "seguridad del formulario."},
    "error_title": {"en": "Something went wrong", "fr": "Un problème est survenu", "es": "Algo salió mal"},
    "error_body": {"en": "The page could not be shown. Nothing was changed. Please try again in a few minutes; "
                         "if it keeps happening, reply to any message from the program.",
                   "fr": "La page n'a pas pu s'afficher. Rien n'a été modifié. Réessayez dans quelques minutes ; "
                         "si cela se reproduit, répondez à n'importe quel message du programme.",
                   "es": "No se pudo mostrar la página. No se cambió nada. Inténtelo de nuevo en unos minutos; "
                         "si sigue ocurriendo, responda a cualquier mensaje del programa."},
    "not_found_title": {"en": "Page not found", "fr": "Page introuvable", "es": "Página no encontrada"},
    "bad_link_title": {"en": "This link does not work", "fr": "Ce lien ne fonctionne pas",
                       "es": "Este enlace no funciona"},
    "bad_link_body": {"en": "The link is not one the program sent, or it was cut short or changed on the way. "
                            "Copy the whole link from the message into the address bar, or ask for a new one "
                            "below.",
                      "fr": "Ce lien n'a pas été envoyé par le programme, ou il a été coupé ou modifié en route. "
                            "Copiez le lien entier depuis le message dans la barre d'adresse, ou demandez-en un "
                            "nouveau ci-dessous.",
                      "es": "El enlace no es uno que haya enviado el programa, o se cortó o cambió por el camino. "
                            "Copie el enlace completo del mensaje en la barra de direcciones, o pida uno nuevo "
                            "abajo."},
    "expired_link_title": {"en": "This link has expired", "fr": "Ce lien a expiré", "es": "Este enlace ha caducado"},
    "expired_link_body": {"en": "Links stop working after a while to keep your application safe. Ask for a new "
                                "link below: it is sent to the address you applied with.",
                          "fr": "Les liens cessent de fonctionner au bout d'un moment pour protéger votre "
                                "candidature. Demandez un nouveau lien ci-dessous : il est envoyé à l'adresse de "
                                "votre candidature.",
                          "es": "Los enlaces dejan de funcionar al cabo de un tiempo para proteger su solicitud. "
                                "Pida un enlace nuevo abajo: se envía a la dirección con la que presentó la "
                                "solicitud."},
    "email_label": {"en": "Email address", "fr": "Adresse e-mail", "es": "Correo electrónico"},
    "new_link": {"en": "Send me a new link", "fr": "M'envoyer un nouveau lien", "es": "Enviarme un enlace nuevo"},
    "to_apply": {"en": "Go to the application form", "fr": "Aller au formulaire de candidature",
                 "es": "Ir al formulario de solicitud"},
    "csrf_title": {"en": "The form has expired", "fr": "Le formulaire a expiré", "es": "El formulario ha caducado"},
    "csrf_body": {"en": "For your safety, a form can only be sent from this site, within a few hours of opening "
                        "it. Nothing was saved. Go back, reload the page and send it again.",
                  "fr": "Pour votre sécurité, un formulaire ne peut être envoyé que depuis ce site, dans les "
                        "quelques heures qui suivent son ouverture. Rien n'a été enregistré. Revenez en arrière, "
                        "rechargez la page et envoyez-le à nouveau.",
                  "es": "Por su seguridad, un formulario solo puede enviarse desde este sitio y pocas horas "
                        "después de abrirlo. No se guardó nada. Vuelva atrás, recargue la página y envíelo de "
                        "nuevo."},
    "rate_title": {"en": "Too many requests", "fr": "Trop de demandes", "es": "Demasiadas solicitudes"},
    "rate_body": {"en": "We received many forms from your connection or for this address in a short time. "
                        "Nothing more was saved. Please wait {minutes} minutes and try again.",
                  "fr": "Nous avons reçu beaucoup de formulaires depuis votre connexion ou pour cette adresse en "
                        "peu de temps. Rien de plus n'a été enregistré. Attendez {minutes} minutes et réessayez.",
                  "es": "Recibimos muchos formularios desde su conexión o para esta dirección en poco tiempo. "
                        "No se guardó nada más. Espere {minutes} minutos e inténtelo de nuevo."},
    "too_large_title": {"en": "The form is too large", "fr": "Le formulaire est trop volumineux",
                        "es": "El formulario es demasiado grande"},
    "too_large_body": {"en": "What was sent is larger than any application ({limit} KB at most). Nothing was "
                             "saved. Shorten the longest answers and send the form again.",
                       "fr": "L'envoi dépasse la taille d'une candidature ({limit} Ko au plus). Rien n'a été "
                             "enregistré. Raccourcissez les réponses les plus longues et renvoyez le formulaire.",
                       "es": "Lo enviado supera el tamaño de una solicitud ({limit} KB como máximo). No se guardó "
                             "nada. Acorte las respuestas más largas y envíe el formulario de nuevo."},
}


def text(code: str, key: str, **values: Any) -> str:
    """One text in the language (English when the language lacks it), placeholders filled."""
    entry = TEXTS[key]
    words = entry.get(code) or entry[DEFAULT]
    return words.format(**values) if values else words


class Texts:
    """A page's texts in one language, for templates: ``{{ t.apply_title }}``, ``{{ t("rate_body", minutes=5) }}``."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __getattr__(self, key: str) -> str:
        if key not in TEXTS:
            raise AttributeError(key)
        return text(self.code, key)

    def __call__(self, key: str, **values: Any) -> str:
        return text(self.code, key, **values)


__all__ = ["DEFAULT", "LANGUAGES", "LANGUAGE_NAMES", "TEXTS", "Texts", "choose_language", "country_label",
           "country_options", "text"]
