"""The open round's review rubric: saved by the coordinator, so that the rubric page and the review form show a
round's own rubric (the default words, in the three languages)."""

from __future__ import annotations

from portal.accounts import services as accounts
from portal.applications.models import IntakeRound
from portal.core.timeutil import utcnow
from portal.demo.plans import COORDINATOR
from portal.review.rubric import rubric_of, save_rubric, texts_for_editing


def ensure_rubric(intake: IntakeRound) -> None:
    """Save the round's rubric once (nothing happens when the round has one)."""
    coordinator = accounts.find_user_by_email(COORDINATOR)
    if rubric_of(intake) is not None or coordinator is None:
        return
    version, texts = texts_for_editing(intake)
    save_rubric(intake, texts, expected_version=version, by=coordinator, now=utcnow())
