"""Failed sign-ins and refused requests to staff pages in the audit log (a flood writes a bounded number of events,
without what was typed), and the administrators' searchable audit log page."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from portal import db
from portal.core import audit, security_events
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.conftest import enrol_second_factor
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def roomy_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "100 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "100 per 15 minutes")


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def fail_login(client, email: str, address: str, password: str = "Wrong-Password-0001"):  # noqa: S107
    response = client.post(
        "/account/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )
    assert response.status_code == 200
    return response


def test_a_flood_of_failed_sign_ins_writes_one_event_per_account_address_and_minute(app, client, roomy_limits):
    li_id = UserFactory(email="li@example.org").id
    db.session.commit()
    for _ in range(7):
        fail_login(client, "li@example.org", "10.0.0.1", password="My-Secret-Guess-42")
    fail_login(client, "LI@example.org", "10.0.0.2")
    for _ in range(3):
        fail_login(client, "no.such.person@example.org", "10.0.0.1", password="My-Secret-Guess-42")

    by_key = {(e.target_id, e.details["address"]): e for e in events("account.login_failed")}
    assert set(by_key) == {(li_id, "10.0.0.1"), (li_id, "10.0.0.2"), (None, "10.0.0.1")}
    assert by_key[(li_id, "10.0.0.1")].details["count"] == 7
    assert by_key[(li_id, "10.0.0.1")].target_type == "users" and by_key[(li_id, "10.0.0.1")].actor_id is None
    assert by_key[(None, "10.0.0.1")].details["count"] == 3
    # Nothing typed is kept: no password, and no address that matches no account.
    stored = json.dumps([e.details for e in by_key.values()])
    assert "Guess" not in stored and "Wrong-Password" not in stored and "no.such.person" not in stored


def test_the_next_minute_starts_a_new_event(app, client, roomy_limits, monkeypatch):
    UserFactory(email="li@example.org")
    db.session.commit()
    start = utcnow().replace(second=30)
    monkeypatch.setattr(security_events, "utcnow", lambda: start)
    fail_login(client, "li@example.org", "10.0.0.1")
    fail_login(client, "li@example.org", "10.0.0.1")
    monkeypatch.setattr(security_events, "utcnow", lambda: start + dt.timedelta(minutes=1))
    fail_login(client, "li@example.org", "10.0.0.1")
    assert [e.details["count"] for e in events("account.login_failed")] == [2, 1]


def test_an_unconfirmed_account_and_a_successful_sign_in_are_told_apart_in_the_log(app, client, roomy_limits):
    UserFactory(email="new@example.org", email_confirmed_at=None)
    UserFactory(email="li@example.org")
    db.session.commit()
    fail_login(client, "new@example.org", "10.0.0.1", password=PASSWORD)
    client.post("/account/login", data={"email": "li@example.org", "password": PASSWORD})
    assert [e.details["count"] for e in events("account.login_failed")] == [1]
    (success,) = events("account.login")
    assert success.details["address"] == "127.0.0.1" and success.details["second_factor"] is None


def test_failed_second_steps_are_audited_without_the_codes(app, client, roomy_limits):
    admin = UserFactory(email="admin@example.org", roles=[Role.ADMIN])
    db.session.commit()
    enrol_second_factor(app, admin)
    client.post("/account/login", data={"email": admin.email, "password": PASSWORD})
    for code in ("111111", "222222", "abcde-fghij"):
        assert client.post("/account/login/code", data={"code": code}).status_code == 200
    (event,) = events("account.second_factor_failed")
    assert (event.target_type, event.target_id, event.details["count"]) == ("users", admin.id, 3)
    stored = json.dumps(event.details)
    assert "111111" not in stored and "abcde" not in stored


def test_refused_requests_to_staff_pages_are_audited_once_a_minute_with_a_count(app, client, login_as):
    applicant = login_as(Role.APPLICANT)
    for path in ("/coordination/people/", "/coordination/people/", "/admin/audit", "/coordination/"):
        assert client.get(path).status_code == 403
    (event,) = events("access.refused")
    assert event.actor_id == applicant.id and event.details["count"] == 4
    assert event.details["paths"] == ["/coordination/people/", "/admin/audit", "/coordination/"]
    # A refusal on a page that is not only for staff is no security event.
    assert client.get("/supervise/").status_code == 403
    assert client.get("/review/").status_code == 403  # the committee's page
    assert events("access.refused")[0].details["count"] == 4


# --- The administrators' page --------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(app, client, login_as):
    login_as(Role.ADMIN, name="Ada Admin", email="ada@example.org", timezone="Asia/Shanghai")
    return client


def add_event(action: str, *, actor=None, target=None, at: dt.datetime | None = None, **details) -> AuditEvent:
    event = audit.record(action, target, actor_id=actor.id if actor else None, details=details)
    if at is not None:
        event.created_at = at
    db.session.commit()
    return event


def listed_ids(response) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="event-(\d+)">', response.get_data(as_text=True))]


def test_only_administrators_open_the_audit_log(app, client, login_as):
    login_as(Role.COORDINATOR)
    assert client.get("/admin/audit").status_code == 403


def test_the_audit_log_searches_by_person_action_object_and_time(app, admin_client, plain_app_context):
    anna = UserFactory(name="Anna Becker", email="anna@example.org", roles=[Role.COORDINATOR])
    wang = UserFactory(name="Wang Fang", email="wang@example.org")
    db.session.commit()
    morning = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai, the administrator's zone
    by_anna = add_event("round.created", actor=anna, at=morning)
    about_wang = add_event("account.role_granted", actor=anna, target=wang, at=morning, role="committee")
    by_wang = add_event("account.password_changed", actor=wang, target=wang, at=morning + dt.timedelta(days=1))
    late = add_event("account.login_failed", target=wang, at=dt.datetime(2026, 3, 4, 16, 30, tzinfo=dt.UTC))

    assert listed_ids(admin_client.get("/admin/audit?person=becker")) == [about_wang.id, by_anna.id]
    assert listed_ids(admin_client.get("/admin/audit?person=WANG@")) == [late.id, by_wang.id, about_wang.id]
    assert listed_ids(admin_client.get("/admin/audit?action=account.role_granted")) == [about_wang.id]
    query = f"/admin/audit?object_type=users&object_id={wang.id}"
    assert listed_ids(admin_client.get(query)) == [late.id, by_wang.id, about_wang.id]
    # Days are the administrator's: 16:30 UTC on 4 March is already 5 March in Shanghai.
    days = listed_ids(admin_client.get("/admin/audit?since=2026-03-02&until=2026-03-04"))
    assert days == [by_wang.id, about_wang.id, by_anna.id]
    assert listed_ids(admin_client.get("/admin/audit?since=2026-03-05&until=2026-03-05")) == [late.id]


def test_the_audit_log_shows_details_in_words(app, admin_client, plain_app_context):
    wang = UserFactory(name="Wang Fang", email="wang@example.org")
    db.session.commit()
    add_event("account.login_failed", target=wang, address="10.0.0.1", count=4)
    add_event("account.sessions_ended", actor=wang, target=wang, reason="password_changed", count=2, kept=7)
    add_event("something.new_elsewhere", flag=True)
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "Failed sign-in" in page and '<dt>Times</dt><dd class="text-break">4</dd>' in page
    assert '<dt>Address</dt><dd class="text-break">10.0.0.1</dd>' in page
    assert "password changed" in page and "#7" in page and "Wang Fang" in page
    assert "something.new_elsewhere" in page and '<dt>Flag</dt><dd class="text-break">yes</dd>' in page
    assert "{" not in re.search(r'<table class="table[^>]*>(.*)</table>', page, re.S).group(1)  # no raw JSON


def test_the_audit_log_refuses_a_bad_search_politely(app, admin_client):
    response = admin_client.get("/admin/audit?since=2026-03-05&until=2026-03-01&object_id=99999999999999999999")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The end lies before the start." in page and 'id="object_id-error"' in page


def test_the_audit_log_pages_with_the_same_number_of_queries(app, admin_client, count_queries):
    def fill(count: int) -> None:
        with app.app_context():  # not held around the requests: they must load the signed-in person themselves
            user = UserFactory()
            for n in range(count):
                audit.record("account.role_granted", user, actor_id=user.id, details={"role": "committee", "n": n})
            db.session.commit()

    fill(3)
    few = count_queries(lambda: admin_client.get("/admin/audit"))
    fill(120)
    many = count_queries(lambda: admin_client.get("/admin/audit?page=2"))
    assert few == many
    page = admin_client.get("/admin/audit?page=2")
    assert len(listed_ids(page)) == 50 and 'rel="next"' in page.get_data(as_text=True)


def test_noted_events_are_written_after_the_requests_own_commit(app, client, monkeypatch):
    """The writer runs after the request's transaction ended: noting an event never costs the request its work."""
    from portal.accounts import services

    UserFactory(email="li@example.org")
    db.session.commit()
    real = services.note_sign_in

    def note_too(user, **kwargs):
        real(user, **kwargs)
        security_events.note("account.login_failed", user)  # any noted event, in a request that succeeds

    monkeypatch.setattr(services, "note_sign_in", note_too)
    assert client.post("/account/login", data={"email": "li@example.org", "password": PASSWORD}).status_code == 302
    assert len(events("account.login")) == 1 and len(events("account.login_failed")) == 1
    assert client.get("/dashboard").status_code == 200  # the session record was committed too
