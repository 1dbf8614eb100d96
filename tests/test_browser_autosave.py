"""In a real browser: a step saves itself every 30 seconds, before another step is opened, before the browser leaves
the page and when the page goes out of sight (a phone switching apps); a conflict keeps the text; an unfinished "add a
degree" box is only left when confirmed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal import db
from portal.applications.models import Application
from portal.core.roles import Role
from tests.conftest import sign_in_in_browser
from tests.factories import PASSWORD, ApplicationFactory, IntakeRoundFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def draft_id(app) -> int:
    with app.app_context():
        person = UserFactory(roles=[Role.APPLICANT], email="zhao.lei@example.org", name="Zhao Lei", language="en")
        application = ApplicationFactory(applicant=person, intake_round=IntakeRoundFactory(name="Intake 2027"))
        db.session.commit()
        application_id = application.id
        db.session.remove()
    return application_id


def saved(app, application_id: int) -> Application:
    with app.app_context():
        application = db.session.get(Application, application_id)
        db.session.remove()
    return application


def test_opening_another_step_saves_the_typed_text_first(app, page, draft_id):
    sign_in_in_browser(page, app, "zhao.lei@example.org", PASSWORD)
    page.goto(f"/application/{draft_id}/proposal")
    page.get_by_label("Title of the research project").fill("Sediments of the Yangtze delta")
    page.get_by_role("navigation", name="Steps of the application").get_by_role(
        "link", name=re.compile("Languages")
    ).click()
    page.wait_for_url("**/languages")
    assert saved(app, draft_id).proposal_title == "Sediments of the Yangtze delta"


def test_the_step_saves_itself_every_30_seconds_and_a_conflict_keeps_the_text(app, page, draft_id):
    page.clock.install()
    sign_in_in_browser(page, app, "zhao.lei@example.org", PASSWORD)
    page.goto(f"/application/{draft_id}/proposal")
    title = page.get_by_label("Title of the research project")
    title.fill("First words")
    page.clock.run_for(31_000)
    expect(page.locator(".autosave-note")).to_contain_text("Saved automatically at")
    assert saved(app, draft_id).proposal_title == "First words"
    with app.app_context():  # another tab saves meanwhile
        db.session.get(Application, draft_id).proposal_title = "From the other tab"
        db.session.commit()
        db.session.remove()
    title.fill("Second words")
    page.clock.run_for(31_000)
    expect(page.locator(".autosave-note")).to_contain_text("another tab")
    expect(title).to_have_value("Second words")
    assert saved(app, draft_id).proposal_title == "From the other tab"


def test_leaving_an_unfinished_degree_box_asks_first(app, page, draft_id):
    sign_in_in_browser(page, app, "zhao.lei@example.org", PASSWORD)
    page.goto(f"/application/{draft_id}/education")
    page.get_by_label("Subject").fill("Geology")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("navigation", name="Steps of the application").get_by_role(
        "link", name=re.compile("Languages")
    ).click()
    expect(page.get_by_label("Subject")).to_have_value("Geology")
    assert questions and "not saved yet" in questions[0]
    assert page.url.endswith("/education")


def test_leaving_the_page_in_the_browser_saves_the_typed_text(app, page, draft_id):
    sign_in_in_browser(page, app, "zhao.lei@example.org", PASSWORD)
    page.goto(f"/application/{draft_id}/proposal")
    page.get_by_label("Title of the research project").fill("Loess of the Chinese plateau")
    asked = []
    # The browser may ask whether to leave (the save is sent while it asks): the person leaves.
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
    # Another address typed into the browser, no link of the portal clicked: the step's save goes out as the page goes.
    with page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/proposal")):
        page.goto("/account/settings")
    # The save outlives the page (keepalive), so the browser reports no answer to it: wait until it has arrived.
    for _ in range(100):
        if saved(app, draft_id).proposal_title:
            break
        page.wait_for_timeout(100)
    page.goto(f"/application/{draft_id}/proposal")
    expect(page.get_by_label("Title of the research project")).to_have_value("Loess of the Chinese plateau")
    assert set(asked) <= {"beforeunload"}


def test_a_page_going_out_of_sight_saves_the_typed_text(app, page, draft_id):
    sign_in_in_browser(page, app, "zhao.lei@example.org", PASSWORD)
    page.goto(f"/application/{draft_id}/proposal")
    page.get_by_label("Title of the research project").fill("Karst of Guangxi")
    # What a phone does when its person opens another app: the page is hidden, no beforeunload, no navigation.
    with page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/proposal")):
        page.evaluate(
            "Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
            "document.dispatchEvent(new Event('visibilitychange'))"
        )
    for _ in range(100):
        if saved(app, draft_id).proposal_title:
            break
        page.wait_for_timeout(100)
    assert saved(app, draft_id).proposal_title == "Karst of Guangxi"
