"""Two coordinators admitting candidates of the same supervisor at the same instant (issue 12): the capacity is never
exceeded without a confirmation. Real threads, real requests, real commits, on SQLite (the writing request holds the
write lock) and on PostgreSQL (the supervisors' rows are locked with SELECT ... FOR UPDATE)."""

from __future__ import annotations

import threading

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from portal import db
from portal.applications.models import Application, ApplicationState, Decision, DecisionOutcome
from portal.core.roles import Role
from portal.review.models import StatementAnswer
from tests.conftest import sign_in
from tests.factories import IntakeRoundFactory, UserFactory, add_review, add_statement, judged, supervisor


def _candidate(intake, german):
    application = judged(intake, state=ApplicationState.UNDER_REVIEW, german=german)
    for _ in range(intake.reviews_required):
        add_review(application, 4)
    for profile in (application.german_supervisor, application.chinese_supervisor):
        add_statement(application, profile, StatementAnswer.WILLING)
    return application


@pytest.mark.committing
@pytest.mark.parametrize("capacity", [1, 2])
def test_two_coordinators_admitting_at_once_never_exceed_the_capacity_unconfirmed(app, capacity):
    with app.app_context():
        intake = IntakeRoundFactory()
        shared = supervisor("TUC", capacity=capacity)
        applications = [_candidate(intake, shared) for _ in range(capacity + 1)]
        # With capacity 2 one place is taken already: the two admissions compete for the last one.
        for extra in applications[2:]:
            extra.state = ApplicationState.DECIDED
            db.session.add(Decision(application=extra, outcome=DecisionOutcome.ADMIT))
        racing = [(a.id, a.version) for a in applications[:2]]
        coordinators = [UserFactory(roles=[Role.COORDINATOR]) for _ in range(2)]
        db.session.commit()
        tabs = [sign_in(app.test_client(), user) for user in coordinators]
        db.session.remove()  # no open transaction of the test may hold a lock while the coordinators write
    barrier = threading.Barrier(2)
    answers: dict[int, str] = {}

    def admit(tab: FlaskClient, application_id: int, version: int) -> None:
        barrier.wait()
        response = tab.post(
            f"/review/application/{application_id}/decision", data={"version": str(version), "outcome": "admit"}
        )
        answers[application_id] = f"{response.status_code} " + response.get_data(as_text=True)

    threads = [
        threading.Thread(target=admit, args=(tab, application_id, version))
        for tab, (application_id, version) in zip(tabs, racing, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.app_context():
        admitted = set(
            db.session.scalars(
                select(Application.id)
                .join(Decision, Decision.application_id == Application.id)
                .where(Application.id.in_([i for i, _ in racing]), Decision.outcome == DecisionOutcome.ADMIT)
            )
        )
        db.session.remove()
    assert len(admitted) == 1  # one won; the other was asked to confirm, and nothing of it was saved
    (loser,) = {i for i, _ in racing} - admitted
    assert answers[loser].startswith("200 ") and 'data-warning="capacity"' in answers[loser]
    assert answers[admitted.pop()].startswith("302 ")
