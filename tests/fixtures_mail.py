"""A real local SMTP server (aiosmtpd) that keeps what it receives, and a helper to deliver the outbox to it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from portal.core.delivery import DeliveryReport, SmtpSettings, SmtpTransport, deliver_due


@dataclass
class RecordingHandler:
    """Keeps every message; answers `refuse_with` (an SMTP status line) instead when set."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse_with: str | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse_with:
            return self.refuse_with
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def deliver_outbox(self, app: Flask) -> DeliveryReport:
        """Send the app's due outbox rows to this server."""
        transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=self.port, timeout=5))
        with app.app_context():
            return deliver_due(transport, sender=app.config["MAIL_DEFAULT_SENDER"], max_attempts=3)

    def body_of(self, message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return part.get_content()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on a free local port."""
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()
