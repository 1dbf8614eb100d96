"""In a real browser, for every role of the demo in three languages: the navigation takes one row at 1280 px and
collapses into a menu below 992 px; no main page scrolls sideways at 390 or 1280 px. Screenshots of each dashboard go
to tests/artifacts/."""

from __future__ import annotations

import pytest

from tests.fixtures_browser import DEMO_ROLE_ACCOUNTS, main_pages, save_screenshots, sign_in_to_demo, speak

pytestmark = pytest.mark.browser

ACCOUNTS = DEMO_ROLE_ACCOUNTS
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# How far apart (px) the middles of the brand, every link and the language and account block are: one row is < 20.
NAV_SPREAD = (
    "(() => { const middles = [...document.querySelectorAll('.site-nav .navbar-brand, .site-nav .nav-item, "
    ".site-nav form, .site-nav .account-name')].map(e => { const r = e.getBoundingClientRect(); "
    "return r.top + r.height / 2; }); return Math.max(...middles) - Math.min(...middles); })()"
)


@pytest.mark.parametrize("email", ACCOUNTS)
def test_one_row_of_navigation_a_menu_on_phones_and_no_sideways_scrolling(app, page, email):
    sign_in_to_demo(app, page, email)
    problems = []
    for language in ("de", "en", "zh"):
        speak(app, email, language)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto("/dashboard")
        for path in main_pages(page):
            page.set_viewport_size({"width": 1280, "height": 800})
            page.goto(path)
            if page.evaluate(NAV_SPREAD) >= 20:
                problems.append(f"{language} {path}: the navigation takes more than one row at 1280 px")
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 800})
                if page.evaluate(OVERFLOW) > 0:
                    problems.append(f"{language} {path}: scrolls sideways at {width} px")
        page.set_viewport_size({"width": 390, "height": 800})
        page.goto("/dashboard")
        toggler = page.locator(".site-nav .navbar-toggler")
        if not toggler.is_visible() or page.locator(".site-nav .nav-link").first.is_visible():
            problems.append(f"{language}: no collapsed menu at 390 px")
        else:
            toggler.click()
            page.locator(".site-nav .nav-link").first.wait_for(state="visible")
        save_screenshots(page, f"layout-{email.split('@')[0]}-{language}")
    assert problems == [], "\n".join(problems)
