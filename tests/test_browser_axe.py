"""axe-core on every main page of every demo role in German, English and Chinese: no serious or critical violation.
axe-core is vendored under tests/vendor/ (from the npm registry), injected by the test, never served by the portal."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.demo import DEMO_PASSWORD
from portal.demo.two_factor import DEMO_TOTP_SECRET, DEMO_TWO_FACTOR_ACCOUNTS
from tests.conftest import sign_in_in_browser

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
ACCOUNTS = (
    "applicant@example.org",
    "supervisor.de@example.org",
    "committee@example.org",
    "coordinator@example.org",
    "admin@example.org",
)
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => ["serious", "critical"].includes(v.impact))
    .map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""


def speak(app, email: str, language: str) -> None:
    with app.app_context():
        db.session.scalars(select(User).where(User.email == email)).one().language = language
        db.session.commit()
        db.session.remove()


def violations(page) -> list[str]:
    page.evaluate(AXE)  # through the browser's debugging protocol: the portal's CSP stays as it is
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("email", ACCOUNTS)
def test_no_serious_accessibility_violation_on_any_main_page(app, page, email):
    result = app.test_cli_runner().invoke(args=["portal", "seed-demo"])
    assert result.exit_code == 0, result.output
    secret = DEMO_TOTP_SECRET if email in DEMO_TWO_FACTOR_ACCOUNTS else None
    sign_in_in_browser(page, app, email, DEMO_PASSWORD, secret=secret)
    found = []
    for language in ("de", "en", "zh"):
        speak(app, email, language)
        page.goto("/dashboard")
        links = page.locator(".site-nav .nav-link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        for path in dict.fromkeys(["/dashboard", *links, "/account/settings"]):
            page.goto(path)
            found += [f"{language} {path}: {violation}" for violation in violations(page)]
    assert found == [], "\n".join(found)


def test_the_check_itself_finds_a_serious_violation(page):
    page.goto("/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/static/favicon.svg\">')")
    assert any(violation.startswith("image-alt (critical)") for violation in violations(page))
