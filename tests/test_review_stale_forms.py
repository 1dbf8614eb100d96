"""Every versioned form of the review domain (a review saved or submitted, a supervisor's statement, a decision) sent
without its version, with an empty one, with one that is not a number, or with an old one, is refused as stale and
changes nothing in the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, Decision, DecisionOutcome
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review import decisions, services
from portal.review.guardrails import WarningKind
from portal.review.models import Review, ReviewRevision, StatementAnswer, SupervisorStatement
from portal.review.statements import record_statement
from tests.conftest import sign_in
from tests.factories import (
    UserFactory,
    add_review,
    assigned,
    committee_member,
    full_scores,
    submitted_application,
)

pytestmark = pytest.mark.usefixtures("plain_app_context")

STALE_TEXT = "changed in another tab or window"
OLD = "old"  # stands for the version an outdated form carries


@dataclass(frozen=True)
class Scene:
    """A record that changed since a form was loaded (or was not written yet): who posts, where, what, and the
    version the outdated form carries."""

    user_id: int
    url: str
    data: dict[str, str]
    old_version: int


def _review_scene(button: str, started: bool) -> Scene:
    application = submitted_application()
    member = committee_member()
    assignment = assigned(member, application)
    add_review(application)  # a second member: the application is under review
    old = 1  # not started: the current version is 0
    if started:
        services.save_review(assignment, {"comment": "First"}, submit=False, expected_version=0, now=utcnow())
        old = assignment.review.version
        services.save_review(assignment, {"comment": "Second"}, submit=False, expected_version=old, now=utcnow())
    data = {key: str(value) for key, value in full_scores(2, comment="Sent from an old form").items()}
    return Scene(member.id, f"/review/application/{application.id}", {**data, button: "y"}, old)


def _statement_scene(started: bool) -> Scene:
    application = submitted_application()
    german = application.german_supervisor
    old = 1  # not written yet: the current version is 0
    if started:
        recorded = record_statement(german.user, application, answer="willing", expected_version=0, now=utcnow())
        old = recorded.statement.version
        record_statement(german.user, application, answer="unwilling", expected_version=old, now=utcnow())
    data = {"answer": StatementAnswer.CONDITIONAL.value, "conditions": "A lab place", "comment": "From an old form"}
    return Scene(german.user_id, f"/supervise/{application.id}", data, old)


def _decision_scene() -> Scene:
    application = submitted_application()
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    old = application.version
    decisions.record_decision(
        application,
        outcome=DecisionOutcome.ADMIT,
        note="",
        by=coordinator,
        now=utcnow(),
        expected_version=old,
        confirmed=frozenset(WarningKind),
        reason="Agreed in the meeting",
    )
    data = {"outcome": DecisionOutcome.REJECT.value, "note": "From an old form"}
    return Scene(coordinator.id, f"/review/application/{application.id}/decision", data, old)


SCENES: dict[str, Callable[[], Scene]] = {
    "review draft": lambda: _review_scene("save_draft", started=True),
    "review submission": lambda: _review_scene("submit", started=True),
    "review not started, saved": lambda: _review_scene("save_draft", started=False),
    "review not started, submitted": lambda: _review_scene("submit", started=False),
    "statement": lambda: _statement_scene(started=True),
    "statement not written yet": lambda: _statement_scene(started=False),
    "decision": _decision_scene,
}


def _database_state() -> dict[str, object]:
    """Everything a refused form could have changed."""
    rows = {
        model.__tablename__: sorted(tuple(row) for row in db.session.execute(select(model.__table__)))
        for model in (Review, ReviewRevision, SupervisorStatement, Decision)
    }
    rows["applications"] = sorted(db.session.execute(select(Application.id, Application.state, Application.version)))
    rows["audit"] = db.session.scalar(select(func.count(AuditEvent.id)))
    rows["outbox"] = db.session.scalar(select(func.count(OutboxEmail.id)))
    return rows


@pytest.mark.parametrize("scene", SCENES)
@pytest.mark.parametrize(
    "version", [None, "", "abc", " 1x", "-1", OLD], ids=["missing", "empty", "abc", "1x", "minus-1", "old"]
)
def test_a_stale_or_versionless_form_changes_nothing(client, scene, version):
    built = SCENES[scene]()
    db.session.commit()
    data = dict(built.data)
    if version is not None:
        data["version"] = str(built.old_version) if version is OLD else version
    before = _database_state()

    sign_in(client, db.session.get(User, built.user_id))
    response = client.post(built.url, data=data)

    assert response.status_code == 200 and STALE_TEXT in response.get_data(as_text=True)
    db.session.expire_all()
    assert _database_state() == before
