"""The words around a participant's own links in the program's email (English, French, Spanish): the check-in
links a topic message carries (one per member) and the nudge to someone who has not answered a fortnight's
check-in; the survey template's ``{form_link}`` carries the survey link. The links themselves are made above
this layer (:mod:`workbench.participants.checkins`) and handed to the outbox as functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from workbench.messages.templates import LANGUAGE_CODES

#: (application_id, partnership_id, fortnight) -> the participant's check-in link.
CheckinLink = Callable[[int, int, int], str]
#: application_id -> the participant's survey link.
SurveyLink = Callable[[int], str]

_TOPIC_LINKS = {
    "en": "Did you and your partner talk this fortnight? Tell us in one click, each with your own link:",
    "fr": "Avez-vous échangé avec votre binôme cette quinzaine ? Dites-le-nous en un clic, chacun avec son lien :",
    "es": "¿Hablaron usted y su pareja esta quincena? Cuéntenoslo en un clic, cada uno con su propio enlace:",
}
_NUDGE_SUBJECT = {
    "en": "{round} topic {seq}: your check-in",
    "fr": "{round} thème {seq} : votre point d'étape",
    "es": "{round} tema {seq}: su seguimiento",
}
_NUDGE_BODY = {
    "en": "Dear {name},\n\nWe have not heard how fortnight {seq} ({title}) went for you and your partner. One "
          "answer is enough, and it takes a minute:\n\n{link}\n\nIf something is getting in the way, reply to this "
          "message and a coordinator will help.\n\nWarm wishes,\nThe program coordinators\n",
    "fr": "Bonjour {name},\n\nNous ne savons pas encore comment s'est passée la quinzaine {seq} ({title}) avec "
          "votre binôme. Une réponse suffit, et elle prend une minute :\n\n{link}\n\nSi quelque chose vous gêne, "
          "répondez à ce message et un·e coordinateur·rice vous aidera.\n\nBien cordialement,\nLes "
          "coordinateurs du programme\n",
    "es": "Estimado/a {name}:\n\nAún no sabemos cómo les fue la quincena {seq} ({title}) a usted y a su pareja. "
          "Basta una respuesta, y lleva un minuto:\n\n{link}\n\nSi algo se lo impide, responda a este mensaje y "
          "un coordinador le ayudará.\n\nUn cordial saludo,\nLos coordinadores del programa\n",
}


def _code(language: str) -> str:
    return LANGUAGE_CODES.get(language, "en")


def topic_links(language: str, members: Sequence[tuple[str, str]]) -> str:
    """The block a topic message ends with: each member's name and their own check-in link."""
    lines = "\n".join(f"  {name}: {link}" for name, link in members)
    return f"\n{_TOPIC_LINKS[_code(language)]}\n\n{lines}\n"


def nudge(language: str, *, round_label: str, name: str, seq: int, title: str, link: str | None) -> tuple[str, str]:
    """The subject and text of a check-in reminder to one participant."""
    code = _code(language)
    values = {"round": round_label, "name": name, "seq": seq, "title": title,
              "link": link or "(reply to this message)"}
    return _NUDGE_SUBJECT[code].format(**values), _NUDGE_BODY[code].format(**values)



__all__ = ["CheckinLink", "SurveyLink", "nudge", "topic_links"]
