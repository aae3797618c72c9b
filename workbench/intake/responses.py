"""Reading one cell of a check-in or survey answer: ways of keeping in touch, topics, impact codes.

The rules every import shares (text, multi-value cells, emails, yes/no, numbers, dates) are in
:mod:`workbench.intake.cells`; these are the vocabularies only check-ins and surveys use. Methods and impact
codes are matched against the program's vocabularies (passed in by the import, read from its database), or the
sample program's defaults (``workbench/sample/vocabularies.py``) when none is given.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from workbench.intake.cells import split_values, vocab_key
from workbench.intake.fields import default_vocabularies
from workbench.rejections import Problem

if TYPE_CHECKING:
    from workbench.program.vocabularies import Vocabulary

__all__ = ["parse_codes", "parse_methods", "parse_topics"]

_NOTHING = frozenset({"none", "nothing", "n a", "na"})


def _method_hint(methods: Vocabulary) -> str:
    examples = [f"{s} -> {t.label.lower()}" for t in methods.terms for s in t.synonyms[:1]][:3]
    also = f" ({'; '.join(examples)})" if examples else ""
    return f"Use {', '.join(t.label.lower() for t in methods.terms)}{also}."


def parse_methods(text: str, vocabulary: Vocabulary | None = None) -> list[str] | Problem:
    """Ways of keeping in touch, separated as a list of names ("Email, Skype", "email/zoom", "Email and
    WhatsApp"), matched to the program's methods (values, labels or synonyms), in the vocabulary's order."""
    methods = vocabulary if vocabulary is not None else default_vocabularies()["method"]
    out: list[str] = []
    for item in split_values(text, names=True):
        if vocab_key(item) in _NOTHING:
            continue
        method = methods.lookup(item)
        if method is None:
            return Problem(f"'{item}' is not a way of keeping in touch the workbench knows", _method_hint(methods))
        if method not in out:
            out.append(method)
    return methods.order(out)


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


def parse_codes(text: str, vocabulary: Vocabulary | None = None) -> list[str] | Problem:
    """Impact categories (codes or labels) separated by ';', '|' or a line break (not ',': a label may hold
    one) -> codes in the coding frame's order."""
    codes = vocabulary if vocabulary is not None else default_vocabularies()["impact_category"]
    out: list[str] = []
    for item in re.split(r"\s*[;|\r\n]\s*", text):
        if not item:
            continue
        code = codes.lookup(item)
        if code is None:
            return Problem(f"'{item}' is not an impact category",
                           "Use the codes " + ", ".join(codes.values()) + " (or their labels), separated by ';'.")
        if code not in out:
            out.append(code)
    return codes.order(out)
