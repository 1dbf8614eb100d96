"""Interviews in a real browser: an applicant books a time, moves it and cancels it, in Chinese and in German; the
coordinator's interview page and the panel's list. Full-page screenshots at 1280 and 390 px go to tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal import db
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.interviews.models import InterviewBooking
from tests.conftest import enrol_second_factor, sign_in_in_browser
from tests.factories import PASSWORD, UserFactory, committee_member, submitted_application
from tests.fixtures_browser import save_screenshots
from tests.interview_factories import future, invite_too, make_interview

pytestmark = pytest.mark.browser

TEXTS = {
    "zh": {
        "book": "预约此时间",
        "move": "改到此时间",
        "cancel": "取消面试",
        "booked": "您的面试已预约",
        "moved": "您的面试时间已更改",
        "cancelled": "面试已取消",
        "ics": "添加到我的日历（.ics）",
    },
    "de": {
        "book": "Diesen Termin buchen",
        "move": "Hierher verschieben",
        "cancel": "Auswahlgespräch absagen",
        "booked": "Ihr Auswahlgespräch ist gebucht",
        "moved": "Ihr Auswahlgespräch wurde verschoben",
        "cancelled": "Das Auswahlgespräch wurde abgesagt",
        "ics": "In meinen Kalender (.ics)",
    },
}


@pytest.fixture
def journey(app):
    """One interview with four times and two invited applicants: one in Shanghai writing Chinese, one in Berlin
    writing German; a committee member (German) on the panel and a coordinator."""
    with app.test_request_context():
        member = committee_member("LUH", name="Thomas Krüger", language="de")
        chinese = submitted_application()
        chinese.applicant.language, chinese.applicant.timezone = "zh", "Asia/Shanghai"
        chinese.given_names, chinese.family_name, chinese.native_name = "Wei", "Li", "李伟"
        german = submitted_application(intake_round=chinese.intake_round)
        german.applicant.language, german.applicant.timezone = "de", "Europe/Berlin"
        german.given_names, german.family_name = "Jonas", "Weber"
        starts = [future(10, 7), future(10, 8), future(11, 7), future(11, 8)]
        interview, zh_invitation = make_interview(chinese, [member], starts)
        invite_too(interview, german)
        coordinator = UserFactory(roles=[Role.COORDINATOR], language="de")
        uninvited = submitted_application(intake_round=chinese.intake_round)
        db.session.commit()
        data = {
            "zh": chinese.applicant.email,
            "de": german.applicant.email,
            "coordinator": coordinator.email,
            "secret": enrol_second_factor(app, coordinator),
            "member": member.email,
            "interview": interview.id,
            "zh_invitation": zh_invitation.id,
            "uninvited": uninvited.id,
        }
        db.session.remove()
    return data


def _sign_out(page: Page) -> None:
    page.locator("form[action='/account/logout'] button").click()
    page.wait_for_url(lambda url: "/account" not in url or url.endswith("/"))


def _book_move_cancel(page: Page, language: str) -> None:
    words = TEXTS[language]
    page.goto("/interviews/mine")
    expect(page.locator("html")).to_have_attribute("lang", language)
    save_screenshots(page, f"interview-choose-{language}")
    page.get_by_role("button", name=words["book"]).first.click()
    expect(page.locator(".alert-success").first).to_contain_text(words["booked"])
    expect(page.locator(".interview-booked")).to_be_visible()
    save_screenshots(page, f"interview-booked-{language}")
    page.get_by_role("button", name=words["move"]).last.click()
    expect(page.locator(".alert-success").first).to_contain_text(words["moved"])
    save_screenshots(page, f"interview-moved-{language}")
    page.get_by_role("button", name=words["cancel"]).click()
    expect(page.locator(".alert-success").first).to_contain_text(words["cancelled"])
    expect(page.locator(".interview-booked")).to_have_count(0)


def test_applicants_book_move_and_cancel_in_chinese_and_german(app, page, journey):
    for language in ("zh", "de"):
        sign_in_in_browser(page, app, journey[language], PASSWORD)
        _book_move_cancel(page, language)
        # Booked again, the status page links the calendar file.
        page.get_by_role("button", name=TEXTS[language]["book"]).first.click()
        page.goto("/dashboard")
        page.locator("main a[href^='/application/']").first.click()
        link = page.get_by_role("link", name=TEXTS[language]["ics"])
        expect(link).to_be_visible()
        save_screenshots(page, f"interview-status-{language}")
        _sign_out(page)
    with app.app_context():
        assert len(db.session.scalars(select(InterviewBooking)).all()) == 2
        zh_mail = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.recipient == journey["zh"]).order_by(OutboxEmail.id)
        ).all()
        assert [e.template for e in zh_mail if e.template != "interview_invited"] == [
            "interview_booked",
            "interview_moved",
            "interview_cancelled",
            "interview_booked",
        ]
        assert all(e.language == "zh" for e in zh_mail)
        db.session.remove()


def test_the_coordinators_interview_page_and_the_panels_list(app, page, journey):
    sign_in_in_browser(page, app, journey["coordinator"], PASSWORD, secret=journey["secret"])
    page.goto(f"/interviews/{journey['interview']}")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("table.interview-slots tbody tr")).to_have_count(4)
    save_screenshots(page, "interview-coordinator-de")
    # From the ranking, the third applicant (not invited yet) is invited to this interview.
    page.goto(f"/staff/applications/{journey['uninvited']}")
    page.locator(f"a[href='/interviews/invite/{journey['uninvited']}']").click()
    save_screenshots(page, "interview-invite-de")
    page.locator("select[name=interview]").select_option(str(journey["interview"]))
    page.locator("main form [type=submit]").click()
    expect(page.locator(".interview-invitations li")).to_have_count(3)
    _sign_out(page)
    sign_in_in_browser(page, app, journey["member"], PASSWORD)
    page.goto("/interviews/panel")
    save_screenshots(page, "interview-panel-de")
