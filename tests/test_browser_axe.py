"""axe-core on every main page of every demo role in German, English and Chinese: no serious or critical violation.
axe-core is vendored under tests/vendor/ (from the npm registry), injected by the test, never served by the portal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures_browser import DEMO_ROLE_ACCOUNTS, main_pages, sign_in_to_demo, speak

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
ACCOUNTS = DEMO_ROLE_ACCOUNTS
# target-size (WCAG 2.2, 2.5.8: click targets of at least 24 px) is off in axe by default: it is switched on.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"], rules: {"target-size": {enabled: true}}});
  return result.violations.filter(v => ["serious", "critical"].includes(v.impact))
    .map(v => v.id + " (" + v.impact + "): " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""


def violations(page) -> list[str]:
    page.evaluate(AXE)  # through the browser's debugging protocol: the portal's CSP stays as it is
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("email", ACCOUNTS)
def test_no_serious_accessibility_violation_on_any_main_page(app, page, email):
    sign_in_to_demo(app, page, email)
    found = []
    for language in ("de", "en", "zh"):
        speak(app, email, language)
        page.goto("/dashboard")
        for path in [*main_pages(page), "/account/settings"]:
            page.goto(path)
            found += [f"{language} {path}: {violation}" for violation in violations(page)]
    assert found == [], "\n".join(found)


def test_the_check_itself_finds_a_serious_violation(page):
    page.goto("/")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/static/favicon.svg\">')")
    assert any(violation.startswith("image-alt (critical)") for violation in violations(page))


def test_the_check_finds_a_click_target_smaller_than_24_px(page):
    page.goto("/")
    tiny = '<a href="/{0}" style="display:inline-block;width:10px;height:10px;overflow:hidden">{0}</a>'
    page.evaluate("html => document.querySelector('main').insertAdjacentHTML('beforeend', html)",
                  f"<p>{tiny.format('a')}{tiny.format('b')}</p>")
    assert any(violation.startswith("target-size (serious)") for violation in violations(page))
