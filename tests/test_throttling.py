"""Failed sign-ins are throttled per account and per address (Flask-Limiter)."""

from __future__ import annotations

import pytest

from portal import db
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def small_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "3 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "5 per 15 minutes")


def attempt(client, email, password, address):
    return client.post(
        "/account/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def test_failed_logins_are_throttled_per_account_from_any_address(client, small_limits):
    UserFactory(email="li@example.org")
    db.session.commit()
    for n in range(3):
        assert attempt(client, "li@example.org", "wrong-password", f"10.0.0.{n}").status_code == 200
    blocked = attempt(client, "LI@example.org", PASSWORD, "10.0.0.99")
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data
    # Another account is not affected.
    UserFactory(email="wang@example.org")
    db.session.commit()
    assert attempt(client, "wang@example.org", PASSWORD, "10.0.0.98").status_code == 302


def test_failed_logins_are_throttled_per_address_across_accounts(client, small_limits):
    UserFactory(email="li@example.org")
    db.session.commit()
    for n in range(5):
        assert attempt(client, f"guess{n}@example.org", "wrong-password", "10.1.1.1").status_code == 200
    assert attempt(client, "li@example.org", PASSWORD, "10.1.1.1").status_code == 429
    assert attempt(client, "li@example.org", PASSWORD, "10.1.1.2").status_code == 302


def test_successful_logins_do_not_use_up_the_allowance(client, small_limits):
    UserFactory(email="li@example.org")
    db.session.commit()
    for _ in range(6):
        assert attempt(client, "li@example.org", PASSWORD, "10.2.2.2").status_code == 302


def test_a_password_reset_ends_the_accounts_sign_in_throttle(app, client, small_limits, smtp_server):
    import re

    UserFactory(email="li@example.org")
    db.session.commit()
    for n in range(3):
        attempt(client, "li@example.org", "wrong-password", f"10.3.3.{n}")
    assert attempt(client, "li@example.org", PASSWORD, "10.3.3.9").status_code == 429

    client.post("/account/reset", data={"email": "li@example.org"}, environ_base={"REMOTE_ADDR": "10.3.3.9"})
    smtp_server.deliver_outbox(app)
    (link,) = re.findall(r"http://portal\.test(/account/reset/\S+)", smtp_server.body_of(smtp_server.messages[0]))
    new = "Kolleg-Winter-Semester-2027"
    client.post(link, data={"password": new, "password_confirm": new}, environ_base={"REMOTE_ADDR": "10.3.3.9"})

    # The owner of the mailbox signs in with the new password at once, not a quarter of an hour later.
    assert attempt(client, "li@example.org", new, "10.3.3.9").status_code == 302
    # The throttle counts again from zero.
    for n in range(3):
        attempt(client, "li@example.org", "wrong-password", f"10.4.4.{n}")
    assert attempt(client, "li@example.org", new, "10.4.4.9").status_code == 429


def test_another_accounts_throttle_survives_a_reset(app, client, small_limits, smtp_server):
    import re

    UserFactory(email="li@example.org")
    UserFactory(email="wang@example.org")
    db.session.commit()
    for n in range(3):
        attempt(client, "wang@example.org", "wrong-password", f"10.5.5.{n}")
    client.post("/account/reset", data={"email": "li@example.org"})
    smtp_server.deliver_outbox(app)
    (link,) = re.findall(r"http://portal\.test(/account/reset/\S+)", smtp_server.body_of(smtp_server.messages[0]))
    new = "Kolleg-Winter-Semester-2027"
    client.post(link, data={"password": new, "password_confirm": new})
    assert attempt(client, "wang@example.org", PASSWORD, "10.5.5.9").status_code == 429
