"""The joint research plan in a real browser, in Chinese and in German: the applicant drafts it, the German supervisor
comments and approves, an edit withdraws that approval, both supervisors approve the new version, and the approved plan
downloads as a PDF."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal import db
from portal.applications.models import Application
from portal.plans.services import is_approved, plan_of
from portal.review.models import StatementAnswer
from tests.factories import PASSWORD, add_statement, submitted_application, supervisor
from tests.fixtures_browser import save_screenshots

pytestmark = pytest.mark.browser

TEXTS = {
    "zh": {
        "title": "面向智能制造的数字孪生",
        "summary": "本项目建立铣削过程的数字孪生模型，实时调整切削参数。",
        "saved": "计划已保存为第 1 版。",
        "approved": "两位导师均已批准",
        "withdrawn_warning": "保存修改将撤回所有批准",
    },
    "de": {
        "title": "Digitale Zwillinge für die adaptive Zerspanung",
        "summary": "Das Projekt baut einen digitalen Zwilling eines Fräsprozesses.",
        "saved": "Der Plan wurde als Fassung 1 gespeichert.",
        "approved": "Von beiden Betreuenden genehmigt",
        "withdrawn_warning": "werden die Zustimmungen zurückgezogen",
    },
}


def sign_in(page: Page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/account/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit], main form input[type=submit]").last.click()
    page.wait_for_load_state()


@pytest.fixture
def agreed(app):
    """A submitted application whose two supervisors both agreed, everyone speaking the language asked for."""

    def make(language: str) -> tuple[int, str, str, str]:
        with app.app_context():
            german = supervisor("TUC")
            chinese = supervisor("TONGJI")
            application = submitted_application(german_supervisor=german, chinese_supervisor=chinese)
            for person in (application.applicant, german.user, chinese.user):
                person.language = language
            german.user.name, chinese.user.name = "Anna Becker", "张伟"
            add_statement(application, german, StatementAnswer.WILLING)
            add_statement(application, chinese, StatementAnswer.WILLING)
            db.session.commit()
            result = (application.id, application.applicant.email, german.user.email, chinese.user.email)
            db.session.remove()
        return result

    return make


def fill_plan(page: Page, language: str, months_china: str) -> None:
    texts = TEXTS[language]
    page.locator("#title").fill(texts["title"])
    page.locator("#summary").fill(texts["summary"])
    page.locator("#work_packages").fill("WP1 Prozessmodell / 过程模型\nWP2 Werkzeugverschleiß / 刀具磨损")
    page.locator("#months_germany").fill("24")
    page.locator("#months_china").fill(months_china)
    page.locator("#milestones").fill("M1 (6)\nM2 第一篇论文 (18)")


@pytest.mark.parametrize("language", ["zh", "de"])
def test_draft_comment_edit_and_approve_a_plan(app, page, agreed, language):
    application_id, applicant, german, chinese = agreed(language)
    texts = TEXTS[language]

    sign_in(page, applicant)
    page.goto(f"/application/{application_id}")
    page.locator(f"main a[href='/plan/{application_id}']").click()
    page.locator(f"main a[href='/plan/{application_id}/edit']").click()
    fill_plan(page, language, "12")
    save_screenshots(page, f"plan-editor-{language}")
    page.locator("main form input[type=submit]").click()
    expect(page.locator(".alert-success, .alert")).to_contain_text(texts["saved"])

    sign_in(page, german)
    page.goto(f"/supervise/{application_id}")
    page.locator(f"main a[href='/plan/{application_id}']").click()
    page.locator("textarea[name=text]").fill("Bitte 14 Monate in Shanghai einplanen. 请在上海安排14个月。")
    page.locator("#comments ~ form input[type=submit], form[action$='/comment'] input[type=submit]").first.click()
    page.locator("form[action$='/approve'] button").click()
    expect(page.locator("form[action$='/approve']")).to_have_count(0)  # approved once: no second button
    save_screenshots(page, f"plan-one-approval-{language}")

    sign_in(page, applicant)
    page.goto(f"/plan/{application_id}/edit")
    expect(page.locator("main .alert-warning")).to_contain_text(texts["withdrawn_warning"])
    page.locator("#months_china").fill("14")
    page.locator("main form input[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/plan/{application_id}$"))

    for person in (german, chinese):
        sign_in(page, person)
        page.goto(f"/plan/{application_id}")
        page.locator("form[action$='/approve'] button").click()
    expect(page.locator("main .badge.text-bg-success")).to_have_text(texts["approved"])
    save_screenshots(page, f"plan-approved-{language}")
    with page.expect_download(timeout=120_000) as download:  # a PDF set in the CJK font: a few seconds under load
        page.locator(f"main a[href='/plan/{application_id}/plan.pdf']").click(no_wait_after=True)
    assert download.value.suggested_filename.endswith("-joint-plan-v2.pdf")
    page.goto(f"/plan/{application_id}/history")
    expect(page.locator(".plan-diff").first).to_contain_text("+14")
    save_screenshots(page, f"plan-history-{language}")

    with app.app_context():
        plan = plan_of(db.session.get(Application, application_id))
        assert is_approved(plan) and plan.current.number == 2 and plan.current.months_china == 14
        assert len(plan.comments) == 1
        withdrawn = [a for a in plan.approvals if a.withdrawn_at is not None]
        assert [a.version.number for a in withdrawn] == [1]
        db.session.remove()


@pytest.fixture
def csc_round(app):
    """An admitted candidate with an approved plan, and a coordinator (German, with two-factor sign-in)."""
    from portal.applications.models import DecisionOutcome
    from portal.core.roles import Role
    from tests.conftest import enrol_second_factor
    from tests.factories import UserFactory, add_decision
    from tests.test_plans import agreed_application, approved_plan

    with app.app_context():
        application = agreed_application()
        add_decision(application, DecisionOutcome.ADMIT)
        approved_plan(application)
        coordinator = UserFactory(roles=[Role.COORDINATOR], language="de")
        db.session.commit()
        result = (application.round_id, application.id, coordinator.email)
        secret = enrol_second_factor(app, coordinator)
        db.session.remove()
    return (*result, secret)


def test_the_coordinator_marks_a_csc_candidate_and_edits_a_letter_text(app, page, csc_round):
    from tests.conftest import sign_in_in_browser

    round_id, application_id, email, secret = csc_round
    sign_in_in_browser(page, app, email, PASSWORD, secret=secret)
    page.goto(f"/csc/round/{round_id}")
    page.locator("#opens_at").fill("2027-03-01T00:00")
    page.locator("#closes_at").fill("2027-03-31T23:59")
    page.locator("main form input[type=submit]").first.click()
    page.locator(f"form[action='/csc/application/{application_id}/mark'] button").click()
    expect(page.locator(f"form[action='/csc/application/{application_id}/package.pdf'] button")).to_be_visible()
    save_screenshots(page, "csc-round-de")
    with page.expect_download(timeout=120_000) as download:  # three PDFs set in the CJK font: a few seconds
        page.locator(f"form[action='/csc/application/{application_id}/package.pdf'] button").click(no_wait_after=True)
    assert download.value.suggested_filename.endswith("-csc.pdf")

    page.goto("/csc/letters/admission/zh")
    page.locator("#body").fill("亲爱的{name}：{name.__class__}")
    page.locator("main form input[type=submit]").click()
    expect(page.locator("#body-error")).to_contain_text("Unbekannter Platzhalter: {name.__class__}")
    save_screenshots(page, "csc-template-refused-de")
