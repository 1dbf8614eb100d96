"""The reviewer's ten reviews and the coordinator's proposal swap in a real browser, in German and in Chinese; the
documents read inline beside the form in Chromium's own PDF viewer.

The ten reviews are counted, not timed: every click the reviewer makes from the assigned list to the last submit goes
through `Journey.click` (no keyboard is used; a keypress would be counted the same way).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal import db
from portal.applications.models import Application, DocumentKind
from portal.core import storage
from portal.core.roles import Role
from portal.demo.context import make_pdf
from portal.review.models import CRITERIA, SUGGESTED_RECOMMENDATIONS, Review, ReviewAssignment
from tests.conftest import enrol_second_factor, sign_in_in_browser
from tests.factories import PASSWORD, IntakeRoundFactory, UserFactory, assigned, committee_member, judged
from tests.fixtures_browser import save_screenshots

pytestmark = pytest.mark.browser

LANGUAGES = ["de", "zh"]
PROGRESS = {"de": "{n} von 10 eingereicht", "zh": "已提交 {n} / 10"}
PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"  # Chromium's built-in PDF viewer
# The scores the reviewer gives, one row per application: varied, as real reviews are.
SCORES = [
    (5, 4, 5, 4, 5),
    (3, 3, 4, 2, 3),
    (2, 1, 2, 3, 2),
    (4, 4, 3, 4, 4),
    (5, 5, 5, 5, 4),
    (3, 2, 3, 3, 3),
    (4, 5, 4, 3, 4),
    (1, 2, 1, 2, 2),
    (4, 3, 4, 4, 3),
    (3, 4, 3, 3, 4),
]
# The assigned list leads with the next open review, so per review: five scores and "Submit and next" (6); the
# recommendation is suggested from the scores. The issue asks for at most 60.
CLICK_BUDGET = 60


def sign_in(page: Page, email: str) -> None:
    page.goto("/account/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit], main form input[type=submit]").last.click()
    page.wait_for_load_state()


def shoot_review_page(page: Page, name: str) -> None:
    """The review page from its top, its form pane too: as the professor sees it, and the whole page."""
    page.evaluate("() => { window.scrollTo(0, 0); document.querySelector('.review-pane').scrollTop = 0; }")
    save_screenshots(page, name, full_page=False)
    save_screenshots(page, name)


def readable_cv(application: Application, text: str) -> None:
    """Give the application's CV real text, so that the framed PDF shows something to read."""
    cv = next(d for d in application.documents if d.kind == DocumentKind.CV)
    content = make_pdf("Curriculum vitae", [application.display_name, text])
    stored = storage.save_bytes(content)
    cv.storage_key, cv.size_bytes, cv.sha256 = stored.key, stored.size_bytes, stored.sha256


@pytest.fixture
def ten_to_review(app):
    """A committee member (speaking the language asked for) assigned to ten submitted applications of an open round."""

    def make(language: str) -> tuple[str, list[int]]:
        with app.app_context():
            intake = IntakeRoundFactory()
            member = committee_member("LUH", language=language, name="Thomas Krüger")
            applications = [judged(intake, family=f"Bewerber{n:02d}") for n in range(10)]
            for n, application in enumerate(applications):
                readable_cv(application, f"Master of Engineering, thesis on hydrogen storage ({n + 1}).")
                assigned(member, application)
            db.session.commit()
            email, ids = member.email, [a.id for a in sorted(applications, key=lambda a: a.reference)]
            db.session.remove()
        return email, ids

    return make


class Journey:
    """Every action of the reviewer, counted."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.clicks = 0

    def click(self, locator) -> None:
        locator.click()
        self.clicks += 1


def suggested(scores: tuple[int, ...]) -> str:
    mean = sum(scores) / len(scores)
    return next(recommendation.value for limit, recommendation in SUGGESTED_RECOMMENDATIONS if mean >= limit)


@pytest.mark.parametrize("language", LANGUAGES)
def test_ten_reviews_from_the_assigned_list_are_counted_in_clicks(app, page, ten_to_review, language):
    email, ids = ten_to_review(language)
    sign_in(page, email)
    page.goto("/review/")
    save_screenshots(page, f"review-assigned-list-{language}")
    journey = Journey(page)

    expect(page.locator("#next-review")).to_contain_text("BEWERBER00")
    for number, (application_id, scores) in enumerate(zip(ids, SCORES, strict=True), start=1):
        expect(page.locator("#review-progress")).to_contain_text(PROGRESS[language].format(n=number - 1))
        for name, score in zip(CRITERIA, scores, strict=True):
            journey.click(page.locator(f"label[for='{name}-{score - 1}']"))
        expect(page.locator("input[name=recommendation]:checked")).to_have_value(suggested(scores))
        expect(page.locator(".recommendation-hint")).to_be_visible()
        if number == 1:
            shoot_review_page(page, f"review-page-scored-{language}")
        last = number == len(ids)
        button = page.locator("input[name=submit]" if last else "input[name=submit_next]")
        with page.expect_navigation():
            journey.click(button)
        expected = ids[number] if not last else application_id
        expect(page).to_have_url(re.compile(rf"/review/application/{expected}$"))

    assert journey.clicks <= CLICK_BUDGET, journey.clicks
    assert journey.clicks == 10 * (len(CRITERIA) + 1)
    expect(page.locator("#review-progress")).to_contain_text(PROGRESS[language].format(n=10))
    shoot_review_page(page, f"review-page-last-submitted-{language}")
    with app.app_context():
        reviews = db.session.scalars(
            select(Review).join(ReviewAssignment).order_by(ReviewAssignment.application_id)
        ).all()
        by_application = {r.assignment.application_id: r for r in reviews}
        for application_id, scores in zip(ids, SCORES, strict=True):
            review = by_application[application_id]
            assert review.submitted and tuple(review.scores) == scores
            assert review.recommendation.value == suggested(scores)
        db.session.remove()


@pytest.mark.parametrize("language", LANGUAGES)
def test_documents_read_inline_beside_the_form_which_stays_in_view(app, page, ten_to_review, language):
    email, ids = ten_to_review(language)
    sign_in(page, email)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"/review/application/{ids[0]}")
    # The browser's own PDF viewer shows the CV in the frame (the document's headers allow exactly that).
    expect(page.locator("iframe.document-frame")).to_be_visible()
    _wait_for_viewer(page)
    form_pane, frame = page.locator(".review-pane"), page.locator("iframe.document-frame")
    documents, pane = frame.bounding_box(), form_pane.bounding_box()
    assert documents["x"] + documents["width"] <= pane["x"]  # beside, not above
    assert documents["width"] >= 700 and documents["height"] >= 550  # readable
    # Another document: the chooser loads it into the frame and the toolbar follows it.
    second = page.locator(".document-chooser a").nth(1)
    second.click()
    expect(second).to_have_attribute("aria-current", "true")
    expect(page.locator(".document-toolbar .document-open")).to_have_attribute(
        "href", second.get_attribute("data-open")
    )
    _wait_for_viewer(page)
    with page.context.expect_page() as opened:
        page.locator(".document-toolbar .document-open").click()
    tab = opened.value
    tab.wait_for_load_state()
    assert "disposition=inline" in tab.url
    tab.close()
    # The form stays in view while the page scrolls down to the application's details.
    page.mouse.move(640, 60)
    page.mouse.wheel(0, 1500)
    page.wait_for_timeout(300)
    assert page.evaluate("window.scrollY") > 1000
    box = form_pane.bounding_box()
    assert 0 <= box["y"] <= 20 and box["height"] > 500
    shoot_review_page(page, f"review-page-documents-{language}")
    # On a phone the form follows the documents, before the application's details.
    page.set_viewport_size({"width": 390, "height": 800})
    order = page.evaluate(
        "() => ['.review-documents', '.review-pane', '.review-details'].map(s => document.querySelector(s)"
        ".getBoundingClientRect().top)"
    )
    assert order == sorted(order)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_without_javascript_the_chooser_still_loads_each_document_into_the_frame(browser, live_server, ten_to_review):
    email, ids = ten_to_review("de")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, email)
        page.goto(f"/review/application/{ids[0]}")
        expect(page.locator(".document-toolbar")).to_be_hidden()  # the toolbar needs JavaScript; the list does not
        _wait_for_viewer(page)
        chosen = page.locator(".document-chooser a").nth(2)
        chosen.click()
        target = chosen.get_attribute("href").split("#")[0]
        for _ in range(40):
            if any(target in frame.url for frame in page.frames):
                break
            page.wait_for_timeout(250)
        assert any(target in frame.url for frame in page.frames), [frame.url for frame in page.frames]
        assert page.url.endswith(f"/review/application/{ids[0]}")  # the page itself stayed: nothing typed is lost
        expect(page.locator("input[name=recommendation]:checked")).to_have_count(0)  # no suggestion without JS
    finally:
        context.close()


def _wait_for_viewer(page: Page) -> None:
    """Until the frame shows Chromium's PDF viewer (not a download, not a refusal to be framed)."""
    for _ in range(40):
        if any(frame.url.startswith(PDF_VIEWER) for frame in page.frames):
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"no PDF viewer in the frame: {[frame.url for frame in page.frames]}")


# --- The coordinator swaps a proposed reviewer ----------------------------------------------------------------------


@pytest.fixture
def round_to_assign(app):
    def make(language: str) -> tuple[str, str, int, dict[str, int]]:
        with app.app_context():
            intake = IntakeRoundFactory()
            for n in range(3):
                judged(intake, family=f"Antrag{n}")
            seats = (("UGOE", "Anke Germer"), ("LUH", "Bernd Hahn"), ("SCU", "Chen Bo"), ("ZZU", "Du Fang"))
            members = {name: committee_member(code, name=name).id for code, name in seats}
            members["Gu Hong"] = committee_member("TONGJI", name="Gu Hong").id  # Tongji: a conflict with all three
            coordinator = UserFactory(roles=[Role.COORDINATOR], language=language)
            db.session.commit()
            secret = enrol_second_factor(app, coordinator)
            result = coordinator.email, secret, intake.id, members
            db.session.remove()
        return result

    return make


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_coordinator_swaps_a_reviewer_and_confirms_an_uneven_proposal(app, page, round_to_assign, language):
    email, secret, round_id, members = round_to_assign(language)
    sign_in_in_browser(page, app, email, PASSWORD, secret=secret)
    page.goto(f"/review/rounds/{round_id}/assignments")
    page.locator("input[name=per_application]").fill("2")
    page.locator("form[method=get] input[type=submit]").click()
    rows = page.locator("select[name=pair]")
    expect(rows).to_have_count(6)
    for index in range(6):  # the member at Tongji is never offered
        assert "Gu Hong" not in rows.nth(index).inner_text()
    save_screenshots(page, f"proposal-computed-{language}")

    # A German member instead of Chen Bo: that application loses its Chinese reviewer.
    values = [rows.nth(i).input_value() for i in range(6)]
    chen_row = next(i for i, value in enumerate(values) if value.endswith(f":{members['Chen Bo']}"))
    application_id = values[chen_row].split(":")[0]
    on_it = {value.split(":")[1] for value in values if value.startswith(f"{application_id}:")}
    german = next(members[n] for n in ("Anke Germer", "Bernd Hahn") if str(members[n]) not in on_it)
    rows.nth(chen_row).select_option(f"{application_id}:{german}")
    page.locator("form[action$='/assignments/proposal'] input[type=submit]").click()
    expect(page.locator(".alert-warning[role=status]")).to_be_visible()
    expect(page.locator(f"#pair-{chen_row}-error")).to_be_visible()
    expect(rows.nth(chen_row)).to_have_value(f"{application_id}:{german}")  # the choice is kept
    save_screenshots(page, f"proposal-uneven-{language}")
    with app.app_context():
        assert db.session.scalars(select(ReviewAssignment)).all() == []
        db.session.remove()

    page.locator("input[name=balance_confirmed]").check()
    page.locator("form[action$='/assignments/proposal'] input[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    save_screenshots(page, f"proposal-saved-{language}")
    with app.app_context():
        saved = db.session.execute(select(ReviewAssignment.application_id, ReviewAssignment.reviewer_id)).all()
        assert len(saved) == 6 and (int(application_id), german) in saved
        assert all(reviewer != members["Gu Hong"] for _a, reviewer in saved)
        db.session.remove()
