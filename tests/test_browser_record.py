"""The staff record in a real browser: a coordinator reaches it from every list that names the application (the
dashboard's list of strong disagreements, the applications list, the ranking, the decision page, the pairing list, a
German and a Chinese doctoral office, the history), in German and in Chinese; a committee member from the list of
applications assigned to them, and a supervisor from their candidate's page. Full-page screenshots at 1280 and 390 px
go to tests/artifacts/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal import db
from portal.applications.models import ApplicationState, DocumentKind
from portal.core import audit
from portal.core.outbox import notify
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review.models import StatementAnswer
from tests.conftest import enrol_second_factor, sign_in_in_browser
from tests.factories import (
    PASSWORD,
    IntakeRoundFactory,
    UserFactory,
    add_document,
    add_review,
    add_statement,
    committee_member,
    judged,
    make_pdf,
    supervisor,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
WIDTHS = (1280, 390)
COMMENT = "Überzeugender Plan, aber die Methodik ist noch dünn. 方法部分需要加强。"
OTHER_COMMENT = "Excellent grades and a well-scoped first year."


@pytest.fixture
def journey(app):
    """An application under review whose two reviewers disagree strongly, with letters, statements, emails and
    history; the coordinator (German), the assigned member (Chinese) and the chosen German supervisor."""
    with app.test_request_context():
        intake = IntakeRoundFactory(name="Intake 2027")
        coordinator = UserFactory(roles=[Role.COORDINATOR], name="Julia Hoffmann", language="de")
        german = supervisor("TUC", user__name="Anna Weber", user__language="de")
        chinese = supervisor("TONGJI", user__name="Li Wei", user__language="zh")
        application = judged(intake, state=ApplicationState.UNDER_REVIEW, german=german, chinese=chinese)
        application.given_names, application.family_name = "Xiaoming", "Wang"
        letter = add_document(application, DocumentKind.REFEREE_LETTER, make_pdf(1), "empfehlung-prof-zhang.pdf")
        first, second = application.referees
        first.letter_document, first.letter_received_at = letter, utcnow()
        second.letter_text, second.letter_received_at = "I recommend him without reservation.", utcnow()
        add_statement(application, german, StatementAnswer.WILLING, comment="Passt sehr gut zu meiner Gruppe.")
        add_statement(application, chinese, StatementAnswer.CONDITIONAL, conditions="需要奖学金。")
        member = committee_member("ZZU", name="Zhou Min", language="zh")
        add_review(application, 5, reviewer=member).review.comment = OTHER_COMMENT
        krueger = committee_member("LUH", name="Thomas Krüger")
        add_review(application, (3, 3, 4, 3, 3), reviewer=krueger).review.comment = COMMENT
        notify(application.applicant, "application_submitted", application=application, link="http://portal.test/")
        audit.record("application.submitted", application, actor_id=application.applicant_id)
        db.session.commit()
        secret = enrol_second_factor(app, coordinator)
        data = {
            "id": application.id,
            "reference": application.reference,
            "coordinator": coordinator.email,
            "coordinator_secret": secret,
            "member": member.email,
            "supervisor": german.user.email,
            "round": intake.id,
        }
        db.session.remove()
    ARTIFACTS.mkdir(exist_ok=True)
    return data


def sign_in(page: Page, email: str) -> None:
    page.goto("/account/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url("**/dashboard")


def sign_out(page: Page) -> None:
    page.locator("form[action='/account/logout'] button").click()
    page.wait_for_url(re.compile(r".*/$"))


def expect_record(page: Page, journey: dict) -> None:
    """The record page of the journey's application, whole."""
    page.wait_for_url(f"**/staff/applications/{journey['id']}")
    expect(page.locator("h1")).to_contain_text(journey["reference"])
    expect(page.locator("h1")).to_contain_text("Xiaoming WANG")


def shoot(page: Page, name: str) -> None:
    """Full-page screenshots of the current page as it is (folded-out parts stay open) at each width."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def follow(page: Page, start: str, link, journey: dict) -> None:
    """From the page at start, click the link to the record, and check that it arrived."""
    page.goto(start)
    link(page).click()
    expect_record(page, journey)


def reference_link(journey: dict):
    return lambda page: page.locator(f"main a[href='/staff/applications/{journey['id']}']").first


def test_a_coordinator_reaches_the_record_from_every_list_in_german_and_chinese(app, page, journey):
    sign_in_in_browser(page, app, journey["coordinator"], PASSWORD, secret=journey["coordinator_secret"])
    to_record = reference_link(journey)
    for language in ("de", "zh"):
        if language == "zh":
            page.get_by_role("button", name="中文").click()
            expect(page.locator("html")).to_have_attribute("lang", "zh")
        # The dashboard's list of things to look at: the reviewers disagree strongly.
        follow(page, f"/coordination/?round={journey['round']}", to_record, journey)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("#reviews")).to_contain_text(COMMENT)
        shoot(page, f"record-coordinator-{language}")
        follow(page, f"/coordination/applications/?round={journey['round']}", to_record, journey)
        # The ranking: the comments fold out per row, without JavaScript's help (a <details>).
        page.goto(f"/review/rounds/{journey['round']}/ranking")
        comments = page.locator("details.review-comments").first
        expect(comments.locator(".review-comment").first).to_be_hidden()
        comments.locator("summary").click()
        expect(comments).to_contain_text(COMMENT)
        shoot(page, f"ranking-comments-{language}")
        to_record(page).click()
        expect_record(page, journey)
        # The decision page names the comments and leads to the complete record.
        page.goto(f"/review/application/{journey['id']}/decision")
        expect(page.locator("details.review-comments")).to_contain_text(OTHER_COMMENT)
        to_record(page).click()
        expect_record(page, journey)
        follow(page, f"/coordination/pairing/?round={journey['round']}", to_record, journey)
        # The doctoral offices: a German one (by the German supervisor) and a Chinese one (by the Chinese supervisor).
        for code in ("TUC", "TONGJI"):
            page.goto(f"/coordination/office/?round={journey['round']}")
            page.locator(f"tr[data-code='{code}'] td a").first.click()
            page.wait_for_url(f"**/coordination/office/{code}/**")
            if code == "TONGJI":
                expect(page.locator(".export-language")).to_contain_text("中文")
                shoot(page, f"office-tongji-{language}")
            to_record(page).click()
            expect_record(page, journey)
        follow(page, f"/review/application/{journey['id']}/history", to_record, journey)


def test_a_committee_member_and_a_supervisor_reach_the_record_from_their_lists(page, journey):
    sign_in(page, journey["member"])
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    page.goto("/review/")
    page.get_by_role("link", name=re.compile("档案")).first.click()
    expect_record(page, journey)
    # Their own review is submitted: they read the other's comment, but nothing of the coordinators' parts.
    expect(page.locator("#reviews")).to_contain_text(COMMENT)
    expect(page.locator("#emails")).to_have_count(0)
    expect(page.locator("#history")).to_have_count(0)
    shoot(page, "record-member-zh")
    sign_out(page)

    sign_in(page, journey["supervisor"])
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.goto(f"/supervise/{journey['id']}")
    page.get_by_role("link", name="Die vollständige Akte").click()
    expect_record(page, journey)
    expect(page.locator("#reviews")).to_have_count(0)
    expect(page.locator("#statements")).to_contain_text("Passt sehr gut zu meiner Gruppe.")
    shoot(page, "record-supervisor-de")
