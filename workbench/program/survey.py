"""The end-of-round survey's questions, in the program's languages: the default of the setting
``survey_questions`` and its check.

The questions are today's survey's (the sample program keeps them); a director may reword them per language
(`workbench settings set survey_questions '{"en": {"impact_text": "…"}}'`). A question left out of a language
keeps its shipped text. The choices come from the program's vocabularies (``method``) and fixed scales
(satisfaction 1 to 5, yes or no).
"""

from __future__ import annotations

import json
from typing import Any

from workbench.errors import WorkbenchError

#: The survey's questions, in the order the page asks them.
QUESTION_KEYS: tuple[str, ...] = (
    "program_satisfaction", "partner_satisfaction", "used_topics", "methods", "would_return", "impact_text",
    "may_quote",
)

#: The shipped texts (English, French, Spanish).
SURVEY_QUESTIONS: dict[str, dict[str, str]] = {
    "en": {
        "program_satisfaction": "How satisfied are you with the program? (1: not at all, 5: very)",
        "partner_satisfaction": "How satisfied are you with your partnership? (1: not at all, 5: very)",
        "used_topics": "Did you use the fortnightly discussion topics?",
        "methods": "How did you and your partner keep in touch?",
        "would_return": "Would you take part again?",
        "impact_text": "What impact has your involvement had on your work?",
        "may_quote": "May we quote your answer, without your name?",
    },
    "fr": {
        "program_satisfaction": "Êtes-vous satisfait·e du programme ? (1 : pas du tout, 5 : très)",
        "partner_satisfaction": "Êtes-vous satisfait·e de votre binôme ? (1 : pas du tout, 5 : très)",
        "used_topics": "Avez-vous utilisé les thèmes de discussion de la quinzaine ?",
        "methods": "Comment êtes-vous resté·e·s en contact ?",
        "would_return": "Participeriez-vous à nouveau ?",
        "impact_text": "Quel effet votre participation a-t-elle eu sur votre travail ?",
        "may_quote": "Pouvons-nous citer votre réponse, sans votre nom ?",
    },
    "es": {
        "program_satisfaction": "¿Qué tan satisfecho/a está con el programa? (1: nada, 5: mucho)",
        "partner_satisfaction": "¿Qué tan satisfecho/a está con su pareja de mentoría? (1: nada, 5: mucho)",
        "used_topics": "¿Usó los temas de conversación quincenales?",
        "methods": "¿Cómo se mantuvieron en contacto?",
        "would_return": "¿Volvería a participar?",
        "impact_text": "¿Qué impacto ha tenido su participación en su trabajo?",
        "may_quote": "¿Podemos citar su respuesta, sin su nombre?",
    },
}
LONGEST = 300


class SurveyQuestionsInvalid(WorkbenchError):
    """A survey_questions value that cannot be stored."""


def check_survey_questions(value: Any) -> dict[str, dict[str, str]]:
    """{language code: {question: text}}: known questions, texts of 1 to 300 characters."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SurveyQuestionsInvalid(f"The survey questions are JSON: {exc.msg} at character {exc.pos}.") from None
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise SurveyQuestionsInvalid('The survey questions are an object: {"en": {"impact_text": "…"}, "fr": {…}}.')
    out: dict[str, dict[str, str]] = {}
    for code, questions in value.items():
        unknown = sorted(set(questions) - set(QUESTION_KEYS))
        if unknown:
            raise SurveyQuestionsInvalid(f"The survey has no question {', '.join(unknown)} (language {code}); its "
                                         f"questions are {', '.join(QUESTION_KEYS)}.")
        texts = {k: " ".join(str(t).split()) for k, t in questions.items()}
        bad = [k for k, t in texts.items() if not 1 <= len(t) <= LONGEST]
        if bad:
            raise SurveyQuestionsInvalid(f"The question {bad[0]} ({code}) needs a text of 1 to {LONGEST} characters.")
        out[str(code)] = texts
    return out


def questions_in(stored: dict[str, dict[str, str]], language: str) -> dict[str, str]:
    """Every question's text in ``language`` (a code): the stored wording, else the shipped one, else English."""
    shipped = SURVEY_QUESTIONS.get(language, SURVEY_QUESTIONS["en"])
    return {k: stored.get(language, {}).get(k) or shipped[k] for k in QUESTION_KEYS}
