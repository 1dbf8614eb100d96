"""Signed-in sessions kept in the database: the sessions page, signing out one, the others or everywhere, revocation on
the next request wherever it is served, last seen, idle and absolute expiry."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select, text, update

from portal import db
from portal.accounts import sessions
from portal.accounts.devices import describe
from portal.accounts.models import User, UserSession
from portal.core.audit import AuditEvent
from portal.core.timeutil import utcnow
from tests.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Mobile Safari/537.36"
)


def sign_in_from(client, *, agent: str, address: str, remember: bool = False):
    data = {"email": "li@example.org", "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post(
        "/account/login", data=data, headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": address}
    )
    assert response.status_code == 302
    return client


def open_records(user_id: int) -> list[UserSession]:
    db.session.expire_all()
    query = select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    return list(db.session.scalars(query.order_by(UserSession.id)))


@pytest.fixture
def li(app):
    user = UserFactory(email="li@example.org")
    db.session.commit()
    return user


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (FIREFOX_WINDOWS, "Firefox 133 on Windows 10"),
        (SAFARI_IPHONE, "Mobile Safari 17 on iOS 17 (iPhone)"),
        (CHROME_ANDROID, "Chrome Mobile 131 on Android 14 (Pixel 8)"),
        ("curl/8.5.0", "curl 8"),
        ("", "Unknown device"),
        (None, "Unknown device"),
    ],
)
def test_devices_are_named_readably(app_context, agent, expected):
    assert describe(agent) == expected


def test_the_sessions_page_lists_each_signed_in_device_and_marks_this_one(app, client, li):
    phone = sign_in_from(app.test_client(), agent=SAFARI_IPHONE, address="203.0.113.7")
    sign_in_from(client, agent=FIREFOX_WINDOWS, address="198.51.100.4")
    page = client.get("/account/sessions", headers={"User-Agent": FIREFOX_WINDOWS}).get_data(as_text=True)

    phone_record, laptop_record = open_records(li.id)
    laptop = re.search(rf'<li [^>]*id="session-{laptop_record.id}">(.*?)</li>', page, re.S).group(1)
    other = re.search(rf'<li [^>]*id="session-{phone_record.id}">(.*?)</li>', page, re.S).group(1)
    assert "Firefox 133 on Windows 10" in laptop and "198.51.100.4" in laptop and "This device" in laptop
    assert "Mobile Safari 17 on iOS 17 (iPhone)" in other and "203.0.113.7" in other and "This device" not in other
    assert "Sign out this one" in other
    assert "Sign out all others" in page and "Sign out everywhere" in page
    assert phone.get("/dashboard").status_code == 200


def test_signing_out_another_session_ends_it_on_its_next_request_and_keeps_this_one(app, client, li):
    phone = sign_in_from(app.test_client(), agent=SAFARI_IPHONE, address="203.0.113.7")
    sign_in_from(client, agent=FIREFOX_WINDOWS, address="198.51.100.4")
    phone_record, _laptop = open_records(li.id)

    response = client.post(f"/account/sessions/{phone_record.id}/end", follow_redirects=True)
    assert "has been signed out" in response.get_data(as_text=True)
    assert phone.get("/dashboard").status_code == 302
    assert client.get("/dashboard").status_code == 200
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.session_ended")).one()
    assert event.details["session"] == phone_record.id and event.details["reason"] == "signed_out_elsewhere"


def test_one_cannot_sign_out_someone_elses_session(app, client, li):
    other = UserFactory(email="wang@example.org")
    db.session.commit()
    theirs = sign_in(app.test_client(), other)
    sign_in(client, li)
    their_record = db.session.scalars(select(UserSession).where(UserSession.user_id == other.id)).one()
    assert client.post(f"/account/sessions/{their_record.id}/end").status_code == 404
    assert theirs.get("/dashboard").status_code == 200


def test_sign_out_all_others_keeps_only_this_session(app, client, li):
    others = [sign_in(app.test_client(), li) for _ in range(2)]
    sign_in(client, li)
    response = client.post("/account/sessions/end-others", follow_redirects=True)
    assert "2 other sessions have been signed out." in response.get_data(as_text=True)
    assert [c.get("/dashboard").status_code for c in others] == [302, 302]
    assert client.get("/dashboard").status_code == 200
    assert len(open_records(li.id)) == 1


def test_sign_out_everywhere_ends_this_session_too(app, client, li):
    other = sign_in(app.test_client(), li)
    sign_in(client, li)
    response = client.post("/account/sessions/end-all")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/dashboard").status_code == 302
    assert other.get("/dashboard").status_code == 302
    assert open_records(li.id) == []


def test_signing_out_this_session_from_the_list_is_signing_out(app, client, li):
    other = sign_in(app.test_client(), li)
    sign_in(client, li)
    here = open_records(li.id)[-1]
    assert client.post(f"/account/sessions/{here.id}/end").headers["Location"] == "/"
    assert client.get("/dashboard").status_code == 302
    assert other.get("/dashboard").status_code == 200


def test_a_session_ended_in_the_database_is_gone_on_the_next_request_with_any_copy_of_its_cookies(app, client, li):
    sign_in_from(client, agent=FIREFOX_WINDOWS, address="198.51.100.4", remember=True)
    # Another app server holds nothing but the cookies: a copy of them stands for it.
    elsewhere = app.test_client()
    for name in ("session", "remember_token"):
        elsewhere.set_cookie(name, client.get_cookie(name).value)
    elsewhere_remember = client.get_cookie("remember_token").value
    # The remember-me cookie alone signs in (it carries the same session).
    remembered = app.test_client()
    remembered.set_cookie("remember_token", elsewhere_remember)
    assert remembered.get("/dashboard").status_code == 200
    assert elsewhere.get("/dashboard").status_code == 200

    (record,) = open_records(li.id)
    # Ended by another process: a plain UPDATE, committed; nothing in this process is told.
    db.session.execute(text("UPDATE user_sessions SET ended_at = created_at WHERE id = :id"), {"id": record.id})
    db.session.commit()
    assert client.get("/dashboard").status_code == 302
    assert elsewhere.get("/dashboard").status_code == 302
    # The remember-me cookie alone does not bring it back.
    only_cookie = app.test_client()
    only_cookie.set_cookie("remember_token", elsewhere_remember)
    assert only_cookie.get("/dashboard").status_code == 302


def test_only_a_hash_of_the_sessions_secret_is_stored(app, client, li):
    sign_in_from(client, agent=FIREFOX_WINDOWS, address="198.51.100.4")
    with client.session_transaction() as cookie:
        key = cookie["_user_id"]
    session_id, secret = key.split(":")
    (record,) = open_records(li.id)
    assert record.id == int(session_id) and secret not in record.token_hash and len(record.token_hash) == 64
    # A guessed secret for a real id signs nobody in.
    guesser = app.test_client()
    with guesser.session_transaction() as cookie:
        cookie["_user_id"] = f"{session_id}:{'x' * len(secret)}"
    assert guesser.get("/dashboard").status_code == 302


def test_last_seen_moves_at_most_every_few_minutes(app, client, li, monkeypatch):
    sign_in_from(client, agent=FIREFOX_WINDOWS, address="198.51.100.4")
    (record,) = open_records(li.id)
    started = record.last_seen_at

    def at(minutes: int) -> None:
        monkeypatch.setattr(sessions, "utcnow", lambda: started + dt.timedelta(minutes=minutes))

    at(2)
    client.get("/dashboard", environ_base={"REMOTE_ADDR": "198.51.100.5"})
    assert open_records(li.id)[0].last_seen_at == started
    at(6)
    client.get("/dashboard", environ_base={"REMOTE_ADDR": "198.51.100.6"})
    (moved,) = open_records(li.id)
    assert moved.last_seen_at == started + dt.timedelta(minutes=6) and moved.address == "198.51.100.6"


def test_a_session_without_keep_me_signed_in_ends_after_the_idle_time(app, client, li, monkeypatch):
    sign_in_from(client, agent=FIREFOX_WINDOWS, address="198.51.100.4")
    kept = sign_in_from(app.test_client(), agent=SAFARI_IPHONE, address="203.0.113.7", remember=True)
    idle = dt.timedelta(hours=app.config["SESSION_IDLE_HOURS"])
    now = utcnow()
    monkeypatch.setattr(sessions, "utcnow", lambda: now + idle + dt.timedelta(minutes=1))
    assert client.get("/dashboard").status_code == 302
    assert kept.get("/dashboard").status_code == 200
    # The lapsed session is no longer listed.
    assert kept.get("/account/sessions").get_data(as_text=True).count('id="session-') == 1


def test_every_session_ends_after_the_longest_lifetime(app, client, li, monkeypatch):
    kept = sign_in_from(app.test_client(), agent=SAFARI_IPHONE, address="203.0.113.7", remember=True)
    lifetime = dt.timedelta(seconds=app.config["REMEMBER_COOKIE_DURATION"])
    now = utcnow()
    # Used every few hours, it still ends when its lifetime is over.
    for hours in range(0, int(lifetime.total_seconds() // 3600) - 1, 6):
        monkeypatch.setattr(sessions, "utcnow", lambda hours=hours: now + dt.timedelta(hours=hours))
        assert kept.get("/dashboard").status_code == 200
    monkeypatch.setattr(sessions, "utcnow", lambda: now + lifetime + dt.timedelta(minutes=1))
    assert kept.get("/dashboard").status_code == 302


def test_a_deactivated_persons_sessions_end(app, client, li):
    sign_in(client, li)
    db.session.execute(update(User).where(User.id == li.id).values(active=False))
    db.session.commit()
    assert client.get("/dashboard").status_code == 302


def test_old_ended_sessions_are_forgotten_at_the_next_sign_in(app, client, li):
    sign_in_from(client, agent=FIREFOX_WINDOWS, address="198.51.100.4")
    (record,) = open_records(li.id)
    long_ago = utcnow() - dt.timedelta(days=40)
    db.session.execute(update(UserSession).values(ended_at=long_ago, last_seen_at=long_ago, created_at=long_ago))
    db.session.commit()
    sign_in_from(app.test_client(), agent=SAFARI_IPHONE, address="203.0.113.7")
    db.session.expire_all()
    remaining = db.session.scalars(select(UserSession.token_hash).where(UserSession.user_id == li.id)).all()
    assert record.token_hash not in remaining and len(remaining) == 1


def test_an_overlong_forwarded_address_is_cut_to_an_addresss_length(app, client, li):
    sign_in_from(client, agent=FIREFOX_WINDOWS, address="2001:db8::1," + "9" * 300)
    (record,) = open_records(li.id)
    assert len(record.address) == 45


def test_the_daily_clean_up_forgets_old_sessions_of_everyone(app, client, li):
    other = UserFactory(email="wang@example.org")
    db.session.commit()
    sign_in(app.test_client(), li)
    sign_in(app.test_client(), other)
    sign_in(client, li)
    old, recent = utcnow() - dt.timedelta(days=45), utcnow() - dt.timedelta(days=3)
    ids = db.session.scalars(select(UserSession.id).order_by(UserSession.id)).all()
    db.session.execute(update(UserSession).where(UserSession.id == ids[0]).values(last_seen_at=old))
    db.session.execute(update(UserSession).where(UserSession.id == ids[1]).values(ended_at=old))
    db.session.execute(update(UserSession).where(UserSession.id == ids[2]).values(ended_at=recent))
    db.session.commit()
    with app.app_context():
        assert sessions.forget_old_sessions(utcnow()) == 2
        db.session.commit()
    assert db.session.scalars(select(UserSession.id)).all() == [ids[2]]
