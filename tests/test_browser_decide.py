"""The coordinator's bulk decision and the release in a real browser, in German and in Chinese: tick rows of the
ranking, choose the outcome, read each row's warnings, confirm with a reason; release while the round is still open,
which asks its own question. Screenshots at 1280 and 390 px go to tests/artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal import db
from portal.applications.models import ApplicationState, Decision, DecisionOutcome
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.review.models import Recommendation, StatementAnswer
from tests.conftest import enrol_second_factor, sign_in_in_browser
from tests.factories import PASSWORD, IntakeRoundFactory, UserFactory, add_review, add_statement, judged, supervisor
from tests.fixtures_browser import save_screenshots

pytestmark = pytest.mark.browser

TEXTS = {
    "de": {"reason_missing": "Bitte begründen Sie", "open": "noch für Bewerbungen offen", "saved": "gespeichert"},
    "zh": {"reason_missing": "请说明在有警告的情况下", "open": "仍在接受申请", "saved": "已保存"},
}


def _application(intake, family, *, reviews=2, recommendation=Recommendation.ADMIT, chinese_answer="willing"):
    application = judged(
        intake, state=ApplicationState.UNDER_REVIEW, family=family, german=supervisor("TUC"), chinese=supervisor("SCU")
    )
    for _ in range(reviews):
        add_review(application, 4).review.recommendation = recommendation
    add_statement(application, application.german_supervisor, StatementAnswer.WILLING)
    add_statement(application, application.chinese_supervisor, StatementAnswer(chinese_answer))
    return application


@pytest.fixture
def week(app, request):
    """An open round with three applications: one without warnings, one short of a review whose Chinese supervisor
    declined, one whose reviewers recommend rejecting; a coordinator writing `request.param`."""
    language = request.param
    with app.test_request_context():
        intake = IntakeRoundFactory(name=f"Intake 2028 {language}")
        rows = {
            "clean": _application(intake, "Adler"),
            "short": _application(intake, "Bauer", reviews=1, chinese_answer="unwilling"),
            "against": _application(intake, "Chen", recommendation=Recommendation.REJECT),
        }
        coordinator = UserFactory(roles=[Role.COORDINATOR], name="Julia Hoffmann", language=language)
        db.session.commit()
        secret = enrol_second_factor(app, coordinator)
        data = {"round": intake.id, "ids": {k: a.id for k, a in rows.items()}, "email": coordinator.email}
        data |= {"secret": secret, "language": language}
        db.session.remove()
    return data


@pytest.mark.parametrize("week", ["de", "zh"], indirect=True)
def test_bulk_decision_with_warnings_and_the_release_while_open(app, page: Page, week):
    language, ids, texts = week["language"], week["ids"], TEXTS[week["language"]]
    sign_in_in_browser(page, app, week["email"], PASSWORD, secret=week["secret"])
    page.goto(f"/review/rounds/{week['round']}/ranking")
    expect(page.locator("html")).to_have_attribute("lang", language)
    for application_id in ids.values():
        page.locator(f"#choose-{application_id}").check()
    page.locator("#bulk-decision select[name=outcome]").select_option("admit")
    save_screenshots(page, f"decide-ranking-{language}")
    page.locator("#bulk-decision [name=preview]").click()

    # Each row with its own warnings.
    rows = page.locator("#bulk-rows tbody tr")
    expect(rows).to_have_count(3)
    short = page.locator(f"tr:has(input[name=application_ids][value='{ids['short']}'])")
    expect(short.locator("[data-warning]")).to_have_count(2)
    expect(short.locator("[data-warning=few_reviews]")).to_be_visible()
    expect(short.locator("[data-warning=not_agreed]")).to_be_visible()
    against = page.locator(f"tr:has(input[name=application_ids][value='{ids['against']}'])")
    expect(against.locator("[data-warning=contradicted]")).to_be_visible()
    clean = page.locator(f"tr:has(input[name=application_ids][value='{ids['clean']}'])")
    expect(clean.locator("[data-warning]")).to_have_count(0)
    save_screenshots(page, f"decide-bulk-confirm-{language}")

    page.locator("[name=confirm]").click()  # without a reason: asked again, nothing saved
    expect(page.locator("#reason-error")).to_contain_text(texts["reason_missing"])
    page.locator("textarea[name=reason]").fill("Besprochen in der Kommissionssitzung. 已在委员会会议上讨论。")
    page.locator("[name=confirm]").click()
    page.wait_for_url(f"**/review/rounds/{week['round']}/ranking")
    expect(page.locator(".alert-success")).to_contain_text(texts["saved"])

    # The release while the round is still open asks its own question.
    page.goto(f"/review/rounds/{week['round']}/decisions")
    page.locator("[name=preview_all]").click()
    expect(page.locator("#round-still-open")).to_contain_text(texts["open"])
    save_screenshots(page, f"decide-release-open-{language}")
    page.locator("[name=confirm]").click()
    expect(page.locator("#confirm_open-error")).to_be_visible()
    page.locator("input[name=confirm_open]").check()
    page.locator("[name=confirm]").click()
    page.wait_for_url(f"**/review/rounds/{week['round']}/decisions")
    save_screenshots(page, f"decide-released-{language}")

    with app.app_context():
        decisions = db.session.scalars(select(Decision).where(Decision.application_id.in_(ids.values()))).all()
        assert {d.outcome for d in decisions} == {DecisionOutcome.ADMIT} and len(decisions) == 3
        assert all(d.released_at is not None for d in decisions)
        reasons = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "decision.recorded")).all()
        assert sorted(r.get("confirmed_reason", "") != "" for r in reasons) == [False, True, True]
        db.session.remove()
