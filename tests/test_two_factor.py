"""Two-factor sign-in: enrolment with a locally drawn QR code, the code after the password, recovery codes, the rule
that coordinators and administrators have it, throttling, and how the secrets are stored."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pyotp
import pytest
from sqlalchemy import func, select, text

from portal import db
from portal.accounts import session as session_wiring
from portal.accounts import two_factor
from portal.accounts.models import RecoveryCode, SecondFactor, User, UserSession
from portal.core import crypto
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.conftest import enrol_second_factor, second_factor_code, sign_in, sign_in_through_form
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def coordinator(app):
    user = UserFactory(email="coordinator@example.org", roles=[Role.COORDINATOR])
    db.session.commit()
    return user


@pytest.fixture
def applicant(app):
    user = UserFactory(email="li@example.org")
    db.session.commit()
    return user


def login(client, email: str, **environ):
    return client.post("/account/login", data={"email": email, "password": PASSWORD}, environ_base=environ)


def enter_code(client, code: str, **environ):
    return client.post("/account/login/code", data={"code": code}, environ_base=environ)


def shown_secret(page: str) -> str:
    return re.search(r'data-secret="([A-Z2-7]+)"', page).group(1)


def enrol_through_pages(client, email: str) -> tuple[str, list[str]]:
    assert client.post("/account/two-factor/start").headers["Location"] == "/account/two-factor/setup"
    secret = shown_secret(client.get("/account/two-factor/setup").get_data(as_text=True))
    page = client.post("/account/two-factor/setup", data={"code": pyotp.TOTP(secret).now()}).get_data(as_text=True)
    return secret, re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page)


def test_a_coordinator_without_two_factor_enrols_before_anything_else(app, client, coordinator):
    response = login(client, "coordinator@example.org")
    assert response.headers["Location"] == "/account/two-factor"
    for page in ("/coordination/", "/dashboard", "/coordination/people/", "/account/settings"):
        refused = client.get(page)
        assert refused.status_code == 302 and refused.headers["Location"] == "/account/two-factor", page
    # The enrolment, the language, the legal pages and signing out stay open.
    assert "Please set it up now" in client.get("/account/two-factor").get_data(as_text=True)
    assert client.post("/language", data={"language": "de", "next": "/privacy"}).status_code == 302
    assert client.get("/privacy").status_code == 200
    assert client.post("/account/logout").headers["Location"] == "/"


def test_enrolment_draws_the_qr_code_here_and_shows_the_recovery_codes_once(app, client, coordinator):
    login(client, "coordinator@example.org")
    assert client.post("/account/two-factor/start").status_code == 302
    page = client.get("/account/two-factor/setup").get_data(as_text=True)
    secret = shown_secret(page)
    # The QR code is an inline SVG drawn by the portal from the otpauth:// address of exactly this key.
    uri = pyotp.TOTP(secret).provisioning_uri(name="coordinator@example.org", issuer_name="Promotionskolleg")
    (src,) = re.findall(r'<img class="qr-code[^"]*" src="([^"]+)"', page)
    assert src == two_factor.qr_data_uri(uri) and src.startswith("data:image/svg+xml;base64,")
    assert b"<svg" in base64.b64decode(src.removeprefix("data:image/svg+xml;base64,"))
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page  # typed by hand, in groups

    wrong = client.post("/account/two-factor/setup", data={"code": "000000"})
    assert wrong.status_code == 200 and "This code is not right" in wrong.get_data(as_text=True)
    assert client.get("/coordination/").status_code == 302

    done = client.post("/account/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10 and len(set(codes)) == 10
    assert "shown only this once" in done.get_data(as_text=True)
    # This session counts as signed in with the second factor: the staff pages open.
    assert client.get("/coordination/").status_code == 200
    # Shown once: nothing shows them again.
    assert client.get("/account/two-factor/setup").headers["Location"] == "/account/two-factor"
    overview = client.get("/account/two-factor").get_data(as_text=True)
    assert not any(code in overview for code in codes) and "10 unused recovery codes left" in overview

    # Stored so that the database alone reveals neither the key nor the codes.
    factor = db.session.scalars(select(SecondFactor)).one()
    row = " ".join(str(v) for v in db.session.execute(text("SELECT * FROM second_factors")).one())
    assert secret not in row and factor.enabled
    hashes = " ".join(db.session.scalars(select(RecoveryCode.code_hash)))
    assert not any(code.replace("-", "") in hashes or code in hashes for code in codes)


def test_sign_in_asks_for_the_code_after_the_password(app, client, coordinator):
    secret = enrol_second_factor(app, coordinator)
    response = client.post(
        "/account/login?next=/coordination/", data={"email": coordinator.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/account/login/code"
    assert client.get("/coordination/").status_code == 302  # not signed in before the code
    assert db.session.scalar(select(func.count(UserSession.id))) == 0

    wrong = enter_code(client, "123456")
    assert wrong.status_code == 200 and "This code is not right" in wrong.get_data(as_text=True)
    right = enter_code(client, second_factor_code(app, coordinator.email, secret))
    assert right.headers["Location"] == "/coordination/"
    assert client.get("/coordination/").status_code == 200
    record = db.session.scalars(select(UserSession)).one()
    assert record.second_factor_at is not None
    login_event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.login")).one()
    assert login_event.details["second_factor"] == "app"


def test_a_code_of_the_app_is_accepted_once(app, client, coordinator):
    secret = enrol_second_factor(app, coordinator)
    code = second_factor_code(app, coordinator.email, secret)
    login(client, coordinator.email)
    assert enter_code(client, code).status_code == 302
    other = app.test_client()
    login(other, coordinator.email)
    replayed = enter_code(other, code)
    assert replayed.status_code == 200 and "This code is not right" in replayed.get_data(as_text=True)
    # Nor a code of an earlier step.
    used_step = db.session.scalars(select(SecondFactor.last_step)).one()
    assert enter_code(other, pyotp.TOTP(secret).generate_otp(used_step - 1)).status_code == 200


def test_a_recovery_code_works_once_and_its_owner_is_told(app, client, coordinator, smtp_server):
    login(client, coordinator.email)
    _secret, codes = enrol_through_pages(client, coordinator.email)
    client.post("/account/logout")

    login(client, coordinator.email)
    assert enter_code(client, codes[3].upper().replace("-", " ")).status_code == 302  # as typed from paper
    client.post("/account/logout")
    login(client, coordinator.email)
    assert enter_code(client, codes[3]).status_code == 200  # used up
    assert db.session.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.used_at.is_(None))) == 9

    smtp_server.deliver_outbox(app)
    (notice,) = [m for m in smtp_server.messages if "recovery code" in m["Subject"]]
    assert notice["To"] == coordinator.email and "9 unused recovery codes left" in smtp_server.body_of(notice)


def test_new_recovery_codes_replace_the_old_ones(app, client, coordinator):
    login(client, coordinator.email)
    secret, old_codes = enrol_through_pages(client, coordinator.email)
    code = second_factor_code(app, coordinator.email, secret)
    page = client.post("/account/two-factor/recovery-codes", data={"code": code}).get_data(as_text=True)
    new_codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    client.post("/account/logout")
    login(client, coordinator.email)
    assert enter_code(client, old_codes[0]).status_code == 200
    assert enter_code(client, new_codes[0]).status_code == 302


@pytest.fixture
def small_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "3 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "5 per 15 minutes")


def test_the_second_step_is_throttled_per_account_from_any_address(app, client, coordinator, small_limits):
    secret = enrol_second_factor(app, coordinator)
    for n in range(3):
        browser = app.test_client()
        login(browser, coordinator.email, REMOTE_ADDR=f"10.6.0.{n}")
        assert enter_code(browser, "000000", REMOTE_ADDR=f"10.6.0.{n}").status_code == 200
    login(client, coordinator.email, REMOTE_ADDR="10.6.0.9")
    blocked = enter_code(client, second_factor_code(app, coordinator.email, secret), REMOTE_ADDR="10.6.0.9")
    assert blocked.status_code == 429
    # A password reset does not lift it: the mailbox is not the authenticator app.
    from portal.accounts.throttles import end_password_throttle

    with app.test_request_context():
        end_password_throttle(coordinator.email)
    assert (
        enter_code(client, second_factor_code(app, coordinator.email, secret), REMOTE_ADDR="10.6.0.9").status_code
        == 429
    )


def test_the_second_step_is_throttled_per_address_across_accounts(app, client, small_limits):
    users = [UserFactory(email=f"staff{n}@example.org", roles=[Role.ADMIN]) for n in range(3)]
    db.session.commit()
    secrets = [enrol_second_factor(app, user) for user in users]
    for n in range(5):
        browser = app.test_client()
        login(browser, users[n % 2].email, REMOTE_ADDR="10.7.0.1")
        enter_code(browser, "000000", REMOTE_ADDR="10.7.0.1")
    login(client, users[2].email, REMOTE_ADDR="10.7.0.1")
    right = second_factor_code(app, users[2].email, secrets[2])
    assert enter_code(client, right, REMOTE_ADDR="10.7.0.1").status_code == 429
    elsewhere = app.test_client()
    login(elsewhere, users[2].email, REMOTE_ADDR="10.7.0.2")
    assert enter_code(elsewhere, right, REMOTE_ADDR="10.7.0.2").status_code == 302


def test_the_wait_for_the_code_runs_out(app, client, coordinator, monkeypatch):
    secret = enrol_second_factor(app, coordinator)
    login(client, coordinator.email)
    later = utcnow() + dt.timedelta(minutes=session_wiring.SECOND_STEP_MINUTES + 1)
    monkeypatch.setattr(session_wiring, "utcnow", lambda: later)
    response = enter_code(client, second_factor_code(app, coordinator.email, secret))
    assert response.headers["Location"] == "/account/login"
    assert client.get("/coordination/").status_code == 302


def test_the_code_page_without_a_password_first_sends_to_sign_in(client):
    assert client.get("/account/login/code").headers["Location"] == "/account/login"
    assert client.post("/account/login/code", data={"code": "123456"}).headers["Location"] == "/account/login"


def test_a_session_without_the_second_step_cannot_reach_staff_pages(app, client, coordinator):
    enrol_second_factor(app, coordinator)
    sign_in(client, coordinator, second_factor=False)  # the role came after this session began, say
    response = client.get("/coordination/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/login")
    assert client.get("/account/settings").status_code == 302  # signed out
    assert db.session.scalars(select(UserSession)).one().ended_at is not None


def test_a_role_that_requires_two_factor_given_during_a_session_sends_to_enrolment(app, client, applicant):
    from portal.accounts.services import grant_role

    sign_in(client, applicant, second_factor=False)
    assert client.get("/dashboard").status_code == 200
    with app.test_request_context():
        grant_role(db.session.get(User, applicant.id), Role.ADMIN)
        db.session.commit()
    assert client.get("/dashboard").headers["Location"] == "/account/two-factor"


def test_others_may_turn_two_factor_on_and_off(app, client, applicant):
    sign_in(client, applicant, second_factor=False)
    assert client.get("/dashboard").status_code == 200  # optional: nothing is asked of an applicant
    secret, _codes = enrol_through_pages(client, applicant.email)
    client.post("/account/logout")
    assert login(client, applicant.email).headers["Location"] == "/account/login/code"
    assert enter_code(client, second_factor_code(app, applicant.email, secret)).status_code == 302

    wrong = client.post("/account/two-factor/disable", data={"password": "not-my-password"})
    assert wrong.status_code == 200 and "The password is not correct" in wrong.get_data(as_text=True)
    assert client.post("/account/two-factor/disable", data={"password": PASSWORD}).status_code == 302
    client.post("/account/logout")
    assert login(client, applicant.email).headers["Location"] == "/dashboard"
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 0


def test_coordinators_cannot_turn_two_factor_off(app, client, coordinator):
    login(client, coordinator.email)
    enrol_through_pages(client, coordinator.email)
    refused = client.post("/account/two-factor/disable", data={"password": PASSWORD})
    assert refused.status_code == 200 and "cannot be turned off" in refused.get_data(as_text=True)
    assert db.session.get(User, coordinator.id).has_second_factor


def test_a_new_phone_needs_the_password_and_replaces_the_old_key(app, client, coordinator, plain_app_context):
    login(client, coordinator.email)
    old_secret, _codes = enrol_through_pages(client, coordinator.email)
    refused = client.post("/account/two-factor/start", data={"password": "not-my-password"})
    assert refused.status_code == 200 and "Please enter your password" in refused.get_data(as_text=True)
    assert client.post("/account/two-factor/start", data={"password": PASSWORD}).status_code == 302
    new_secret = shown_secret(client.get("/account/two-factor/setup").get_data(as_text=True))
    assert new_secret != old_secret
    # Until the new app's code confirms it, the old key stays in force.
    factor = db.session.scalars(select(SecondFactor)).one()
    assert crypto.decrypt(factor.secret, two_factor.SECRET_PURPOSE) == old_secret
    client.post("/account/two-factor/setup", data={"code": pyotp.TOTP(new_secret).now()})
    db.session.expire_all()
    assert crypto.decrypt(db.session.scalars(select(SecondFactor)).one().secret, "totp-secret") == new_secret


def test_the_secret_needs_the_secret_key_and_survives_its_rotation(app, client, coordinator, monkeypatch):
    secret = enrol_second_factor(app, coordinator)
    stored = db.session.scalars(select(SecondFactor.secret)).one()
    old_key = app.config["SECRET_KEY"]
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key-that-is-long-enough-9876543210")
    with app.app_context(), pytest.raises(crypto.UndecryptableSecret):
        crypto.decrypt(stored, two_factor.SECRET_PURPOSE)
    # With the old key among the fallbacks, sign-in works, and the secret moves to the new key.
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    login(client, coordinator.email)
    assert enter_code(client, second_factor_code(app, coordinator.email, secret)).status_code == 302
    db.session.expire_all()
    moved = db.session.scalars(select(SecondFactor.secret)).one()
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    with app.app_context():
        assert crypto.decrypt(moved, two_factor.SECRET_PURPOSE) == secret


def test_an_invited_coordinator_lands_on_the_enrolment(app, client, smtp_server):
    from portal.accounts.services import create_user, send_invitation

    with app.test_request_context():
        user = create_user(
            email="new.coordinator@example.org", name="Neu", password=None, roles=[Role.COORDINATOR], confirmed=False
        )
        send_invitation(user)
        db.session.commit()
    smtp_server.deliver_outbox(app)
    (link,) = re.findall(r"http://portal\.test(/account/invitation/\S+)", smtp_server.body_of(smtp_server.messages[0]))
    new_password = "Kolleg-Winter-Semester-2027"
    response = client.post(link, data={"password": new_password, "password_confirm": new_password})
    assert response.headers["Location"] == "/account/two-factor"
    assert client.get("/coordination/").headers["Location"] == "/account/two-factor"
    secret, _codes = enrol_through_pages(client, "new.coordinator@example.org")
    assert secret and client.get("/coordination/").status_code == 200


def test_an_administrator_resets_a_lost_second_factor_from_the_command_line(app, client, coordinator):
    enrol_second_factor(app, coordinator)
    sign_in(client, coordinator)
    result = app.test_cli_runner().invoke(args=["portal", "reset-two-factor", "COORDINATOR@example.org"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not db.session.get(User, coordinator.id).has_second_factor
    assert client.get("/coordination/").status_code == 302  # signed out everywhere
    assert login(client, coordinator.email).headers["Location"] == "/account/two-factor"


def test_the_test_helper_signs_staff_in_through_the_form(app, client, coordinator):
    secret = enrol_second_factor(app, coordinator)
    for _ in range(3):  # more sign-ins than one time step has codes
        browser = app.test_client()
        assert sign_in_through_form(browser, coordinator.email, PASSWORD, secret=secret).status_code == 302
        assert browser.get("/coordination/").status_code == 200


def test_an_account_without_recovery_codes_is_told_to_make_some(app, client, coordinator):
    enrol_second_factor(app, coordinator)  # as the demo's accounts are: an app, no codes yet
    sign_in(client, coordinator)
    assert "You have no unused recovery codes" in client.get("/account/two-factor").get_data(as_text=True)
