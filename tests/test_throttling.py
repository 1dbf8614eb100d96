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
