"""The offer of a place: made when an admission is released, answered once on the status page before its deadline
(a GET never acts), emails to the applicant, the coordinators and both supervisors in their languages, the audit, and
a decline or an expiry freeing the supervisors' capacity."""

from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import update

from portal import db
from portal.accounts.models import User
from portal.applications.capacity import admitted_count, loads_beyond_capacity
from portal.applications.models import Application
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.offers.models import Offer, OfferSettings, OfferState
from portal.offers.services import DEFAULT_ANSWER_DAYS
from portal.supervisors.models import SupervisorProfile
from tests.conftest import pdf_text, sign_in
from tests.factories import UserFactory
from tests.offer_helpers import actions, emails, offer_for, released_round

pytestmark = pytest.mark.usefixtures("plain_app_context")


@pytest.fixture
def world():
    return released_round()


def applicant_of(application_id: int) -> User:
    return db.session.get(Application, application_id).applicant


def answer(client, offer: Offer, *, accept: bool, reason: str = "", version: int | None = None):
    data = {"version": str(offer.version if version is None else version), "reason": reason}
    data["accept" if accept else "decline"] = "y"
    return client.post(f"/offers/{offer.id}/answer", data=data)


def test_a_released_admission_offers_the_place_until_the_default_deadline_and_emails_the_applicant(world):
    offer = offer_for(world["admitted"][0])
    assert offer.state == OfferState.OFFERED and not offer.from_waiting_list
    assert abs(offer.deadline - (utcnow() + dt.timedelta(days=DEFAULT_ANSWER_DAYS))) < dt.timedelta(minutes=5)
    assert all(offer_for(application_id) is None for application_id in world["waiting"])
    made = [email for email in emails("offer_made")]
    assert [email.language for email in made] == ["zh", "de"]
    application = db.session.get(Application, world["admitted"][0])
    assert made[0].recipient == application.applicant.email and made[0].application_id == application.id
    assert f"/application/{application.id}" in made[0].body and application.reference in made[0].subject
    assert actions("offer.made") == ["offer.made", "offer.made"]


def test_the_rounds_deadline_is_the_offers_deadline(app):
    from portal.applications.models import IntakeRound
    from tests.factories import IntakeRoundFactory

    intake = IntakeRoundFactory()
    deadline = (utcnow() + dt.timedelta(days=30)).replace(microsecond=0)
    db.session.add(OfferSettings(round_id=intake.id, deadline=deadline))
    db.session.flush()
    from portal.offers.services import deadline_for

    assert deadline_for(db.session.get(IntakeRound, intake.id), utcnow()) == deadline
    # A round deadline already past gives the default answering time instead.
    assert deadline_for(intake, deadline + dt.timedelta(days=1)) > deadline + dt.timedelta(days=DEFAULT_ANSWER_DAYS - 1)


def test_the_status_page_shows_the_offer_and_a_get_never_answers(client, world):
    applicant = applicant_of(world["admitted"][1])  # German
    sign_in(client, applicant)
    page = client.get(f"/application/{world['admitted'][1]}").get_data(as_text=True)
    with force_locale("de"):
        assert gettext("Accept the place") in page and gettext("Decline the place") in page
    offer = offer_for(world["admitted"][1])
    assert client.get(f"/offers/{offer.id}/answer").status_code == 405
    assert offer_for(world["admitted"][1]).state == OfferState.OFFERED


def test_accepting_tells_the_applicant_the_coordinators_and_both_supervisors_each_in_their_language(client, world):
    application_id = world["admitted"][0]
    sign_in(client, applicant_of(application_id))
    offer = offer_for(application_id)
    before = len(emails())
    response = answer(client, offer, accept=True, reason="ignored when accepting")
    assert response.status_code == 302 and response.location.endswith(f"/application/{application_id}#offer")
    offer = offer_for(application_id)
    assert offer.state == OfferState.ACCEPTED and offer.answered_at is not None and offer.decline_reason == ""
    sent = emails()[before:]
    application = db.session.get(Application, application_id)
    by_recipient = {email.recipient: (email.template, email.language) for email in sent}
    coordinator = db.session.get(User, world["coordinator"])
    assert by_recipient == {
        application.applicant.email: ("offer_accepted", "zh"),
        coordinator.email: ("offer_answered", "de"),
        application.german_supervisor.user.email: ("offer_answered", "de"),
        application.chinese_supervisor.user.email: ("offer_answered", "zh"),
    }
    assert actions("offer.accepted") == ["offer.accepted"]
    page = client.get(f"/application/{application_id}").get_data(as_text=True)
    with force_locale("zh"):
        assert gettext("Accepted") in page and 'name="accept"' not in page


def test_declining_keeps_the_reason_for_the_coordinators_only_and_frees_the_capacity(client, world):
    application_id = world["admitted"][0]
    german = db.session.get(SupervisorProfile, world["german"])
    assert admitted_count(german, world["intake"]) == 1
    waiting = db.session.get(Application, world["waiting"][0])
    assert loads_beyond_capacity(waiting)  # capacity 1, taken
    sign_in(client, applicant_of(application_id))
    answer(client, offer_for(application_id), accept=False, reason="  I stay in industry.  ")
    offer = offer_for(application_id)
    assert offer.state == OfferState.DECLINED and offer.decline_reason == "I stay in industry."
    assert admitted_count(german, world["intake"]) == 0
    assert loads_beyond_capacity(db.session.get(Application, world["waiting"][0])) == []
    staff = {email.recipient: email for email in emails("offer_answered")}
    coordinator = db.session.get(User, world["coordinator"])
    assert "I stay in industry." in staff[coordinator.email].body
    assert "I stay in industry." not in staff[german.user.email].body
    assert actions("offer.declined") == ["offer.declined"]


def test_an_expired_offer_cannot_be_answered_and_frees_the_capacity(client, world):
    application_id = world["admitted"][0]
    db.session.execute(update(Offer).values(deadline=utcnow() - dt.timedelta(minutes=1)))
    db.session.commit()
    german = db.session.get(SupervisorProfile, world["german"])
    assert admitted_count(german, world["intake"]) == 0
    sign_in(client, applicant_of(application_id))
    before = (len(emails()), len(actions("offer.")))
    response = answer(client, offer_for(application_id), accept=True)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    with force_locale("zh"):
        assert gettext("Expired") in page and "请联系项目协调办公室" in page and 'name="accept"' not in page
    assert offer_for(application_id).state == OfferState.OFFERED
    assert (len(emails()), len(actions("offer."))) == before


def test_answering_twice_or_from_a_stale_form_changes_nothing(client, world):
    application_id = world["admitted"][1]
    sign_in(client, applicant_of(application_id))
    offer = offer_for(application_id)
    stale = answer(client, offer, accept=True, version=offer.version + 5)
    assert stale.status_code == 302 and offer_for(application_id).state == OfferState.OFFERED
    missing = client.post(f"/offers/{offer.id}/answer", data={"accept": "y"})  # no version at all
    assert missing.status_code == 302 and offer_for(application_id).state == OfferState.OFFERED
    answer(client, offer_for(application_id), accept=True)
    counted = (len(emails()), len(actions("offer.")))
    response = answer(client, offer_for(application_id), accept=False, reason="changed my mind")
    follow = client.get(response.location).get_data(as_text=True)
    with force_locale("de"):
        assert gettext("Accepted") in follow
    offer = offer_for(application_id)
    assert offer.state == OfferState.ACCEPTED and offer.decline_reason == ""
    assert (len(emails()), len(actions("offer."))) == counted


@pytest.mark.parametrize(
    ("who", "status"),
    [("other_applicant", 404), ("other_admitted", 404), ("coordinator", 403), ("supervisor", 403)],
)
def test_nobody_else_may_answer_or_tick(client, world, who, status):
    offer = offer_for(world["admitted"][0])
    people = {
        "other_applicant": lambda: UserFactory(roles=[Role.APPLICANT]),
        "other_admitted": lambda: applicant_of(world["admitted"][1]),
        "coordinator": lambda: db.session.get(User, world["coordinator"]),
        "supervisor": lambda: db.session.get(SupervisorProfile, world["german"]).user,
    }
    user = people[who]()
    db.session.commit()
    sign_in(client, user)
    assert answer(client, offer, accept=True).status_code == status
    assert client.post(f"/offers/{offer.id}/checklist", data={"done": []}).status_code == status
    assert client.post("/offers/999999/answer", data={"accept": "y"}).status_code in (403, 404)
    assert offer_for(world["admitted"][0]).state == OfferState.OFFERED


def test_the_offer_is_shown_to_its_applicant_only(client, world):
    application_id = world["admitted"][0]
    supervisor_user = db.session.get(SupervisorProfile, world["german"]).user
    sign_in(client, supervisor_user)
    page = client.get(f"/application/{application_id}").get_data(as_text=True)
    assert 'id="offer"' not in page


def test_the_applicant_downloads_the_bilingual_admission_letter_with_the_offers_deadline(client, world):


    application = db.session.get(Application, world["admitted"][1])
    offer = offer_for(application.id)
    sign_in(client, application.applicant)
    page = client.get(f"/application/{application.id}").get_data(as_text=True)
    assert f"/offers/{offer.id}/admission-letter.pdf" in page
    response = client.get(f"/offers/{offer.id}/admission-letter.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert application.reference in text and "录取" in text
    other = applicant_of(world["admitted"][0])
    client.get("/account/logout")
    sign_in(client, other)
    assert client.get(f"/offers/{offer.id}/admission-letter.pdf").status_code == 404
