"""Where an admitted applicant's offer stands shows wherever staff follow the application: the staff record (with the
reason for declining, for coordinators), the chosen supervisor's page (without it) and the PDF dossier's cover."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.timeutil import utcnow
from portal.offers.models import Offer, OfferState
from portal.reporting import dossiers
from tests.conftest import pdf_text, sign_in
from tests.offer_helpers import offer_for, released_round

pytestmark = pytest.mark.usefixtures("plain_app_context")

REASON = "I stay in industry."


def settle(application_id: int, state: str) -> None:
    """Bring the application's offer into the state: still open, accepted, declined with a reason, or expired."""
    values = {
        "offered": {},
        "accepted": {"state": OfferState.ACCEPTED, "answered_at": utcnow()},
        "declined": {"state": OfferState.DECLINED, "answered_at": utcnow(), "decline_reason": REASON},
        "expired": {"deadline": utcnow() - dt.timedelta(minutes=1)},
    }[state]
    if values:
        db.session.execute(update(Offer).where(Offer.application_id == application_id).values(**values))
    db.session.commit()


LABELS = {"offered": "Offered", "accepted": "Accepted", "declined": "Declined", "expired": "Expired"}


@pytest.mark.parametrize("state", list(LABELS))
def test_the_record_the_supervisors_page_and_the_dossier_show_the_offers_state(client, state):
    world = released_round(languages=("en",))
    application_id = world["admitted"][0]
    settle(application_id, state)
    badge = f'offer-{state}">{LABELS[state]}</span>'

    coordinator = db.session.get(User, world["coordinator"])
    application = db.session.get(Application, application_id)
    supervisor = application.chinese_supervisor.user
    coordinator.language = supervisor.language = "en"
    db.session.commit()
    sign_in(client, coordinator)
    record = client.get(f"/staff/applications/{application_id}").get_data(as_text=True)
    assert badge in record
    assert (REASON in record) == (state == "declined")

    sign_in(client, supervisor)
    page = client.get(f"/supervise/{application_id}").get_data(as_text=True)
    assert badge in page and "Admit" in page.split('class="mb-1 released-decision"')[1][:200]
    assert REASON not in page

    content, _dossier = dossiers.dossier_pdf(coordinator, application)
    text = pdf_text(content)
    assert f"Offer of a place{LABELS[state]} – " in text


def test_before_the_release_nobody_but_the_coordinators_knows_of_an_offer(client):
    world = released_round(languages=("en",))
    waiting_id = world["waiting"][0]  # decided and released, but no offer: nothing to show
    supervisor = db.session.get(Application, waiting_id).german_supervisor.user
    supervisor.language = "en"
    db.session.commit()
    sign_in(client, supervisor)
    page = client.get(f"/supervise/{waiting_id}").get_data(as_text=True)
    assert "released-decision" in page and "offer-summary" not in page
    assert offer_for(waiting_id) is None
