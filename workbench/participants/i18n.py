# ruff: noqa: E501  (the texts are sentences, kept whole on one line each)
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
    "apply_title": {"en": 'Apply to the program', "fr": 'Candidater au programme', "es": 'Solicitar la participación en el programa'},
    "apply_intro": {"en": 'Round {round} takes applications until {closes}. Fields marked * are required.', "fr": "La session {round} reçoit les candidatures jusqu'au {closes}. Les champs marqués * sont obligatoires.", "es": 'La ronda {round} recibe solicitudes hasta el {closes}. Los campos marcados con * son obligatorios.'},
    "closed_title": {"en": 'Applications are closed', "fr": 'Les candidatures sont fermées', "es": 'Las solicitudes están cerradas'},
    "closed_next": {"en": 'The next round, {round}, opens for applications on {opens}.', "fr": 'La prochaine session, {round}, ouvre aux candidatures le {opens}.', "es": 'La próxima ronda, {round}, abre las solicitudes el {opens}.'},
    "closed_none": {"en": 'No round is taking applications now. The coordinators announce the next one.', "fr": "Aucune session ne reçoit de candidatures pour l'instant. Les coordinateurs annonceront la prochaine.", "es": 'Ninguna ronda recibe solicitudes ahora. Los coordinadores anunciarán la próxima.'},
    "f_name": {"en": 'Full name', "fr": 'Nom complet', "es": 'Nombre completo'},
    "f_email": {"en": 'Email address', "fr": 'Adresse e-mail', "es": 'Correo electrónico'},
    "f_country": {"en": 'Country you work in', "fr": 'Pays où vous travaillez', "es": 'País donde trabaja'},
    "f_organisation": {"en": 'Organisation', "fr": 'Organisation', "es": 'Organización'},
    "f_sector": {"en": 'Sector', "fr": 'Secteur', "es": 'Sector'},
    "f_career_stage": {"en": 'Career stage', "fr": 'Étape de carrière', "es": 'Etapa profesional'},
    "f_interests": {"en": 'Interests (one or more)', "fr": "Centres d'intérêt (un ou plusieurs)", "es": 'Intereses (uno o más)'},
    "f_languages": {"en": 'Languages you can work in', "fr": 'Langues de travail', "es": 'Idiomas de trabajo'},
    "f_timezone": {"en": "Time zone (blank: your country's main one)", "fr": 'Fuseau horaire (vide : celui de votre pays)', "es": 'Zona horaria (vacío: la de su país)'},
    "f_partner_sector": {"en": "Partner's sector you would like", "fr": 'Secteur souhaité pour votre partenaire', "es": 'Sector deseado de su pareja'},
    "f_partner_stage": {"en": "Partner's career stage you would like", "fr": 'Étape de carrière souhaitée pour votre partenaire', "es": 'Etapa profesional deseada de su pareja'},
    "f_partner_interests": {"en": 'Interests you would like to share', "fr": "Centres d'intérêt à partager", "es": 'Intereses que le gustaría compartir'},
    "any": {"en": 'No preference', "fr": 'Pas de préférence', "es": 'Sin preferencia'},
    "choose": {"en": 'Choose…', "fr": 'Choisir…', "es": 'Elegir…'},
    "returner": {"en": 'Have you taken part before?', "fr": 'Avez-vous déjà participé ?', "es": '¿Ha participado antes?'},
    "yes": {"en": 'Yes', "fr": 'Oui', "es": 'Sí'},
    "no": {"en": 'No', "fr": 'Non', "es": 'No'},
    "earlier_email": {"en": 'The address you used then, if it was another', "fr": "L'adresse utilisée alors, si elle était différente", "es": 'La dirección que usó entonces, si era otra'},
    "consent": {"en": 'I have read the privacy notice above and agree to it.', "fr": "J'ai lu la notice de confidentialité ci-dessus et je l'accepte.", "es": 'He leído el aviso de privacidad anterior y lo acepto.'},
    "consent_missing": {"en": 'Tick the box to agree to the privacy notice: the program cannot hold your application otherwise.', "fr": 'Cochez la case pour accepter la notice de confidentialité : sans cela le programme ne peut pas garder votre candidature.', "es": 'Marque la casilla para aceptar el aviso de privacidad: sin ello el programa no puede guardar su solicitud.'},
    "privacy_title": {"en": 'Privacy notice', "fr": 'Notice de confidentialité', "es": 'Aviso de privacidad'},
    "send": {"en": 'Send my application', "fr": 'Envoyer ma candidature', "es": 'Enviar mi solicitud'},
    "fix_errors": {"en": 'Some answers need a change: see the messages beside the fields below.', "fr": 'Certaines réponses sont à corriger : voir les messages à côté des champs ci-dessous.', "es": 'Algunas respuestas deben corregirse: vea los mensajes junto a los campos.'},
    "sent_title": {"en": 'Check your email', "fr": 'Consultez votre messagerie', "es": 'Revise su correo'},
    "sent_body": {"en": 'We sent a message to the address you gave. Open the link in it to confirm your application: it counts only once confirmed, within {days} days.', "fr": "Nous avons envoyé un message à l'adresse indiquée. Ouvrez le lien qu'il contient pour confirmer votre candidature : elle ne compte qu'une fois confirmée, dans les {days} jours.", "es": 'Enviamos un mensaje a la dirección indicada. Abra el enlace para confirmar su solicitud: solo cuenta una vez confirmada, en un plazo de {days} días.'},
    "confirm_title": {"en": 'Confirm your application', "fr": 'Confirmez votre candidature', "es": 'Confirme su solicitud'},
    "confirm_body": {"en": 'Press the button to confirm your application to round {round}.', "fr": 'Appuyez sur le bouton pour confirmer votre candidature à la session {round}.', "es": 'Pulse el botón para confirmar su solicitud a la ronda {round}.'},
    "confirm_button": {"en": 'Confirm my application', "fr": 'Confirmer ma candidature', "es": 'Confirmar mi solicitud'},
    "confirmed_title": {"en": 'Your application is confirmed', "fr": 'Votre candidature est confirmée', "es": 'Su solicitud está confirmada'},
    "confirmed_body": {"en": 'Thank you. You can see and change your application on your page; the link was also emailed to you.', "fr": 'Merci. Vous pouvez voir et modifier votre candidature sur votre page ; le lien vous a aussi été envoyé.', "es": 'Gracias. Puede ver y cambiar su solicitud en su página; también le enviamos el enlace.'},
    "my_page": {"en": 'My application', "fr": 'Ma candidature', "es": 'Mi solicitud'},
    "me_title": {"en": 'Your application', "fr": 'Votre candidature', "es": 'Su solicitud'},
    "status": {"en": 'Status', "fr": 'Statut', "es": 'Estado'},
    "change": {"en": 'Save my changes', "fr": 'Enregistrer mes modifications', "es": 'Guardar mis cambios'},
    "changed": {"en": 'Your changes are saved.', "fr": 'Vos modifications sont enregistrées.', "es": 'Sus cambios están guardados.'},
    "locked": {"en": 'Matching has started for this round: write to the coordinators to change anything.', "fr": "L'appariement de cette session a commencé : écrivez aux coordinateurs pour toute modification.", "es": 'El emparejamiento de esta ronda ha comenzado: escriba a los coordinadores para cualquier cambio.'},
    "withdraw": {"en": 'Withdraw my application', "fr": 'Retirer ma candidature', "es": 'Retirar mi solicitud'},
    "withdrawn": {"en": 'Your application is withdrawn. You will not be matched this round.', "fr": 'Votre candidature est retirée. Vous ne serez pas apparié(e) pour cette session.', "es": 'Su solicitud está retirada. No será emparejado/a en esta ronda.'},
    "download": {"en": 'Download my data (JSON)', "fr": 'Télécharger mes données (JSON)', "es": 'Descargar mis datos (JSON)'},
    "forget": {"en": 'Ask to be forgotten', "fr": "Demander l'effacement de mes données", "es": 'Pedir que se borren mis datos'},
    "forget_done": {"en": 'Your request is recorded. A director of the program confirms it and erases your data; you will not be contacted again.', "fr": 'Votre demande est enregistrée. Un responsable du programme la confirme et efface vos données ; vous ne serez plus contacté(e).', "es": 'Su solicitud está registrada. Un responsable del programa la confirma y borra sus datos; no volverá a ser contactado/a.'},
    "unsub_title": {"en": "Stop the program's emails", "fr": 'Ne plus recevoir les e-mails du programme', "es": 'Dejar de recibir los correos del programa'},
    "unsub_body": {"en": "Press the button to stop topics, reminders and surveys. Your partner's introduction still reaches you.", "fr": 'Appuyez sur le bouton pour ne plus recevoir les sujets, rappels et enquêtes. La présentation de votre partenaire vous parviendra toujours.', "es": 'Pulse el botón para dejar de recibir temas, recordatorios y encuestas. La presentación de su pareja le seguirá llegando.'},
    "unsub_button": {"en": 'Unsubscribe', "fr": 'Se désinscrire', "es": 'Darse de baja'},
    "unsub_done": {"en": 'You are unsubscribed: no more topics, reminders or surveys.', "fr": 'Vous êtes désinscrit(e) : plus de sujets, rappels ni enquêtes.', "es": 'Se ha dado de baja: no más temas, recordatorios ni encuestas.'},
    "link_sent": {"en": 'If that address has an application, a new link is on its way to it.', "fr": 'Si cette adresse a une candidature, un nouveau lien lui est envoyé.', "es": 'Si esa dirección tiene una solicitud, se le envía un enlace nuevo.'},
    "mail_confirm_subject": {"en": 'Confirm your application to round {round}', "fr": 'Confirmez votre candidature à la session {round}', "es": 'Confirme su solicitud a la ronda {round}'},
    "mail_confirm_body": {"en": 'Hello {name},\n\nThank you for applying to round {round}. Open this link to confirm your application (it counts only once confirmed, within {days} days):\n\n{link}\n\nIf you did not apply, ignore this message.', "fr": "Bonjour {name},\n\nMerci de votre candidature à la session {round}. Ouvrez ce lien pour la confirmer (elle ne compte qu'une fois confirmée, dans les {days} jours) :\n\n{link}\n\nSi vous n'avez pas candidaté, ignorez ce message.", "es": 'Hola {name}:\n\nGracias por su solicitud a la ronda {round}. Abra este enlace para confirmarla (solo cuenta una vez confirmada, en un plazo de {days} días):\n\n{link}\n\nSi no la presentó, ignore este mensaje.'},
    "mail_notice_subject": {"en": 'Your application to round {round}', "fr": 'Votre candidature à la session {round}', "es": 'Su solicitud a la ronda {round}'},
    "mail_notice_body": {"en": 'Hello {name},\n\n{what}\n\nSee or change your application, withdraw it or download your data: {me}\nStop topics, reminders and surveys: {unsubscribe}', "fr": 'Bonjour {name},\n\n{what}\n\nVoir ou modifier votre candidature, la retirer ou télécharger vos données : {me}\nNe plus recevoir sujets, rappels et enquêtes : {unsubscribe}', "es": 'Hola {name}:\n\n{what}\n\nVer o cambiar su solicitud, retirarla o descargar sus datos: {me}\nDejar de recibir temas, recordatorios y encuestas: {unsubscribe}'},
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
