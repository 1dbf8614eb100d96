"""The offer in a real browser: an admitted applicant accepts in Chinese and ticks a next step, another declines in
German with a reason, and the coordinator (German, two-factor sign-in) sees the acceptances and offers the freed place
to the next on the waiting list, confirming a supervisor's capacity. Screenshots at 1280 and 390 px in tests/artifacts/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal import db
from portal.applications.models import Application, Decision, DecisionOutcome
from portal.core.outbox import OutboxEmail
from portal.offers.models import ChecklistItem, Offer, OfferState
from tests.conftest import enrol_second_factor, sign_in_in_browser
from tests.factories import PASSWORD
from tests.fixtures_browser import save_screenshots
from tests.offer_helpers import released_round

pytestmark = pytest.mark.browser


@pytest.fixture
def journey(app):
    with app.test_request_context():
        world = released_round(languages=("zh", "de"))
        texts = [
            ("Enrol at your German university", "An der deutschen Universität einschreiben", "在德国大学办理注册"),
            ("Apply for your visa", "Visum beantragen", "申请签证"),
        ]
        for position, (en, de, zh) in enumerate(texts, start=1):
            db.session.add(
                ChecklistItem(round_id=world["intake"], position=position, text_en=en, text_de=de, text_zh=zh)
            )
        people = {
            key: db.session.get(Application, world[group][index]).applicant.email
            for key, group, index in (("zh", "admitted", 0), ("de", "admitted", 1), ("next", "waiting", 1))
        }
        from portal.accounts.models import User

        coordinator = db.session.get(User, world["coordinator"])
        db.session.commit()
        secret = enrol_second_factor(app, coordinator)
        data = {**world, **people, "coordinator_email": coordinator.email, "secret": secret}
        db.session.remove()
    return data


def switch_to(page: Page, app, email: str, secret: str | None = None) -> None:
    page.context.clear_cookies()
    sign_in_in_browser(page, app, email, PASSWORD, secret=secret)


def state_of(application_id: int) -> OfferState | None:
    db.session.remove()
    return db.session.scalar(select(Offer.state).where(Offer.application_id == application_id))


def test_accept_in_chinese_decline_in_german_and_offer_to_the_next(app, page: Page, journey):
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmations the buttons ask for
    # Chinese: accept, then tick a next step.
    switch_to(page, app, journey["zh"])
    page.goto(f"/application/{journey['admitted'][0]}")
    expect(page.locator("html")).to_have_attribute("lang", "zh")
    offer = page.locator("#offer")
    expect(offer).to_contain_text("您在国际博士生院的录取名额")
    save_screenshots(page, "offer-applicant-zh-open")
    offer.get_by_role("button", name="接受录取名额").click()
    expect(page.locator("#offer")).to_contain_text("已接受")
    page.locator("#offer").get_by_label("在德国大学办理注册").check()
    page.locator("#offer").get_by_role("button", name="保存进度").click()
    expect(page.locator("#offer").get_by_label("在德国大学办理注册")).to_be_checked()
    save_screenshots(page, "offer-applicant-zh-accepted")
    with app.app_context():
        assert state_of(journey["admitted"][0]) == OfferState.ACCEPTED

    # German: decline with a reason.
    switch_to(page, app, journey["de"])
    page.goto(f"/application/{journey['admitted'][1]}")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.locator("#offer summary").click()
    page.locator("#offer textarea[name=reason]").fill("Ich habe eine Stelle in der Industrie angenommen.")
    save_screenshots(page, "offer-applicant-de-declining")
    page.locator("#offer").get_by_role("button", name="Platz ablehnen").click()
    expect(page.locator("#offer")).to_contain_text("Abgelehnt")
    save_screenshots(page, "offer-applicant-de-declined")
    with app.app_context():
        assert state_of(journey["admitted"][1]) == OfferState.DECLINED

    # The coordinator: the acceptances, then the place offered to the next on the waiting list.
    switch_to(page, app, journey["coordinator_email"], journey["secret"])
    page.get_by_role("link", name="Angebote").first.click()
    page.locator("main .list-group a").first.click()  # the round
    expect(page.locator("[data-count=accepted]")).to_have_text("1")
    expect(page.locator("[data-count=declined]")).to_have_text("1")
    expect(page.locator("main")).to_contain_text("Ich habe eine Stelle in der Industrie angenommen.")
    save_screenshots(page, "offer-coordinator-acceptances")
    page.get_by_role("button", name="Platz anbieten").click()
    # The German supervisor's one place is taken by the candidate who accepted: the coordinator must confirm.
    expect(page.locator("main")).to_contain_text("Kapazität")
    page.get_by_label("Den Platz auch über die Kapazität").check()
    page.get_by_role("button", name="Platz anbieten").click()
    expect(page.locator(".alert-success")).to_contain_text("Der Platz wurde")
    expect(page.locator("[data-count=offered]")).to_have_text("1")
    save_screenshots(page, "offer-coordinator-offered-next")
    with app.app_context():
        next_id = journey["waiting"][1]
        assert state_of(next_id) == OfferState.OFFERED
        outcome = db.session.scalar(select(Decision.outcome).where(Decision.application_id == next_id))
        assert outcome == DecisionOutcome.ADMIT
        sent = db.session.scalars(select(OutboxEmail.recipient).where(OutboxEmail.template == "offer_made")).all()
        assert journey["next"] in sent
