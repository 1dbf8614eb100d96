"""The outbox: emails written in the request's transaction, delivered over real SMTP with retries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from portal import db
from portal.core.delivery import SmtpSettings, SmtpTransport, deliver_due, retry_delay
from portal.core.outbox import OutboxEmail, OutboxState, queue_email
from portal.core.timeutil import utcnow
from tests.fixtures_mail import free_port


def queue(app, language="zh", recipient="li@example.org") -> int:
    with app.test_request_context():
        from portal.accounts.models import User

        user = User(email=recipient, name="李伟 Li Wei", language=language)
        email = queue_email(
            recipient=recipient,
            language=language,
            template="reset_password",
            context={"user": user, "link": "http://portal.test/x", "hours": 2},
        )
        db.session.commit()
        return email.id


def test_email_is_rendered_in_the_recipients_language(app):
    email_id = queue(app, language="de")
    email = db.session.get(OutboxEmail, email_id)
    assert email.language == "de" and email.state == OutboxState.WAITING
    assert "Passwort" in email.subject


def test_delivery_to_a_real_smtp_server(app, smtp_server):
    email_id = queue(app)
    report = smtp_server.deliver_outbox(app)
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    (message,) = smtp_server.messages
    assert message["To"] == "li@example.org"
    assert "李伟" in smtp_server.body_of(message)
    email = db.session.get(OutboxEmail, email_id)
    assert email.state == OutboxState.SENT and email.sent_at is not None and email.attempts == 1
    assert "http://portal.test/x" not in email.body  # the secret link is not kept once delivered
    # Running again sends nothing twice.
    assert smtp_server.deliver_outbox(app).sent == 0
    assert len(smtp_server.messages) == 1


def test_server_down_means_retry_later_then_failed(app):
    email_id = queue(app)
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2))
    with app.app_context():
        report = deliver_due(transport, sender="noreply@example.org", max_attempts=2)
    assert report.retried == 1
    email = db.session.get(OutboxEmail, email_id)
    assert email.state == OutboxState.WAITING and email.attempts == 1
    assert email.next_attempt_at > utcnow() + dt.timedelta(seconds=30)
    assert "Connection" in email.last_error or "refused" in email.last_error.lower()

    # Not due yet: nothing is tried.
    with app.app_context():
        assert deliver_due(transport, sender="noreply@example.org", max_attempts=2).retried == 0
    db.session.execute(
        update(OutboxEmail).where(OutboxEmail.id == email_id).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
    )
    db.session.commit()
    with app.app_context():
        report = deliver_due(transport, sender="noreply@example.org", max_attempts=2)
    assert report.failed == 1
    assert db.session.get(OutboxEmail, email_id).state == OutboxState.FAILED


def test_server_refusing_the_message_marks_it_failed_at_once(app, smtp_server):
    email_id = queue(app)
    smtp_server.handler.refuse_with = "550 5.7.1 Mailbox unavailable"
    report = smtp_server.deliver_outbox(app)
    assert report.failed == 1
    email = db.session.get(OutboxEmail, email_id)
    assert email.state == OutboxState.FAILED and "550" in email.last_error


def test_temporary_refusal_is_retried(app, smtp_server):
    email_id = queue(app)
    smtp_server.handler.refuse_with = "451 4.3.0 Try again later"
    assert smtp_server.deliver_outbox(app).retried == 1
    assert db.session.get(OutboxEmail, email_id).state == OutboxState.WAITING


def test_backoff_grows_and_is_capped():
    delays = [retry_delay(n).total_seconds() for n in range(1, 12)]
    assert delays == sorted(delays) and delays[0] == 60 and delays[-1] == 6 * 3600


def test_outbox_row_is_part_of_the_request_transaction(app, client):
    """A reset request that fails after queuing leaves no email behind."""
    from tests.factories import UserFactory

    UserFactory(email="li@example.org")
    db.session.commit()

    def fail_after_queue():
        from portal.accounts.services import request_password_reset

        request_password_reset("li@example.org")
        raise RuntimeError("boom")

    app.view_functions["main.privacy"], original = fail_after_queue, app.view_functions["main.privacy"]
    try:
        assert client.get("/privacy").status_code == 500
    finally:
        app.view_functions["main.privacy"] = original
    assert db.session.scalars(select(OutboxEmail)).all() == []


def test_send_mail_command_uses_the_configured_server(app, smtp_server, monkeypatch):
    queue(app)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    result = app.test_cli_runner().invoke(args=["portal", "send-mail"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(smtp_server.messages) == 1


def test_development_delivers_to_the_console_once(app, capsys, caplog):
    from portal.core.delivery import ConsoleTransport

    queue(app, language="en")
    with app.app_context():
        report = deliver_due(ConsoleTransport(), sender="noreply@example.org", max_attempts=2)
    assert report.sent == 1
    printed = capsys.readouterr()
    assert "email to li@example.org" in printed.out and "http://portal.test/x" in printed.out
    # Once: not logged as well (make run shows the log and the output in the same console).
    shown = printed.out + printed.err + caplog.text
    assert shown.count("http://portal.test/x") == 1
