"""A real SMTP server on localhost for the outbox tests (aiosmtpd), with the faults the tests need.

The server records every message it accepts; it can refuse chosen addresses (550), drop the connection at
the DATA of chosen messages, or go down (drop every DATA) until told otherwise. With ``tls`` it offers
STARTTLS with a self-signed certificate for 127.0.0.1 (``cafile`` makes the client trust it, through
``SSL_CERT_FILE``) and requires it; with ``implicit_tls`` it speaks TLS from the start (``ssl``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data, policy=default)


@dataclass
class Recorder:
    """The server's handler: what it accepted, and the faults to play."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  #: address -> reply, e.g. "550 5.1.1 no such user"
    drop_at: set[int] = field(default_factory=set)  #: 1-based numbers of DATA commands to drop
    down: bool = False  #: drop every DATA
    datas: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.datas += 1
            drop = self.down or self.datas in self.drop_at
        if drop:
            server.transport.close()  # the client sees the connection drop before any reply
            return "421 closing"
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                                          or envelope.content))
        return "250 2.0.0 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [r.message["Message-ID"] for r in self.received]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 and localhost (PEM files in ``folder``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Server:
    host: str
    port: int
    handler: Recorder
    cafile: Path | None = None

    def env(self, security: str = "none", **extra: str) -> dict[str, str]:
        """The WORKBENCH_SMTP_* variables pointing at this server."""
        return {"WORKBENCH_SMTP_HOST": self.host, "WORKBENCH_SMTP_PORT": str(self.port),
                "WORKBENCH_SMTP_SECURITY": security,
                "WORKBENCH_SMTP_FROM": "ILN coordinators <coordinators@iln.example.org>",
                "WORKBENCH_SMTP_PER_MINUTE": "0", **extra}


@contextmanager
def smtp_server(tmp_path: Path, *, tls: bool = False, implicit_tls: bool = False,
                login: tuple[str, str] | None = None) -> Iterator[Server]:
    """A running aiosmtpd server on 127.0.0.1 (stopped at the end)."""
    handler = Recorder()
    kwargs: dict[str, Any] = {"enable_SMTPUTF8": True}
    cafile = None
    context = None
    if tls or implicit_tls:
        cert, key = self_signed(tmp_path)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        cafile = cert
    if tls:
        kwargs.update(tls_context=context, require_starttls=True)
    if implicit_tls:
        kwargs["ssl_context"] = context
    if login is not None:
        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == login
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_required=True)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield Server("127.0.0.1", port, handler, cafile)
    finally:
        controller.stop()


def publish_round(path: Path, round_id: str = "2017A", *, time_limit: float = 2.0) -> int:
    """Match and publish ``round_id`` in the database at ``path`` (as the command line); returns the run."""
    from workbench import db, matchstore
    from workbench.access import command_line_user

    con = db.connect(path)
    try:
        user = command_line_user()
        run_id, _ = matchstore.run_matching(con, round_id, matchstore.RunSettings(time_limit=time_limit), by=user)
        matchstore.publish_run(con, run_id, by=user)
    finally:
        con.close()
    return run_id
