"""CSRF, cookies, security headers, error pages, the role declaration on every view, nothing from other sites."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.core.permissions import PUBLIC
from portal.core.roles import Role
from portal.db import make_engine
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def csrf_token_from(html: bytes) -> str:
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        rb'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1).decode()


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, csrf_on):
    response = client.post(
        "/account/register",
        data={
            "email": "li@example.org",
            "name": "Li",
            "password": "Kolleg-Winter-Semester-2027",
            "password_confirm": "Kolleg-Winter-Semester-2027",
            "language": "en",
            "timezone": "Europe/Berlin",
        },
    )
    assert response.status_code == 400
    assert b"reload the page" in response.data
    assert b"Traceback" not in response.data
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_post_with_csrf_token_from_the_form_works(client, csrf_on):
    UserFactory(email="li@example.org")
    db.session.commit()
    token = csrf_token_from(client.get("/account/login").data)
    credentials = {"email": "li@example.org", "password": PASSWORD, "csrf_token": token}
    response = client.post("/account/login", data=credentials)
    assert response.status_code == 302


def test_logout_and_language_switch_need_csrf(client, login_as, csrf_on):
    login_as(Role.APPLICANT)
    assert client.post("/account/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200
    assert client.post("/language", data={"language": "de"}).status_code == 400


def test_security_headers_and_cookie_flags(client):
    response = client.get("/account/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_when_configured_for_https(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    response = client.get("/account/login")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_max_content_length_is_set_and_answered_with_413(app, client):
    assert app.config["MAX_CONTENT_LENGTH"] >= app.config["UPLOAD_MAX_BYTES"]
    response = client.post(
        "/account/login", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1), content_type="application/octet-stream"
    )
    assert response.status_code == 413
    assert b"File too large" in response.data


@pytest.mark.parametrize(("method", "path", "code"), [("get", "/no-such-page", 404), ("post", "/", 405)])
def test_error_pages_use_the_layout(client, method, path, code):
    response = getattr(client, method)(path)
    assert response.status_code == code
    assert b'<nav class="navbar' in response.data


def test_unexpected_error_shows_a_page_without_stack_trace(app, client, monkeypatch):
    def broken():
        raise RuntimeError("secret internal detail")

    monkeypatch.setitem(app.view_functions, "main.imprint", broken)
    response = client.get("/imprint")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data
    assert b"secret internal detail" not in response.data and b"Traceback" not in response.data


def test_error_page_rolls_back_half_done_work(app, client, monkeypatch):
    def half_done():
        UserFactory(email="half@example.org")
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "main.imprint", half_done)
    assert client.get("/imprint").status_code == 500
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "half@example.org")) == 0


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_503_when_database_unreachable(app, client, monkeypatch, tmp_path):
    unreachable = make_engine(f"sqlite:///{tmp_path}/missing-dir/db.sqlite3")
    monkeypatch.setitem(app.extensions, "db_engine", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"


def test_every_view_declares_who_may_use_it(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "portal_roles")
    ]
    assert undeclared == []


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/account/settings")
    assert response.status_code == 302
    assert "/account/login?next=" in response.headers["Location"]


def test_role_decorator_refuses_other_roles(app, client, login_as):
    from portal.core.permissions import roles_required

    @roles_required(Role.COORDINATOR)
    def coordinators_only():
        return "secret numbers"

    login_as(Role.APPLICANT)
    with app.test_request_context("/"):
        from portal.accounts.session import start_session

        start_session(db.session.scalars(select(User)).one(), remember=False, second_factor=True)
        with pytest.raises(Exception) as refused:
            coordinators_only()
        assert getattr(refused.value, "code", None) == 403
    assert roles_required(PUBLIC)(lambda: "ok")() == "ok"


EXTERNAL = re.compile(rb"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("path", ["/", "/account/login", "/account/register", "/account/reset", "/imprint", "/privacy"])
def test_public_pages_load_nothing_from_other_sites(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert not EXTERNAL.search(response.data)


def test_signed_in_pages_load_nothing_from_other_sites(client, login_as):
    login_as(Role.COORDINATOR)
    for path in ("/dashboard", "/account/settings", "/account/password"):
        response = client.get(path)
        assert response.status_code == 200
        assert not EXTERNAL.search(response.data), path


def test_static_assets_name_no_other_site():
    from portal.config import PROJECT_ROOT

    for path in (PROJECT_ROOT / "static").rglob("*"):
        if path.suffix in {".css", ".js"}:
            text = path.read_bytes()
            assert not re.search(rb"@import\s+url\(\s*['\"]?https?:", text), path
            assert b"sourceMappingURL" not in text, path


def test_a_refused_rule_handled_by_the_view_helper_rolls_the_request_back_though_the_page_answers_200(
    app, client, monkeypatch
):
    from portal.core.operations import attempt
    from portal.core.rules import RuleViolation

    def half_done_then_refused():
        UserFactory(email="half@example.org")  # a service flushed something...
        raise RuleViolation("refused")  # ...then a rule refused the action

    def view():
        attempt(half_done_then_refused)
        return "form shown again with the error", 200

    monkeypatch.setitem(app.view_functions, "main.imprint", view)
    assert client.get("/imprint").status_code == 200
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "half@example.org")) == 0


def test_a_refusal_a_view_lets_through_is_rolled_back_and_sends_the_form_back_with_the_message(
    app, client, monkeypatch
):
    from portal.core.rules import RuleViolation

    def view():
        UserFactory(email="half@example.org")
        raise RuleViolation("The deadline has passed.")

    monkeypatch.setitem(app.view_functions, "accounts.register", view)
    response = client.post("/account/register", headers={"Referer": "http://localhost/privacy"})
    assert response.status_code == 302 and response.headers["Location"] == "/privacy"
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "half@example.org")) == 0
    assert "The deadline has passed." in client.get("/privacy").get_data(as_text=True)
    page = client.get("/account/register")  # a GET has no form to go back to: the reason is shown on a page of its own
    assert page.status_code == 409 and "The deadline has passed." in page.get_data(as_text=True)


def test_constructing_or_catching_a_rule_violation_does_not_roll_the_request_back(app, client, monkeypatch):
    from portal.core.rules import RuleViolation

    def view():
        UserFactory(email="kept@example.org")
        try:  # a service may use a violation as a yes/no answer
            raise RuleViolation("not possible")
        except RuleViolation:
            pass
        RuleViolation("only built, never raised")
        return "done", 200

    monkeypatch.setitem(app.view_functions, "main.imprint", view)
    assert client.get("/imprint").status_code == 200
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "kept@example.org")) == 1
