"""The coordinators' side of the offers: the acceptances of a round with counts, offering a freed place to the next on
the waiting list (who is notified), the round's answer deadline and next-steps checklist in three languages, and the
applicant's ticks."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select, update

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, Decision, DecisionOutcome
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.offers.models import ChecklistItem, ChecklistTick, Offer, OfferSettings, OfferState
from tests.conftest import sign_in
from tests.factories import UserFactory
from tests.offer_helpers import actions, emails, offer_for, released_round

pytestmark = pytest.mark.usefixtures("plain_app_context")


@pytest.fixture
def world():
    return released_round()


@pytest.fixture
def coordinator(client, world):
    user = db.session.get(User, world["coordinator"])
    sign_in(client, user)
    return user


def outcome_of(application_id: int) -> DecisionOutcome:
    db.session.expire_all()
    return db.session.scalar(select(Decision.outcome).where(Decision.application_id == application_id))


def decline(application_id: int) -> None:
    offer = offer_for(application_id)
    offer.state, offer.answered_at = OfferState.DECLINED, utcnow()
    db.session.commit()


def next_form(world, application_id, **extra):
    deadline = (utcnow() + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    return {"application_id": str(application_id), "deadline": deadline, "zone": "Europe/Berlin", **extra}


def test_the_acceptances_list_counts_each_state(client, coordinator, world):
    decline(world["admitted"][1])
    page = client.get(f"/coordination/offers/{world['intake']}").get_data(as_text=True)
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', page))
    assert counts == {"offered": "1", "accepted": "0", "declined": "1", "expired": "0"}
    db.session.execute(update(Offer).where(Offer.state == OfferState.OFFERED).values(deadline=utcnow()))
    db.session.commit()
    page = client.get(f"/coordination/offers/{world['intake']}").get_data(as_text=True)
    assert dict(re.findall(r'data-count="(\w+)">(\d+)<', page))["expired"] == "1"
    assert client.get("/coordination/offers/").status_code == 200
    assert client.get("/coordination/offers/999999").status_code == 404


def test_the_next_on_the_waiting_list_is_the_best_ranked_and_is_offered_the_place(client, coordinator, world):
    decline(world["admitted"][0])
    first, second = world["waiting"][1], world["waiting"][0]  # scores 5 before 4
    page = client.get(f"/coordination/offers/{world['intake']}").get_data(as_text=True)
    assert f'name="application_id" type="hidden" value="{first}"' in page or f'value="{first}"' in page
    response = client.post(f"/coordination/offers/{world['intake']}/next", data=next_form(world, first))
    assert response.status_code == 302
    offer = offer_for(first)
    assert offer.from_waiting_list and offer.state == OfferState.OFFERED
    assert outcome_of(first) == DecisionOutcome.ADMIT and outcome_of(second) == DecisionOutcome.WAITING_LIST
    made = emails("offer_made")[-1]
    assert made.application_id == first and made.recipient == db.session.get(Application, first).applicant.email
    events = actions("decision.changed")
    assert events == ["decision.changed"] and actions("offer.made")[-1] == "offer.made"


def test_a_stale_page_or_a_past_deadline_offers_nothing(client, coordinator, world):
    decline(world["admitted"][0])
    url = f"/coordination/offers/{world['intake']}/next"
    before = (len(emails()), len(actions("")))
    stale = client.post(url, data=next_form(world, world["waiting"][0]))  # not the next one
    past = next_form(world, world["waiting"][1], deadline="2020-01-01T12:00")
    with force_locale("de"):  # the coordinator's language
        changed, future = (
            gettext("The waiting list has changed since you opened the page. Please check who is next."),
            gettext("Please give an answer deadline in the future."),
        )
    assert stale.status_code == 200 and changed in stale.get_data(as_text=True)
    assert future in client.post(url, data=past).get_data(as_text=True)
    assert offer_for(world["waiting"][1]) is None and outcome_of(world["waiting"][1]) == DecisionOutcome.WAITING_LIST
    assert (len(emails()), len(actions(""))) == before


def test_offering_beyond_a_supervisors_capacity_needs_a_confirmation(client, coordinator, world):
    # The German supervisor (capacity 1) still has the first admitted candidate, who has not answered.
    url = f"/coordination/offers/{world['intake']}/next"
    refused = client.post(url, data=next_form(world, world["waiting"][1]))
    assert refused.status_code == 200 and "capacity" in refused.get_data(as_text=True)
    assert offer_for(world["waiting"][1]) is None
    client.post(url, data=next_form(world, world["waiting"][1], confirm_capacity="y"))
    assert offer_for(world["waiting"][1]) is not None and outcome_of(world["waiting"][1]) == DecisionOutcome.ADMIT


def settings_form(version, deadline, rows):
    data = {"version": str(version), "deadline": deadline, "zone": "Asia/Shanghai"}
    for index, (item_id, en, de, zh) in enumerate(rows):
        data |= {f"items-{index}-item_id": item_id, f"items-{index}-en": en, f"items-{index}-de": de}
        data[f"items-{index}-zh"] = zh
    return data


def test_the_settings_set_the_deadline_and_a_checklist_in_three_languages(client, coordinator, world):
    url = f"/coordination/offers/{world['intake']}/settings"
    assert client.get(url).status_code == 200
    rows = [
        ("", "Enrol at the university", "An der Universität einschreiben", "办理注册"),
        ("", "Book housing", "", ""),
    ]
    response = client.post(url, data=settings_form(0, "2030-06-30T18:00", rows))
    assert response.status_code == 302
    settings = db.session.scalar(select(OfferSettings).where(OfferSettings.round_id == world["intake"]))
    assert settings.deadline == dt.datetime(2030, 6, 30, 10, 0, tzinfo=dt.UTC)  # 18:00 in Shanghai
    # The offers made at the release follow the round's deadline.
    assert offer_for(world["admitted"][0]).deadline == settings.deadline
    items = list(db.session.scalars(select(ChecklistItem).order_by(ChecklistItem.position)))
    assert [(i.text_en, i.text("de"), i.text("zh")) for i in items] == [
        ("Enrol at the university", "An der Universität einschreiben", "办理注册"),
        ("Book housing", "Book housing", "Book housing"),  # English where no translation is given
    ]
    assert actions("offers.settings_saved") == ["offers.settings_saved"]
    # Emptying a row removes its step; a stale form changes nothing.
    keep = [(str(items[0].id), "Enrol", "", ""), (str(items[1].id), "", "", "")]
    assert client.post(url, data=settings_form(0, "2030-06-30T18:00", keep)).status_code == 200
    assert client.post(url, data=settings_form(settings.version, "2030-06-30T18:00", keep)).status_code == 302
    db.session.expire_all()
    assert [i.text_en for i in db.session.scalars(select(ChecklistItem))] == ["Enrol"]


def test_a_step_needs_its_english_text_and_the_deadline_the_future(client, coordinator, world):
    url = f"/coordination/offers/{world['intake']}/settings"
    with force_locale("de"):  # the coordinator's language
        english = gettext("Please give the English text: it is shown where no translation is given.")
        future = gettext("Please choose a deadline in the future.")
    page = client.post(url, data=settings_form(0, "2030-06-30T18:00", [("", "", "Nur Deutsch", "")]))
    assert page.status_code == 200 and english in page.get_data(as_text=True)
    page = client.post(url, data=settings_form(0, "2020-06-30T18:00", []))
    assert future in page.get_data(as_text=True)
    assert db.session.scalar(select(OfferSettings)) is None and db.session.scalar(select(ChecklistItem)) is None


def test_the_applicant_ticks_the_next_steps_in_their_language(client, world):
    db.session.add_all(
        [
            ChecklistItem(round_id=world["intake"], position=1, text_en="Enrol", text_zh="注册"),
            ChecklistItem(round_id=world["intake"], position=2, text_en="Book housing"),
        ]
    )
    db.session.commit()
    first, second = db.session.scalars(select(ChecklistItem.id).order_by(ChecklistItem.position)).all()
    application_id = world["admitted"][0]  # Chinese
    applicant = db.session.get(Application, application_id).applicant
    sign_in(client, applicant)
    page = client.get(f"/application/{application_id}").get_data(as_text=True)
    assert "注册" in page and "Book housing" in page
    offer = offer_for(application_id)
    assert client.post(f"/offers/{offer.id}/checklist", data={"done": [str(second)]}).status_code == 302
    ticked = set(db.session.scalars(select(ChecklistTick.item_id).where(ChecklistTick.offer_id == offer.id)))
    assert ticked == {second}
    page = client.get(f"/application/{application_id}").get_data(as_text=True)
    assert re.search(rf'value="{second}" id="step-{second}" checked', page)
    # An unknown step changes nothing.
    client.post(f"/offers/{offer.id}/checklist", data={"done": [str(first), "999999"]})
    db.session.expire_all()
    assert set(db.session.scalars(select(ChecklistTick.item_id))) == {second}
    assert actions("offer.checklist_ticked") == ["offer.checklist_ticked"]


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_only_coordinators_open_the_offers_pages(client, world, role):
    user = UserFactory(roles=[role])
    db.session.commit()
    sign_in(client, user)
    intake = world["intake"]
    for path in ("/coordination/offers/", f"/coordination/offers/{intake}", f"/coordination/offers/{intake}/settings"):
        assert client.get(path).status_code == 403
    assert client.post(f"/coordination/offers/{intake}/next", data={}).status_code == 403


def test_a_new_round_deadline_moves_only_the_unanswered_offers_made_at_the_release(client, coordinator, world):
    decline(world["admitted"][1])
    url = f"/coordination/offers/{world['intake']}"
    client.post(f"{url}/next", data=next_form(world, world["waiting"][1], confirm_capacity="y"))
    kept = offer_for(world["waiting"][1]).deadline
    declined_deadline = offer_for(world["admitted"][1]).deadline
    assert client.post(f"{url}/settings", data=settings_form(0, "2031-01-31T12:00", [])).status_code == 302
    moved = dt.datetime(2031, 1, 31, 4, 0, tzinfo=dt.UTC)  # noon in Shanghai
    assert offer_for(world["admitted"][0]).deadline == moved
    assert offer_for(world["waiting"][1]).deadline == kept
    assert offer_for(world["admitted"][1]).deadline == declined_deadline


def test_a_time_that_does_not_exist_is_refused(client, coordinator, world):
    url = f"/coordination/offers/{world['intake']}/settings"
    data = settings_form(0, "2030-03-31T02:30", []) | {"zone": "Europe/Berlin"}  # the clocks jump from 2:00 to 3:00
    page = client.post(url, data=data)
    with force_locale("de"):
        message = gettext("This time does not exist in the chosen zone (the clocks go forward then).")
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert db.session.scalar(select(OfferSettings)) is None
