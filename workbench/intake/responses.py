"""Reading one cell of a check-in or survey answer: ways of keeping in touch, topics, impact codes.

The rules every import shares (text, multi-value cells, emails, yes/no, numbers, dates) are in
:mod:`workbench.intake.cells`; these are the vocabularies only check-ins and surveys use.
"""

from __future__ import annotations

import re

from workbench import vocab
from workbench.intake.cells import split_values, vocab_key
from workbench.rejections import Problem

__all__ = ["METHOD_SYNONYMS", "parse_codes", "parse_methods", "parse_topics"]

#: Words participants write for the ways they keep in touch -> workbench.vocab.METHODS.
METHOD_SYNONYMS: dict[str, str] = {
    **{m: m for m in vocab.METHODS},
    "e mail": "email", "mail": "email", "gmail": "email", "emails": "email", "outlook": "email",
    "video": "video call", "video calls": "video call", "videocall": "video call", "skype": "video call",
    "zoom": "video call", "google hangouts": "video call", "hangouts": "video call", "adobe connect": "video call",
    "anymeeting": "video call", "facetime": "video call", "webex": "video call", "teams": "video call",
    "video chat": "video call", "whatsapp": "chat", "instant messaging": "chat", "im": "chat",
    "messenger": "chat", "wechat": "chat", "viber": "chat", "telegram": "chat", "text": "chat",
    "sms": "chat", "facebook": "social media", "twitter": "social media", "linkedin": "social media",
    "instagram": "social media", "social": "social media", "telephone": "phone", "phone call": "phone",
    "phone calls": "phone", "mobile": "phone", "post": "other", "letter": "other", "letters": "other",
    "in person": "other", "met in person": "other",
}
_METHOD_HINT = ("Use email, video call, chat, social media, phone or other (Skype, Zoom -> video call; "
                "WhatsApp -> chat; Facebook, Twitter -> social media).")
_NOTHING = frozenset({"none", "nothing", "n a", "na"})


def parse_methods(text: str) -> list[str] | Problem:
    """Ways of keeping in touch, separated as a list of names ("Email, Skype", "email/zoom", "Email and
    WhatsApp"), in the order of workbench.vocab.METHODS."""
    out: list[str] = []
    for item in split_values(text, names=True):
        key = vocab_key(item)
        if key in _NOTHING:
            continue
        method = METHOD_SYNONYMS.get(key) or METHOD_SYNONYMS.get(key.rstrip("s"))
        if method is None:
            return Problem(f"'{item}' is not a way of keeping in touch the workbench knows", _METHOD_HINT)
        if method not in out:
            out.append(method)
    return sorted(out, key=vocab.METHODS.index)


def parse_topics(text: str, titles: dict[str, int], round_id: str) -> list[int] | Problem:
    """Topic numbers ("1; 3", "Topic 2") or titles (``titles`` maps :func:`vocab_key` of a title to its
    number) -> the round's topic numbers."""
    out: list[int] = []
    whole = vocab_key(text)
    if whole in _NOTHING | {"no", "0"}:
        return out
    numbers = set(titles.values())
    items = [text] if whole in titles else split_values(text.replace("|", ";"))
    for item in items:
        key = vocab_key(item)
        number = re.fullmatch(r"(?:topic |no |fortnight )?(\d+)", key)
        if number and int(number.group(1)) in numbers:
            seq = int(number.group(1))
        elif key in titles:
            seq = titles[key]
        else:
            listed = ", ".join(str(n) for n in sorted(numbers)) or "none yet"
            return Problem(f"'{item}' is not one of {round_id}'s topics (numbers {listed})",
                           "Write the topic numbers or titles separated by ';' (for example '1; 2'), or "
                           "leave the cell blank if no topic was discussed.")
        if seq not in out:
            out.append(seq)
    return sorted(out)


_CODES: dict[str, str] = {
    **{vocab_key(code): code for code, _, _ in vocab.IMPACT_CATEGORIES},
    **{vocab_key(label): code for code, label, _ in vocab.IMPACT_CATEGORIES},
}
_CODE_ORDER = [c for c, _, _ in vocab.IMPACT_CATEGORIES]


def parse_codes(text: str) -> list[str] | Problem:
    """Impact categories (codes or labels) separated by ';', '|' or a line break (not ',': a label may hold
    one) -> codes in the coding frame's order."""
    out: list[str] = []
    for item in re.split(r"\s*[;|\r\n]\s*", text):
        if not item:
            continue
        code = _CODES.get(vocab_key(item))
        if code is None:
            return Problem(f"'{item}' is not an impact category",
                           "Use the codes " + ", ".join(_CODE_ORDER) + " (or their labels), separated by ';'.")
        if code not in out:
            out.append(code)
    return sorted(out, key=_CODE_ORDER.index)
