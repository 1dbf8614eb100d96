"""In a real browser, the coordinator's wide tables: one line per application in the applications list at 1280 px;
on a phone each wide table scrolls inside its own box with its key column in view. Screenshots in three languages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import db
from portal.applications.models import IntakeRound
from portal.core.timeutil import utcnow
from tests.fixtures_browser import save_screenshots, sign_in_to_demo, speak

pytestmark = pytest.mark.browser

COORDINATOR = "coordinator@example.org"
# The staff pages with a wide table, and the table.
WIDE_TABLES = {
    "applications": ("/coordination/applications/", ".applications-list"),
    "ranking": ("/review/rounds/{round}/ranking", ".ranking"),
    "assignments": ("/review/rounds/{round}/assignments", ".assignment-board"),
    "pairing": ("/coordination/pairing/", ".pairing-list"),
    "csc": ("/csc/round/{round}", ".csc-list"),
}
# Pages whose demo list is empty, or made empty by a search: their empty states are in the screenshots.
OTHER_PAGES = {
    "offers": "/coordination/offers/{round}",
    "exports": "/coordination/jobs/",
    "applications-none": "/coordination/applications/?round={round}&q=nobody-by-this-name",
    "search-none": "/coordination/search/?q=nobody-by-this-name",
}
# The height of a row of one line: its text's line height plus the cell's padding, and a little room for a badge.
ROW_HEIGHTS = """() => [...document.querySelectorAll('.applications-list tbody tr')].map(row => {
  const cell = row.querySelector('td'); const style = getComputedStyle(cell);
  return {height: row.getBoundingClientRect().height, line: parseFloat(style.lineHeight)}; })"""
# Whether the table's first cell of each body row is in the viewport after the table is scrolled to its far end.
KEY_COLUMN_IN_VIEW = """selector => { const table = document.querySelector(selector);
  const box = table.closest('.table-responsive'); box.scrollLeft = box.scrollWidth;
  const cell = table.querySelector('tbody tr .key') || table.querySelector('tbody tr > :first-child');
  const r = cell.getBoundingClientRect();
  return {scrolls: box.scrollWidth > box.clientWidth, left: r.left, right: r.right, width: innerWidth}; }"""


def demo_round(app) -> int:
    """The demo's open round (its id differs between databases: PostgreSQL's sequences run on)."""
    with app.app_context():
        round_id = db.session.scalars(select(IntakeRound.id).where(IntakeRound.closes_at > utcnow())).one()
        db.session.remove()
    return round_id


def test_one_line_per_application_at_1280_px(app, page):
    sign_in_to_demo(app, page, COORDINATOR)
    problems = []
    for language in ("de", "en", "zh"):
        speak(app, COORDINATOR, language)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto("/coordination/applications/")
        rows = page.evaluate(ROW_HEIGHTS)
        save_screenshots(page, f"tables-applications-{language}")
        assert rows, "the demo's applications list shows no row"
        problems += [f"{language}: a row {row['height']:.0f} px tall (line {row['line']:.0f} px)"
                     for row in rows if row["height"] > 1.6 * row["line"] + 10]
    assert problems == [], "\n".join(problems)


def test_wide_tables_keep_their_key_column_in_view_on_a_phone(app, page):
    sign_in_to_demo(app, page, COORDINATOR)
    intake = demo_round(app)
    problems = []
    for language in ("de", "en", "zh"):
        speak(app, COORDINATOR, language)
        for name, (path, selector) in WIDE_TABLES.items():
            page.set_viewport_size({"width": 1280, "height": 800})
            page.goto(path.format(round=intake))
            save_screenshots(page, f"tables-{name}-{language}")
            page.set_viewport_size({"width": 390, "height": 800})
            found = page.evaluate(KEY_COLUMN_IN_VIEW, selector)
            if found["left"] < 0 or found["right"] > found["width"]:
                problems.append(f"{language} {name}: the key column is out of view at 390 px ({found})")
        for name, path in OTHER_PAGES.items():
            page.set_viewport_size({"width": 1280, "height": 800})
            page.goto(path.format(round=intake))
            save_screenshots(page, f"tables-{name}-{language}")
    assert problems == [], "\n".join(problems)
