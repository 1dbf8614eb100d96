"""Fixtures: one app per test session, a clean database per test, factories, a signed-in client per role."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient

from portal import create_app, db
from portal.accounts.models import User
from portal.core.roles import Role
from portal.extensions import limiter
from tests.factories import UserFactory

pytest_plugins = ["tests.fixtures_mail", "tests.fixtures_browser"]


TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "MAIL_BACKEND": "smtp",
    "PORTAL_BASE_URL": "http://portal.test",
    "SERVER_NAME": None,
}


def _test_database_url(tmp_root: str) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_root}/test.sqlite3"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application, configured for tests, with fresh tables on the test database."""
    root = tmp_path_factory.mktemp("portal")
    application = create_app(
        {**TEST_CONFIG, "DATABASE_URL": _test_database_url(str(root)), "PORTAL_DATA_DIR": str(root / "data")}
    )
    engine = db.get_engine(application)
    db.Base.metadata.drop_all(engine)
    db.Base.metadata.create_all(engine)
    with application.app_context():
        from portal.supervisors.services import sync_universities

        sync_universities()
        db.session.commit()
        db.session.remove()
    yield application
    db.session.remove()
    db.Base.metadata.drop_all(engine)
    engine.dispose()


def truncate_all(app: Flask) -> None:
    """Empty every table and load the universities again (for tests whose work must really be committed)."""
    from portal.supervisors.services import sync_universities

    db.session.remove()
    engine = db.get_engine(app)
    with engine.begin() as connection:
        for table in reversed(db.Base.metadata.sorted_tables):
            connection.execute(table.delete())
    with app.app_context():
        sync_universities()
        db.session.commit()


@pytest.fixture(autouse=True)
def database(app: Flask, request: pytest.FixtureRequest) -> Iterator[None]:
    """Run each test inside a transaction that is rolled back afterwards, so every test starts clean.

    Tests marked `committing` (a browser driving a live server in another thread, concurrent requests) really
    commit, and every table is emptied after them instead.
    """
    engine = db.get_engine(app)
    limiter.reset()
    if request.node.get_closest_marker("committing") or request.node.get_closest_marker("browser"):
        try:
            yield
        finally:
            truncate_all(app)
        return
    connection = engine.connect()
    transaction = connection.begin()
    db.session.remove()
    db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        db.session.remove()
        transaction.rollback()
        connection.close()
        db.session.configure(bind=engine)


@pytest.fixture
def other_app(app: Flask) -> Iterator[Callable[..., Flask]]:
    """Build an application on another database or through another address of it (a restored copy, a proxy).

    The portal's session is one for all applications and follows the one built last: use the suite's `app` before,
    the other one after. The session goes back to the suite's database at the end.
    """
    built: list[Flask] = []

    def build(**config) -> Flask:
        db.session.remove()
        other = create_app({**TEST_CONFIG, **config})
        built.append(other)
        return other

    yield build
    db.session.remove()
    for other in built:
        db.get_engine(other).dispose()
    db.session.configure(bind=db.get_engine(app))


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    """An application context for service-level tests."""
    with app.test_request_context("/"):
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sign_in(client: FlaskClient, user: User, *, second_factor: bool = True) -> FlaskClient:
    """Open a session for the user (committed) and put it into the client's cookie jar, as a successful sign-in would:
    with its second step passed (second_factor=False: as after the password alone, e.g. before a staff member has
    enrolled in two-factor sign-in).

    Note: a test that holds an application context open across requests shares flask.g with them, and Flask-Login
    caches the signed-in user there; to switch users within one test, do not hold an app context around the requests.
    """
    from portal.accounts.models import UserSession
    from portal.core.timeutil import utcnow
    from portal.core.tokens import new_token

    token, token_hash = new_token()
    record = UserSession(user_id=user.id, token_hash=token_hash, second_factor_at=utcnow() if second_factor else None)
    db.session.add(record)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = f"{record.id}:{token}"
        session["_fresh"] = True
    if has_app_context():
        g.pop("_login_user", None)  # an app context held by the test shares g with its requests
    return client


# --- Two-factor sign-in in tests --------------------------------------------------------------------------------------


def _in_app_context(app: Flask):
    from contextlib import nullcontext

    return nullcontext() if has_app_context() else app.app_context()


def enrol_second_factor(app: Flask, user: User) -> str:
    """Give the user a confirmed authenticator app, as the enrolment would (committed); returns its secret."""
    import pyotp

    from portal.accounts.models import SecondFactor
    from portal.accounts.two_factor import SECRET_PURPOSE
    from portal.core import crypto
    from portal.core.timeutil import utcnow

    secret = pyotp.random_base32()
    with _in_app_context(app):
        factor = SecondFactor(user_id=user.id, secret=crypto.encrypt(secret, SECRET_PURPOSE), enabled_at=utcnow())
        db.session.add(factor)
        db.session.commit()
    return secret


def second_factor_code(app: Flask, email: str, secret: str) -> str:
    """The next code of the app that the portal accepts for this account: codes are accepted once each, and those of
    the previous, the current and the next 30-second step are valid; the current one and the next are used, so that
    the code stays valid should the step end while the request is on its way."""
    import time

    import pyotp
    from sqlalchemy import select

    from portal.accounts.models import SecondFactor
    from portal.core.timeutil import utcnow

    with _in_app_context(app):
        last = db.session.scalar(select(SecondFactor.last_step).join(User).where(User.email == email)) or 0
    totp = pyotp.TOTP(secret)
    current = totp.timecode(utcnow())
    if last >= current + 1:  # both are used up: wait for the next step (a rare third sign-in within 30 s)
        time.sleep(totp.interval - time.time() % totp.interval + 0.1)
        current += 1
    return totp.generate_otp(max(last + 1, current))


def sign_in_in_browser(page, app: Flask, email: str, password: str, *, secret: str | None = None) -> None:
    """Sign in through the login form in a Playwright page (any language), with a code of `secret` at the second
    step when the account has one (staff: `enrol_second_factor` first)."""
    page.goto("/account/login")
    page.locator("main input[name=email]").fill(email)
    page.locator("main input[name=password]").fill(password)
    page.locator("main form [type=submit]").first.click()
    if secret is not None:
        page.wait_for_url("**/account/login/code")
        page.locator("main input[name=code]").fill(second_factor_code(app, email, secret))
        page.locator("main form [type=submit]").first.click()
    page.wait_for_url(lambda url: "/account/login" not in url)


def sign_in_through_form(client: FlaskClient, email: str, password: str, *, secret: str | None = None):
    """Sign in through the login form, and through the second step with a code of `secret` when it is asked for;
    returns the last response."""
    response = client.post("/account/login", data={"email": email, "password": password})
    if response.status_code == 302 and response.headers["Location"].endswith("/account/login/code"):
        assert secret is not None, "the account signs in with a second factor: pass its secret"
        code = second_factor_code(client.application, email, secret)
        response = client.post("/account/login/code", data={"code": code})
    return response


@pytest.fixture
def login_as(app: Flask, client: FlaskClient) -> Callable[..., User]:
    """Create a user holding role (confirmed email) and sign the test client in as them."""

    def _login_as(role: Role | str, **attributes) -> User:
        with app.app_context():
            user = UserFactory(roles=[Role(role)], **attributes)
            db.session.commit()
            db.session.refresh(user)
        sign_in(client, user)
        return user

    return _login_as


@pytest.fixture
def open_round(app: Flask):
    """An intake round open now (committed inside the test's transaction)."""
    from tests.factories import IntakeRoundFactory

    intake = IntakeRoundFactory()
    db.session.commit()
    return intake


class QueryCounter:
    """Counts the SQL statements sent while active (for "no N+1" tests)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args) -> None:
        self.count += 1


@pytest.fixture
def count_queries(app: Flask):
    """Call with a function; returns how many statements it sent to the database."""
    from sqlalchemy import event

    engine = db.get_engine(app)

    def run(function) -> int:
        counter = QueryCounter()
        # A fresh session, so that objects the test already loaded do not spare the request any query.
        db.session.remove()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            function()
        finally:
            event.remove(engine, "before_cursor_execute", counter)
        return counter.count

    return run


@pytest.fixture
def plain_app_context(app: Flask) -> Iterator[None]:
    """An application context without a request, for tests whose factories and services need the app while the test
    client signs people in and out (a request context would keep Flask-Login's anonymous user in `g`)."""
    with app.app_context():
        yield


# --- Helpers for reading pages and PDFs ---------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    """The text of a PDF's pages, whitespace collapsed (the CJK font's text comes out with NULs between glyphs)."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).replace("\x00", "").split())


def csrf_token_from(html: bytes) -> str:
    """The CSRF token of the first form in a page."""
    import re

    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        rb'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1).decode()


def cover_pages(reader) -> int:
    """A dossier's cover sheet pages: they are labelled i, ii, …; the documents from 1."""
    return sum(1 for label in reader.page_labels if not label.isdigit())
