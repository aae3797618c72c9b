"""Email addresses: the one checker of an address (:func:`parse_email`), for the imports' cells, the accounts and
the settings, and the form a header takes (:func:`parse_mailbox`: the program's sender and reply-to).

Both return the address as written or a :class:`~workbench.rejections.Problem` (what is wrong, what to do).
:func:`normalise_email` is the one key of an address: the import recognises a returner by it
(:mod:`workbench.intake.cells` re-exports it), erasure finds a person by it, and a staff account is looked up by it.
"""

from __future__ import annotations

import contextlib
import functools
import re
import unicodedata

from workbench.rejections import Problem

_EMAIL_LOCAL = re.compile(r"^(?!\.)(?!.*\.\.)[^\s@<>()\[\]\\,;:\"]+(?<!\.)$")
_DOMAIN_LABEL = re.compile(r"^[^\W_](?:[\w-]{0,61}[^\W_])?$")
_TLD = re.compile(r"^(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})$", re.IGNORECASE)
_EMAIL_FIX = "Correct the email address (it must look like name@example.org) and import again."


@functools.lru_cache(maxsize=200_000)
def parse_email(text: str) -> str | Problem:
    """An email address as written (trimmed, NFC), or a Problem.

    The local part may hold any letters (RFC 6531: ``josé@…``) and the usual ASCII symbols; the domain is
    dot-separated labels of letters (any script: ``пример.рф``), digits and inner hyphens, ending in a
    top-level domain of two or more letters (or its ``xn--`` form). Spaces, a second '@', brackets, a
    leading, trailing or doubled dot, and a display name ("Ana <ana@example.org>") are refused.
    """
    value = unicodedata.normalize("NFC", text.strip())
    local, at, domain = value.rpartition("@")
    labels = domain.split(".")
    if (at and local and _EMAIL_LOCAL.match(local) and len(labels) >= 2
            and all(_DOMAIN_LABEL.match(label) for label in labels) and _TLD.match(labels[-1])):
        return value
    shown = value if len(value) <= 80 else value[:79] + "…"
    return Problem(f"'{shown}' is not an email address", _EMAIL_FIX)


#: ``Name <address>``: a display name of words (no quotes, brackets, '@', commas or semicolons, which would
#: hide a second address or make a header mean something else), then one address in angle brackets.
_MAILBOX = re.compile(r"^(?P<name>[^<>@\",;:\\]*?)\s*<(?P<address>[^<>]*)>$")
_MAILBOX_FIX = ("Give one email address, such as help@program.example.org, or a name and one address, such as "
                "Program help <help@program.example.org>.")


def parse_mailbox(text: str) -> str | Problem:
    """One address for a header (a Reply-To, a From): bare (``help@program.org``) or after a display name
    (``Program help <help@program.org>``), the address checked by :func:`parse_email`. Returned as written
    (trimmed, spaces collapsed, NFC), or a Problem: a second address, a display name holding an address,
    quotes or brackets, an invisible or control character, or an address :func:`parse_email` refuses."""
    value = " ".join(unicodedata.normalize("NFC", str(text)).split())
    shown = value if len(value) <= 80 else value[:79] + "…"
    hidden = next((ch for ch in value if unicodedata.category(ch) in ("Cc", "Cf")), None)
    if hidden is not None:
        return Problem(f"'{shown}' contains an invisible character (U+{ord(hidden):04X})", _MAILBOX_FIX)
    match = _MAILBOX.match(value)
    name, address = (match.group("name").strip(), match.group("address").strip()) if match else ("", value)
    found = parse_email(address)
    if isinstance(found, Problem):
        return Problem(f"'{shown}' is not one email address", _MAILBOX_FIX)
    return f"{name} <{found}>" if name else found


@functools.lru_cache(maxsize=200_000)
def normalise_email(text: str) -> str:
    """The key of an email address, the one that recognises a person across files and rounds (and a staff
    account at sign-in): trimmed, NFC, lower case, and a domain written in ``xn--`` (punycode) form turned into
    Unicode, so ``Ivan@XN--E1AFMKFD.XN--P1AI`` and ``ivan@пример.рф`` are one person, and so are an NFD-typed
    ``José@…`` and an NFC one. Lower case, not case folding: ``straße@`` and ``strasse@`` are two mailboxes."""
    value = unicodedata.normalize("NFC", str(text).strip()).lower()
    local, at, domain = value.rpartition("@")
    if at and "xn--" in domain:
        with contextlib.suppress(UnicodeError, ValueError):
            domain = ".".join(label.encode("ascii").decode("idna") if label.startswith("xn--") else label
                              for label in domain.split("."))
        value = unicodedata.normalize("NFC", f"{local}@{domain}").lower()
    return value
