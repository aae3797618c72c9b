"""The mail server: its settings, the connection, a test message, and who the program's messages are from.

The settings come from the environment (``WORKBENCH_SMTP_HOST``, ``_PORT``, ``_SECURITY``, ``_USER``,
``_PASSWORD``, ``_FROM``, ``_REPLY_TO``, ``_PER_MINUTE``) or, key by key where a variable is unset, from the
``[smtp]`` table of ``.streamlit/secrets.toml`` in the working directory (``host``, ``port``, ``security``,
``user``, ``password``, ``from``, ``reply_to``, ``per_minute``): the file the app keeps its secrets in, read
here with :mod:`tomllib` so the library never imports Streamlit. A missing or wrong setting is refused with
a sentence naming it. The password is never shown (:meth:`SmtpConfig.shown`).

``security`` is ``starttls`` (port 587 by default), ``ssl`` (465) or ``none`` (25; a relay on the same
machine only). The certificate is checked against the system's trusted authorities (``SSL_CERT_FILE``
adds one). ``per_minute`` (default :data:`DEFAULT_PER_MINUTE`) is how many messages a minute the outbox
sends at most; 0 means no limit, for a relay of your own.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from workbench.access import Action, User, require
from workbench.config import SMTP_VARIABLES, smtp_environment
from workbench.emails import parse_mailbox
from workbench.errors import WorkbenchError
from workbench.messages.templates import header_text, program_setting

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
#: 20 messages a minute: under Microsoft 365's 30 a minute; a round's 584 introductions (1,168 recipients)
#: take half an hour and stay within Google Workspace's 2,000 messages and Microsoft 365's 10,000
#: recipients a day.
DEFAULT_PER_MINUTE = 20.0
TIMEOUT_SECONDS = 30.0
#: Setting -> environment variable (read by :func:`workbench.config.smtp_environment`).
ENV = SMTP_VARIABLES
#: Used in exported .eml files while no sender is configured; the coordinator's mail program replaces it.
PLACEHOLDER_SENDER = "coordinators@example.org"


class SmtpNotConfigured(WorkbenchError):
    """No mail server is configured."""


class SmtpConfigError(WorkbenchError):
    """A mail setting is wrong (a port that is not a number, an unknown security, a user without password)."""


class SmtpFailed(WorkbenchError):
    """The mail server could not be reached, or refused the sign-in or the message."""


def secrets_path() -> Path:
    """The app's secrets file: ``.streamlit/secrets.toml`` in the working directory (where the app runs)."""
    return Path.cwd() / ".streamlit" / "secrets.toml"


def _secrets(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SmtpConfigError(f"{path} is not valid TOML ({exc}); fix the file or remove it.") from None
    table = data.get("smtp", {})
    if not isinstance(table, dict):
        raise SmtpConfigError(f"In {path}, smtp must be a table ([smtp] followed by host = \"…\", …).")
    unknown = sorted(set(table) - set(ENV))
    if unknown:
        raise SmtpConfigError(f"{path} [smtp] has unknown key(s) {', '.join(unknown)}; the keys are "
                              f"{', '.join(ENV)}.")
    return table


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    sender: str  #: the From: "Name <address>" or an address
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    reply_to: str | None = None
    per_minute: float = DEFAULT_PER_MINUTE
    source: str = "environment"
    timeout: float = TIMEOUT_SECONDS

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]

    def shown(self) -> dict[str, Any]:
        """The settings for a page or the command line: never the password, only whether there is one."""
        return {"host": self.host, "port": self.port, "security": self.security, "user": self.user or "",
                "password": "set" if self.password else "not set", "from": self.sender,
                "reply_to": self.reply_to or "", "per_minute": self.per_minute, "source": self.source}


def smtp_config(*, environ: Mapping[str, str] | None = None, secrets: Path | None = None) -> SmtpConfig:
    """The mail settings: each from its ``WORKBENCH_SMTP_*`` variable, else from ``[smtp]`` in the secrets file."""
    env = smtp_environment(environ)
    path = secrets or secrets_path()
    table = _secrets(path)
    values: dict[str, Any] = {}
    sources = set()
    for key, var in ENV.items():
        raw = env.get(key, "")
        if raw:
            values[key], where = raw, var
            sources.add("environment")
        elif table.get(key) not in (None, ""):
            values[key], where = table[key], f"{path} [smtp] {key}"
            sources.add(str(path))
        values[f"{key}_where"] = var if key not in values else where
    if not values.get("host"):
        raise SmtpNotConfigured(
            "No mail server is configured: set WORKBENCH_SMTP_HOST, WORKBENCH_SMTP_FROM (and the port, security, user "
            f"and password your provider gives), or add them to an [smtp] table in {path}. See the README, "
            "\"Sending email\".")
    security = str(values.get("security", "starttls")).strip().lower()
    if security not in SECURITY:
        raise SmtpConfigError(f"{values['security_where']} is {values['security']!r}; use starttls, ssl or none.")
    port = values.get("port", DEFAULT_PORTS[security])
    try:
        port = int(port)
        if not 0 < port < 65536:
            raise ValueError
    except (TypeError, ValueError):
        raise SmtpConfigError(f"{values['port_where']} is {values['port']!r}, not a port number (587 for starttls, "
                              "465 for ssl).") from None
    sender = str(values.get("from", "")).strip()
    if "@" not in parseaddr(sender)[1]:
        raise SmtpConfigError(f"{values['from_where']} must be the address the program's messages come from, such as "
                              f"\"Program coordinators <coordinators@example.org>\" (got {sender!r}).")
    user, password = values.get("user"), values.get("password")
    if bool(user) != bool(password):
        missing = "password" if user else "user"
        raise SmtpConfigError(f"A mail user needs a password and a password a user: set {ENV[missing]} (or "
                              f"{missing} in [smtp]), or neither for a server that needs no sign-in.")
    reply_to = str(values["reply_to"]).strip() if values.get("reply_to") else None
    if reply_to:
        checked = parse_mailbox(reply_to)
        if not isinstance(checked, str):
            raise SmtpConfigError(f"{values['reply_to_where']} is {reply_to!r}, not an email address: {checked.fix}")
        reply_to = checked
    try:
        per_minute = float(values.get("per_minute", DEFAULT_PER_MINUTE))
        if per_minute < 0:
            raise ValueError
    except (TypeError, ValueError):
        raise SmtpConfigError(f"{values['per_minute_where']} is {values['per_minute']!r}: give the number of messages "
                              f"a minute (default {DEFAULT_PER_MINUTE:g}; 0 for no limit).") from None
    return SmtpConfig(str(values["host"]).strip(), port, security, sender, str(user) if user else None,
                      str(password) if password else None, reply_to, per_minute, " and ".join(sorted(sources)))


def configured(**kwargs: Any) -> SmtpConfig | None:
    """The mail settings, or None while no server is configured (a wrong setting is still an error)."""
    try:
        return smtp_config(**kwargs)
    except SmtpNotConfigured:
        return None


def tls_context() -> ssl.SSLContext:
    """The system's trusted authorities (plus ``SSL_CERT_FILE``), hostname checked."""
    return ssl.create_default_context()


def open_connection(config: SmtpConfig) -> smtplib.SMTP:
    """A connection, secured and signed in as configured.

    Network failures (refused, unreachable, timed out, dropped) are raised as they are (:class:`OSError`,
    :class:`smtplib.SMTPServerDisconnected`): the outbox retries those. A refused sign-in, a server without
    STARTTLS or a certificate that does not check out are :class:`SmtpFailed`: retrying will not help.
    """
    where = f"{config.host}:{config.port}"
    conn: smtplib.SMTP
    try:
        if config.security == "ssl":
            conn = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=tls_context())
        else:
            conn = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        conn.ehlo()
        if config.security == "starttls":
            if not conn.has_extn("starttls"):
                conn.close()
                raise SmtpFailed(f"The mail server at {where} does not offer STARTTLS. Set WORKBENCH_SMTP_SECURITY to "
                                 "ssl (usually port 465) if it speaks TLS from the start, or check the port.")
            conn.starttls(context=tls_context())
            conn.ehlo()
        if config.user:
            conn.login(config.user, config.password or "")
    except smtplib.SMTPAuthenticationError as exc:
        raise SmtpFailed(f"The mail server at {where} refused the user name or password ({_words(exc)}). Check "
                         f"WORKBENCH_SMTP_USER and WORKBENCH_SMTP_PASSWORD; many providers want an app password.") \
            from None
    except ssl.SSLError as exc:
        raise SmtpFailed(f"The secure connection to {where} failed ({exc}). Check WORKBENCH_SMTP_SECURITY (starttls "
                         "on 587, ssl on 465) and that the server's certificate is for this host name.") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SmtpFailed(f"The mail server at {where} does not support sign-in here ({exc}); check the security "
                         "setting (most servers only accept a password over starttls or ssl).") from None
    return conn


def _words(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}".strip()


def unreachable(config: SmtpConfig, exc: BaseException) -> str:
    """A network failure in words: where, what, and what to check."""
    if isinstance(exc, socket.gaierror):
        what = f"the host name {config.host!r} is not known"
    elif isinstance(exc, ConnectionRefusedError):
        what = "nothing accepts connections on that port"
    elif isinstance(exc, TimeoutError | socket.timeout):
        what = f"no answer within {config.timeout:g} seconds"
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        what = "the server closed the connection"
    else:
        what = str(exc) or type(exc).__name__
    return (f"Could not reach the mail server at {config.host}:{config.port}: {what}. Check WORKBENCH_SMTP_HOST and "
            "WORKBENCH_SMTP_PORT, and that this machine may connect to it.")


def send_test_message(to: str, *, by: User, config: SmtpConfig | None = None) -> str:
    """Send a short test message to ``to`` with the configured server; returns what happened, in words.

    For the Settings page's "send a test message to me" (``to`` is the signed-in user's address).
    """
    require(by, Action.SEND)
    config = config or smtp_config()
    address = parseaddr(to)[1]
    if "@" not in address:
        raise WorkbenchError(f"{to!r} is not an email address to send the test message to.")
    msg = EmailMessage()
    msg["From"] = Identity(config.sender).from_header()
    msg["To"] = address
    msg["Subject"] = "Test message from the coordinator workbench"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=config.sender_address.rpartition("@")[2] or None)
    if config.reply_to:
        msg["Reply-To"] = config.reply_to
    msg.set_content(
        f"This is a test message sent by {by.name} from the coordinator workbench.\n\n"
        f"Mail server: {config.host}:{config.port} ({config.security})\nFrom: {config.sender}\n\n"
        "If you can read it, the program's email is ready to send from the Outbox.\n")
    try:
        conn = open_connection(config)
    except (OSError, smtplib.SMTPException) as exc:
        if isinstance(exc, smtplib.SMTPResponseException):
            raise SmtpFailed(f"The mail server at {config.host}:{config.port} answered {_words(exc)}.") from None
        raise SmtpFailed(unreachable(config, exc)) from None
    try:
        conn.send_message(msg, from_addr=config.sender_address, to_addrs=[address])
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise SmtpFailed(f"The mail server refused {address}: {code} {text.decode('utf-8', 'replace')}.") from None
    except smtplib.SMTPResponseException as exc:
        raise SmtpFailed(f"The mail server refused the test message: {_words(exc)}.") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpFailed(unreachable(config, exc)) from None
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()
    return f"The mail server at {config.host}:{config.port} accepted a test message to {address}."


@dataclass(frozen=True)
class Identity:
    """Who the program's messages come from: From, Reply-To and the List-Unsubscribe address."""

    sender: str
    reply_to: str | None = None
    unsubscribe: str | None = None

    def __post_init__(self) -> None:
        # Each of them goes in a header: one line, no bidirectional controls, whatever was stored.
        for name in ("sender", "reply_to", "unsubscribe"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, header_text(value))

    def from_header(self) -> Address:
        name, addr = parseaddr(self.sender)
        local, _, domain = addr.rpartition("@")
        return Address(display_name=header_text(name), username=local, domain=domain)

    @property
    def address(self) -> str:
        return parseaddr(self.sender)[1]

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "workbench.invalid"

    def list_unsubscribe(self) -> str | None:
        if not self.unsubscribe:
            return None
        target = self.unsubscribe.strip()
        if target.startswith(("http://", "https://", "mailto:")):
            return f"<{target}>"
        return f"<mailto:{target}?subject=unsubscribe>"

    def add_headers(self, msg: EmailMessage) -> None:
        """Reply-To (the sender's when none is set) and List-Unsubscribe (when the program has an address)."""
        msg["Reply-To"] = self.reply_to or self.sender
        unsubscribe = self.list_unsubscribe()
        if unsubscribe:
            msg["List-Unsubscribe"] = unsubscribe


def identity(con: Any) -> Identity:
    """From: the mail settings' ``from`` (:data:`PLACEHOLDER_SENDER` while none is configured, for exports);
    Reply-To: the mail settings' ``reply_to``, else the program's ``reply_to`` setting; List-Unsubscribe:
    the program's ``unsubscribe_address`` setting. ``con`` None: the mail settings only."""
    config = configured()
    reply_to = config.reply_to if config else None
    unsubscribe = None
    if con is not None:
        reply_to = reply_to or program_setting(con, "reply_to")
        unsubscribe = program_setting(con, "unsubscribe_address")
    return Identity(config.sender if config else PLACEHOLDER_SENDER, reply_to, unsubscribe)
