"""Who may answer an offer and tick its next steps: the applicant it was made to, nobody else (404 for the others).
Coordinators follow the offers through the role decorator on their pages (`coordinator_only`)."""

from __future__ import annotations

from flask import abort

from portal import db
from portal.accounts.models import User
from portal.offers.models import Offer


def is_offered_to(user: User, offer: Offer) -> bool:
    """Whether the offer was made to user (the application's applicant)."""
    return offer.application.applicant_id == user.id


def own_offer(user: User, offer_id: int) -> Offer:
    """The offer made to user; 404 for an unknown offer or anyone else's."""
    offer = db.session.get(Offer, offer_id)
    if offer is None or not is_offered_to(user, offer):
        abort(404)
    return offer


def sees_offer(user: User, offer: Offer | None) -> bool:
    """The offer shows on the status page only to its applicant, once the admission is released."""
    return offer is not None and is_offered_to(user, offer) and offer.application.decision_released
