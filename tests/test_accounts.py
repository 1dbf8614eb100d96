"""Account flows through the web pages: register, confirm, sign in and out, reset, change password, settings."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import AccountToken, TokenPurpose, User
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from tests.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "Kolleg-Winter-Semester-2027"


def register(client, **overrides):
    data = {
        "email": "Wang.Xiaoming@Example.ORG",
        "name": "Wang Xiaoming",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
        "language": "zh",
        "timezone": "Asia/Shanghai",
    }
    data.update(overrides)
    return client.post("/account/register", data=data)


def outbox_links(app, smtp_server, path_part: str) -> list[str]:
    smtp_server.deliver_outbox(app)
    links = []
    for message in smtp_server.messages:
        links += re.findall(r"http://portal\.test(/account/" + path_part + r"/\S+)", smtp_server.body_of(message))
    return links


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_registration_creates_unconfirmed_applicant_and_emails_a_link(app, client, smtp_server):
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/account/register/sent"
    user = db.session.scalars(select(User)).one()
    assert user.email == "wang.xiaoming@example.org"
    assert user.role_names == {"applicant"}
    assert user.language == "zh" and user.timezone == "Asia/Shanghai"
    assert not user.email_confirmed
    assert user.password_hash and NEW_PASSWORD not in user.password_hash
    user_id = user.id
    # Registering does not sign in: the answer must be the same for an address that already has an account.
    assert client.get("/dashboard").status_code == 302

    links = outbox_links(app, smtp_server, "confirm")
    assert len(links) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "wang.xiaoming@example.org"
    assert message["Content-Language"] == "zh"

    # Opening the link (as a mail scanner would) changes nothing; pressing the button confirms.
    page = client.get(links[0])
    assert page.status_code == 200
    assert db.session.get(User, user_id).email_confirmed_at is None
    confirmed = client.post(links[0])
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/account/login"
    assert db.session.get(User, user_id).email_confirmed_at is not None
    # The link is single-use.
    assert client.post(links[0]).status_code == 404
    # Now the password signs in.
    credentials = {"email": "wang.xiaoming@example.org", "password": NEW_PASSWORD}
    assert client.post("/account/login", data=credentials).headers["Location"] == "/dashboard"


def test_registration_answers_the_same_for_a_known_address_and_mails_its_owner_a_reset_link(
    app, client, smtp_server, monkeypatch
):
    from portal.accounts import models, services

    UserFactory(email="wang.xiaoming@example.org", name="Wang Xiaoming", language="de")
    db.session.commit()
    hashed = []
    real_hash = services.generate_password_hash
    for module in (models, services):  # the new account's hash, and the known address's hash of the same cost
        monkeypatch.setattr(module, "generate_password_hash", lambda password: hashed.append(1) or real_hash(password))

    known = register(client, email="WANG.XIAOMING@example.org")
    unknown = register(app.test_client(), email="li.na@example.org")
    # Same status, same redirect, same page behind it; the same work: one password hash each.
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/account/register/sent"
    without_csrf = lambda html: re.sub(rb'name="csrf_token" value="[^"]*"', b"", html)  # noqa: E731 - per session
    pages = [c.get("/account/register/sent").data for c in (client, app.test_client())]
    assert without_csrf(pages[0]) == without_csrf(pages[1])
    assert len(hashed) == 2
    assert count_users() == 2  # the known address got no second account

    smtp_server.deliver_outbox(app)
    by_recipient = {message["To"]: message for message in smtp_server.messages}
    owner = by_recipient["wang.xiaoming@example.org"]
    assert owner["Content-Language"] == "de"
    assert "Sie haben bereits ein Konto" in owner["Subject"]
    body = smtp_server.body_of(owner)
    (link,) = re.findall(r"http://portal\.test(/account/reset/\S+)", body)
    assert client.get(link).status_code == 200
    assert "/account/confirm/" in smtp_server.body_of(by_recipient["li.na@example.org"])


def test_an_unconfirmed_account_is_refused_like_a_wrong_password_and_gets_a_new_link(app, client, smtp_server):
    UserFactory(email="li@example.org", email_confirmed_at=None)
    db.session.commit()
    unconfirmed = client.post("/account/login", data={"email": "li@example.org", "password": PASSWORD})
    wrong = client.post("/account/login", data={"email": "li@example.org", "password": "nope-nope-nope"})
    assert unconfirmed.status_code == wrong.status_code == 200
    strip = lambda html: re.sub(rb'value="[^"]*"', b"", html)  # noqa: E731 - the typed password differs
    assert strip(unconfirmed.data) == strip(wrong.data)
    assert client.get("/dashboard").status_code == 302
    # One new link, however often the password is tried within a quarter of an hour.
    (link,) = outbox_links(app, smtp_server, "confirm")
    client.post(link)
    assert client.post("/account/login", data={"email": "li@example.org", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-1A", b"at least 12 characters"),
        ("password1234", b"too common"),
        ("qwertyuiop123", b"too common"),
        ("wang.xiaoming-2027", b"must not contain your email"),
        ("aaaaaaaaaaaaaaaa", b"too common"),
    ],
)
def test_weak_passwords_are_refused_and_typed_values_kept(client, password, reason):
    response = register(client, password=password, password_confirm=password)
    assert response.status_code == 200
    assert reason in response.data
    assert b'value="Wang Xiaoming"' in response.data  # nothing typed is lost
    assert count_users() == 0


def test_invalid_email_is_refused(client):
    response = register(client, email="not-an-address")
    assert b"valid email address" in response.data
    assert count_users() == 0


def test_login_then_dashboard(client):
    UserFactory(email="li@example.org", roles=[Role.COMMITTEE])
    db.session.commit()
    response = client.post("/account/login", data={"email": "LI@example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200


def test_unknown_email_and_wrong_password_get_the_same_answer(client):
    UserFactory(email="li@example.org")
    db.session.commit()
    wrong_password = client.post("/account/login", data={"email": "li@example.org", "password": "nope-nope-nope"})
    unknown = client.post("/account/login", data={"email": "nobody@example.org", "password": "nope-nope-nope"})
    assert wrong_password.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(rb'value="[^"]*"', b"", html)  # noqa: E731 - the typed email differs
    assert strip(wrong_password.data) == strip(unknown.data)
    assert b"email address or the password is not correct" in unknown.data


def test_deactivated_user_cannot_sign_in(client):
    UserFactory(email="gone@example.org", active=False)
    db.session.commit()
    response = client.post("/account/login", data={"email": "gone@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/dashboard").status_code == 302


def test_login_renews_the_session(client):
    UserFactory(email="li@example.org")
    db.session.commit()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/account/login", data={"email": "li@example.org", "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_login_never_redirects_off_site(client, target):
    UserFactory(email="li@example.org")
    db.session.commit()
    response = client.post(f"/account/login?next={target}", data={"email": "li@example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/dashboard"


def test_login_follows_a_local_next(client):
    UserFactory(email="li@example.org")
    db.session.commit()
    credentials = {"email": "li@example.org", "password": PASSWORD}
    response = client.post("/account/login?next=/account/settings", data=credentials)
    assert response.headers["Location"] == "/account/settings"


def test_remember_me_cookie_survives_the_session_but_not_a_logout(app, client):
    UserFactory(email="li@example.org")
    db.session.commit()
    client.post("/account/login", data={"email": "li@example.org", "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token")
    assert remember is not None

    # A browser that only has a copy of the remember-me cookie is signed in by it...
    other = app.test_client()
    other.set_cookie("remember_token", remember.value)
    assert other.get("/dashboard").status_code == 200

    # ...until the user signs out anywhere: every session and every copied cookie then ends.
    client.post("/account/logout")
    copy = app.test_client()
    copy.set_cookie("remember_token", remember.value)
    assert copy.get("/dashboard").status_code == 302
    assert other.get("/dashboard").status_code == 302


def test_logout_ends_only_this_session(app, client):
    user = UserFactory(email="li@example.org")
    db.session.commit()
    second = sign_in(app.test_client(), user)
    sign_in(client, user)
    assert second.get("/dashboard").status_code == 200
    assert client.post("/account/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302
    assert second.get("/dashboard").status_code == 200


def test_logout_needs_post(client, login_as):
    login_as(Role.APPLICANT)
    assert client.get("/account/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200


def test_reset_request_answers_the_same_for_known_and_unknown_addresses(app, client, smtp_server):
    UserFactory(email="li@example.org")
    db.session.commit()
    known = client.post("/account/reset", data={"email": "LI@example.org"}, follow_redirects=True)
    unknown = client.post("/account/reset", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data
    links = outbox_links(app, smtp_server, "reset")
    assert len(links) == 1
    assert smtp_server.messages[0]["To"] == "li@example.org"


def test_a_new_reset_link_makes_the_older_ones_unusable(app, client, smtp_server):
    UserFactory(email="li@example.org")
    db.session.commit()
    client.post("/account/reset", data={"email": "li@example.org"})
    client.post("/account/reset", data={"email": "li@example.org"})
    older, newer = outbox_links(app, smtp_server, "reset")
    new_password = {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    assert client.get(older).status_code == 404
    assert client.post(older, data=new_password).status_code == 404
    assert client.post(newer, data=new_password).status_code == 302


def test_password_reset_link_works_once_and_ends_sessions(app, client, smtp_server):
    user = UserFactory(email="li@example.org")
    db.session.commit()
    elsewhere = sign_in(app.test_client(), user)
    client.post("/account/reset", data={"email": "li@example.org"})
    (link,) = outbox_links(app, smtp_server, "reset")

    assert client.get(link).status_code == 200
    weak = client.post(link, data={"password": "password", "password_confirm": "password"})
    assert b"at least 12 characters" in weak.data
    response = client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302

    assert elsewhere.get("/dashboard").status_code == 302
    again = {"password": "Another-Password-2027", "password_confirm": "Another-Password-2027"}
    assert client.post(link, data=again).status_code == 404
    assert client.post("/account/login", data={"email": "li@example.org", "password": NEW_PASSWORD}).status_code == 302


def test_expired_reset_link_is_refused(app, client, smtp_server):
    UserFactory(email="li@example.org")
    db.session.commit()
    client.post("/account/reset", data={"email": "li@example.org"})
    (link,) = outbox_links(app, smtp_server, "reset")
    token = db.session.scalars(select(AccountToken).where(AccountToken.purpose == TokenPurpose.RESET_PASSWORD)).one()
    token.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db.session.commit()
    page = client.get(link)
    assert page.status_code == 404
    assert b"has expired" in page.data
    assert client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}).status_code == 404


@pytest.mark.parametrize(
    "tamper", [lambda link: link[:-3] + "abc", lambda link: re.sub(r"/reset/(\d+)/", "/reset/999999/", link)]
)
def test_wrong_reset_link_reveals_nothing(app, client, smtp_server, tamper):
    UserFactory(email="li@example.org")
    db.session.commit()
    client.post("/account/reset", data={"email": "li@example.org"})
    (link,) = outbox_links(app, smtp_server, "reset")
    page = client.get(tamper(link))
    assert page.status_code == 404
    assert b"li@example.org" not in page.data


def test_change_password_keeps_this_session_and_ends_the_others(app, client):
    user = UserFactory(email="li@example.org")
    db.session.commit()
    other = sign_in(app.test_client(), user)
    sign_in(client, user)
    wrong = client.post(
        "/account/password",
        data={"current_password": "wrong-one-here", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert b"current password is not correct" in wrong.data
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert other.get("/dashboard").status_code == 302
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)


def test_settings_change_language_and_time_zone(client, login_as):
    user = login_as(Role.APPLICANT)
    response = client.post("/account/settings", data={"language": "de", "timezone": "Asia/Shanghai"})
    assert response.status_code == 302
    saved = db.session.get(User, user.id)
    assert (saved.language, saved.timezone) == ("de", "Asia/Shanghai")


def test_settings_refuse_an_unknown_time_zone(client, login_as):
    user = login_as(Role.APPLICANT)
    response = client.post("/account/settings", data={"language": "de", "timezone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert b"Not a valid choice" in response.data
    assert db.session.get(User, user.id).timezone == "Europe/Berlin"


def test_deactivation_ends_every_session(app, client):
    from portal.accounts.services import set_active

    user = UserFactory(email="li@example.org")
    db.session.commit()
    sign_in(client, user)
    assert client.get("/dashboard").status_code == 200
    with app.test_request_context():
        set_active(db.session.get(User, user.id), False)
        db.session.commit()
    assert client.get("/dashboard").status_code == 302


def test_resend_confirmation(app, client, login_as, smtp_server):
    login_as(Role.APPLICANT, email_confirmed_at=None)
    assert client.post("/account/confirm/resend").status_code == 302
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 1
    assert len(outbox_links(app, smtp_server, "confirm")) == 1
