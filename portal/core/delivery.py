"""Delivering the outbox: claim due rows one at a time, send, record the outcome; safe in parallel workers."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Protocol

from sqlalchemy import select

from portal import db
from portal.core.outbox import OutboxEmail, OutboxState
from portal.core.timeutil import utcnow

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 60
SENT_BODY_PLACEHOLDER = "[delivered; the body is not kept because it may contain personal links]"
BACKOFF_MAX_SECONDS = 6 * 60 * 60


class PermanentFailure(Exception):
    """The server refused the message for good (a 5xx answer): retrying cannot help."""


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


@dataclass
class SmtpSettings:
    host: str
    port: int
    username: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config: dict) -> SmtpSettings:
        return cls(
            host=config["MAIL_SERVER"],
            port=config["MAIL_PORT"],
            username=config["MAIL_USERNAME"],
            password=config["MAIL_PASSWORD"],
            use_tls=config["MAIL_USE_TLS"],
            use_ssl=config["MAIL_USE_SSL"],
            timeout=config["MAIL_TIMEOUT"],
        )


class SmtpTransport:
    """Sends over SMTP, keeping one connection open for a whole run."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp_class = smtplib.SMTP_SSL if s.use_ssl else smtplib.SMTP
        connection = smtp_class(s.host, s.port, timeout=s.timeout)
        if s.use_tls and not s.use_ssl:
            connection.starttls()
        if s.username:
            connection.login(s.username, s.password)
        return connection

    def send(self, message: EmailMessage) -> None:
        if self._connection is None:
            self._connection = self._connect()
        try:
            self._connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _msg in error.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(str(error)) from error
            raise
        except smtplib.SMTPResponseException as error:
            if error.smtp_code >= 500:
                raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
            self.close()
            raise
        except (OSError, smtplib.SMTPException):
            self.close()
            raise

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._connection.quit()
            self._connection = None


class ConsoleTransport:
    """Development delivery: writes each message to the log instead of sending it."""

    def send(self, message: EmailMessage) -> None:
        body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]  # the text, not the attachments
        # Printed once (not logged as well: the console showed every email twice).
        print(f"\n----- email to {message['To']} -----\nSubject: {message['Subject']}\n\n{body}\n-----", flush=True)

    def close(self) -> None:
        return None


def transport_from_config(config: dict) -> Transport:
    """The transport the configuration asks for."""
    if config["MAIL_BACKEND"] == "console":
        return ConsoleTransport()
    return SmtpTransport(SmtpSettings.from_config(config))


def build_message(email: OutboxEmail, sender: str) -> EmailMessage:
    """The MIME message for an outbox row."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(idstring=f"outbox{email.id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.body, charset="utf-8")
    message["Content-Language"] = email.language  # after set_content, which replaces the Content-* headers
    for attachment in email.attachments:
        _attach(message, attachment.filename, attachment.content_type, attachment.content)
    return message


def _attach(message: EmailMessage, filename: str, content_type: str, content: bytes) -> None:
    """Add a file; the content type's parameters (a calendar's `method`, say) are kept."""
    kind, _, params = content_type.partition(";")
    maintype, _, subtype = kind.strip().partition("/")
    parameters = dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p)
    message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename, params=parameters)


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential back-off after the given number of failed attempts."""
    return dt.timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def _claim_next_due() -> OutboxEmail | None:
    # SKIP LOCKED lets several workers share the queue on PostgreSQL; SQLite serialises writers anyway.
    query = (
        select(OutboxEmail)
        .where(OutboxEmail.state == OutboxState.WAITING, OutboxEmail.next_attempt_at <= utcnow())
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return db.session.scalars(query).first()


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def deliver_due(transport: Transport, *, sender: str, max_attempts: int, limit: int = 500) -> DeliveryReport:
    """Send due outbox rows, committing after each, until none are due or limit is reached."""
    report = DeliveryReport()
    try:
        for _ in range(limit):
            email = _claim_next_due()
            if email is None:
                break
            _deliver_one(email, transport, sender=sender, max_attempts=max_attempts, report=report)
            db.session.commit()
    finally:
        db.session.rollback()
        transport.close()
    return report


def _deliver_one(
    email: OutboxEmail, transport: Transport, *, sender: str, max_attempts: int, report: DeliveryReport
) -> None:
    email.attempts += 1
    try:
        transport.send(build_message(email, sender))
    except PermanentFailure as error:
        email.state = OutboxState.FAILED
        email.last_error = str(error)[:2000]
        report.failed += 1
        log.error("Email %s to %s refused permanently: %s", email.id, email.recipient, error)
    except (OSError, smtplib.SMTPException) as error:
        email.last_error = f"{type(error).__name__}: {error}"[:2000]
        if email.attempts >= max_attempts:
            email.state = OutboxState.FAILED
            report.failed += 1
        else:
            email.next_attempt_at = utcnow() + retry_delay(email.attempts)
            report.retried += 1
        log.warning("Email %s to %s not sent (attempt %s): %s", email.id, email.recipient, email.attempts, error)
    else:
        email.state = OutboxState.SENT
        email.sent_at = utcnow()
        email.last_error = None
        # A sent body may hold a secret link (confirmation, reset, referee letter): it is not kept once delivered.
        email.body = SENT_BODY_PLACEHOLDER
        email.attachments.clear()  # attachments likewise (a calendar entry carries the meeting link)
        report.sent += 1
