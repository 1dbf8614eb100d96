"""The administrators' outbox page: states, errors and attempts, no bodies, newest first, filter and pages, retrying a
failed email (POST with CSRF, audited), one query per page whatever its length, and who may not see it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from portal import db
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail, OutboxState
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.notifications import services as outbox_services
from tests.conftest import csrf_token_from

SECRET = "http://portal.test/account/reset/17/SECRET-TOKEN-abc123"


def email(
    state: OutboxState,
    *,
    minutes_ago: int,
    recipient: str,
    attempts: int = 0,
    error: str | None = None,
    subject: str = "Reset your password",
) -> OutboxEmail:
    created = utcnow() - dt.timedelta(minutes=minutes_ago)
    row = OutboxEmail(
        recipient=recipient,
        language="de",
        template="reset_password",
        subject=subject,
        body=f"Follow this link: {SECRET}\n",
        state=state,
        attempts=attempts,
        created_at=created,
        next_attempt_at=created + dt.timedelta(hours=1),
        last_error=error,
        sent_at=created + dt.timedelta(seconds=5) if state == OutboxState.SENT else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def mails():
    rows = {
        "sent": email(OutboxState.SENT, minutes_ago=30, recipient="sent@example.org", attempts=1),
        "waiting": email(
            OutboxState.WAITING,
            minutes_ago=20,
            recipient="waiting@example.org",
            attempts=2,
            error="ConnectionRefusedError: [Errno 111] Connection refused",
        ),
        "failed": email(
            OutboxState.FAILED,
            minutes_ago=10,
            recipient="failed@example.org",
            attempts=6,
            error="550 b'5.1.1 <failed@example.org>: Recipient address <rejected>'",
        ),
    }
    db.session.commit()
    return {key: row.id for key, row in rows.items()}


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def recipients_in(page: str) -> list[str]:
    return re.findall(r'<td class="text-break">([^<]+@example\.org)</td>', page)


def test_lists_states_attempts_and_errors_newest_first(client, admin, mails):
    page = client.get("/coordination/outbox").get_data(as_text=True)
    assert recipients_in(page) == ["failed@example.org", "waiting@example.org", "sent@example.org"]
    failed_row = re.search(rf'<tr id="email-{mails["failed"]}">.*?</tr>', page, re.DOTALL).group(0)
    assert "Failed" in failed_row and '<td class="text-end">6</td>' in failed_row
    # The error is shown as text (escaped), next to the state.
    assert "550 b&#39;5.1.1 &lt;failed@example.org&gt;: Recipient address &lt;rejected&gt;&#39;" in failed_row
    assert "Send again" in failed_row
    waiting_row = re.search(rf'<tr id="email-{mails["waiting"]}">.*?</tr>', page, re.DOTALL).group(0)
    assert "Waiting" in waiting_row and "Connection refused" in waiting_row and "Send again" not in waiting_row
    sent_row = re.search(rf'<tr id="email-{mails["sent"]}">.*?</tr>', page, re.DOTALL).group(0)
    assert "Sent" in sent_row and "Send again" not in sent_row
    assert "Reset your password" in page and "New password" in page  # the kind of email, in words
    assert "All (3)" in page and "Failed (1)" in page


def test_bodies_are_never_shown(client, admin, mails):
    for query in ("", "?state=sent", "?state=waiting", "?state=failed"):
        page = client.get(f"/coordination/outbox{query}").get_data(as_text=True)
        assert "SECRET-TOKEN" not in page and "Follow this link" not in page


def test_filter_by_state(client, admin, mails):
    page = client.get("/coordination/outbox?state=failed").get_data(as_text=True)
    assert recipients_in(page) == ["failed@example.org"]
    assert 'aria-current="page">Failed (1)</a>' in page
    # An unknown state means no filter.
    assert len(recipients_in(client.get("/coordination/outbox?state=lost").get_data(as_text=True))) == 3


def test_pages_of_fifty_and_a_fixed_number_of_queries(client, admin, count_queries, monkeypatch):
    for n in range(7):
        email(OutboxState.SENT, minutes_ago=100 + n, recipient=f"old{n}@example.org")
    db.session.commit()
    monkeypatch.setattr(outbox_services, "PER_PAGE", 3)
    client.get("/coordination/outbox")  # warm up: the first request also loads the signed-in user
    pages = {}

    def fetch(number):
        def run():
            pages[number] = client.get(f"/coordination/outbox?page={number}").get_data(as_text=True)

        return run

    first = count_queries(fetch(1))
    assert count_queries(fetch(3)) == first
    assert recipients_in(pages[1]) == ["old0@example.org", "old1@example.org", "old2@example.org"]
    assert recipients_in(pages[3]) == ["old6@example.org"]
    assert "Page 3 of 3" in pages[3] and 'rel="prev"' in pages[3] and 'rel="next"' not in pages[3]
    assert 'href="/coordination/outbox?page=2"' in pages[1]
    # Beyond the last page: the last page.
    assert "Page 3 of 3" in client.get("/coordination/outbox?page=99").get_data(as_text=True)


def test_retry_queues_a_failed_email_now_keeping_its_attempts_and_is_audited(client, admin, mails):
    before = utcnow()
    back = "/coordination/outbox?state=failed"
    response = client.post(f"/coordination/outbox/{mails['failed']}/retry", data={"next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    row = db.session.get(OutboxEmail, mails["failed"])
    assert row.state == OutboxState.WAITING and row.attempts == 6
    assert before - dt.timedelta(seconds=1) <= row.next_attempt_at <= utcnow()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).one()
    assert (event.target_type, event.target_id, event.actor_id) == ("outbox_emails", mails["failed"], admin.id)
    assert event.details["recipient"] == "failed@example.org" and event.details["attempts"] == 6
    page = client.get("/coordination/outbox").get_data(as_text=True)
    assert "The email to failed@example.org will be sent again in a moment." in page


def test_retry_is_picked_up_by_the_worker(app, client, admin, mails, smtp_server):
    client.post(f"/coordination/outbox/{mails['failed']}/retry")
    smtp_server.deliver_outbox(app)
    assert db.session.get(OutboxEmail, mails["failed"]).state == OutboxState.SENT
    # The waiting email is not due yet (its next attempt is later): only the retried one is sent.
    assert [m["To"] for m in smtp_server.messages] == ["failed@example.org"]


@pytest.mark.parametrize("key", ["sent", "waiting"])
def test_only_failed_emails_can_be_retried(client, admin, mails, key):
    row = db.session.get(OutboxEmail, mails[key])
    state, attempts, due = row.state, row.attempts, row.next_attempt_at
    response = client.post(f"/coordination/outbox/{mails[key]}/retry", follow_redirects=True)
    assert "Only a failed email can be sent again" in response.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(OutboxEmail, mails[key])
    assert (row.state, row.attempts, row.next_attempt_at) == (state, attempts, due)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.retried")).all() == []


def test_retry_of_an_unknown_email_is_404_and_a_foreign_next_is_ignored(client, admin, mails):
    assert client.post("/coordination/outbox/999999/retry").status_code == 404
    response = client.post(f"/coordination/outbox/{mails['failed']}/retry", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/coordination/outbox"


def test_retry_needs_a_post_with_csrf_token(app, client, admin, mails, monkeypatch):
    assert client.get(f"/coordination/outbox/{mails['failed']}/retry").status_code == 405
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(f"/coordination/outbox/{mails['failed']}/retry").status_code == 400
    assert db.session.get(OutboxEmail, mails["failed"]).state == OutboxState.FAILED
    token = csrf_token_from(client.get("/coordination/outbox?state=failed").data)
    response = client.post(f"/coordination/outbox/{mails['failed']}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.get(OutboxEmail, mails["failed"]).state == OutboxState.WAITING


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.COORDINATOR, Role.COMMITTEE, Role.SUPERVISOR])
def test_non_admins_are_refused(client, login_as, mails, role):
    login_as(role)
    assert client.get("/coordination/outbox").status_code == 403
    assert client.post(f"/coordination/outbox/{mails['failed']}/retry").status_code == 403
    assert db.session.get(OutboxEmail, mails["failed"]).state == OutboxState.FAILED


def test_admins_find_the_page_in_the_navigation(client, admin):
    assert 'href="/coordination/outbox"' in client.get("/dashboard").get_data(as_text=True)
