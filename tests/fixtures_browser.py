"""A live server in a thread and a headless Chromium page driven by Playwright (Debian's chromium)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's Chromium, if installed."""
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit and os.path.exists(explicit):
        return explicit
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a browser, browser tests are skipped with the reason printed, except in CI, where they fail."""
    if chromium_path() is not None or os.environ.get("CI") == "true":
        return
    reason = "Chromium is not installed (apt-get install chromium, as .ci/run does); browser tests skipped"
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=reason))


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    """The app served on a free local port; links in emails point at it."""
    with LiveServer(app) as server:
        monkeypatch.setitem(app.config, "PORTAL_BASE_URL", server.url)
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the session."""
    path = chromium_path()
    if path is None:
        pytest.fail("CI=true but Chromium is not installed: .ci/run must install it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server: LiveServer) -> Iterator[object]:
    """A fresh browser context and page, failing the test on any request to another site."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    foreign: list[str] = []

    def guard(route):
        url = route.request.url
        # The browser's own pages are no other site: its PDF viewer (shown inline in a frame) loads from them.
        if url.startswith((live_server.url, "data:", "chrome://", "chrome-extension://")):
            route.continue_()
        else:
            foreign.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert foreign == [], f"the page tried to load from other sites: {foreign}"


ARTIFACTS = Path(__file__).parent / "artifacts"


def save_screenshots(
    page, name: str, widths: tuple[int, ...] = (1280, 390), height: int = 800, full_page: bool = True
) -> list[Path]:
    """Screenshots of the page at each width into tests/artifacts/ (ignored by git), to look at and judge: the full
    page, or what the viewport shows (`-view`, for pages whose panes stay in view); the page is left at the first
    width."""
    ARTIFACTS.mkdir(exist_ok=True)
    paths = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(300)  # let the layout settle (and a framed PDF viewer redraw)
        path = ARTIFACTS / f"{name}-{width}{'' if full_page else '-view'}.png"
        page.screenshot(path=str(path), full_page=full_page)
        paths.append(path)
    page.set_viewport_size({"width": widths[0], "height": height})
    return paths


# --- The demo, page by page (the accessibility and layout walks) ---------------------------------------------------

# One demo account per role.
DEMO_ROLE_ACCOUNTS = (
    "applicant@example.org",
    "supervisor.de@example.org",
    "committee@example.org",
    "coordinator@example.org",
    "admin@example.org",
)


def sign_in_to_demo(app: Flask, page, email: str) -> None:
    """Load the demo data and sign in as one of its accounts (with the demo's code where it needs one)."""
    from portal.demo import DEMO_PASSWORD
    from portal.demo.two_factor import DEMO_TOTP_SECRET, DEMO_TWO_FACTOR_ACCOUNTS
    from tests.conftest import sign_in_in_browser

    result = app.test_cli_runner().invoke(args=["portal", "seed-demo"])
    assert result.exit_code == 0, result.output
    secret = DEMO_TOTP_SECRET if email in DEMO_TWO_FACTOR_ACCOUNTS else None
    sign_in_in_browser(page, app, email, DEMO_PASSWORD, secret=secret)


def speak(app: Flask, email: str, language: str) -> None:
    """Make the account's language the one given (the pages then speak it)."""
    from sqlalchemy import select

    from portal import db
    from portal.accounts.models import User

    with app.app_context():
        db.session.scalars(select(User).where(User.email == email)).one().language = language
        db.session.commit()
        db.session.remove()


def main_pages(page) -> list[str]:
    """The dashboard and every page the navigation links to, from the page shown."""
    links = page.locator(".site-nav .nav-link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return list(dict.fromkeys(["/dashboard", *links]))
