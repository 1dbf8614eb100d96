"""Each role's dashboard starts with its to-dos: coordinators (short of reviews, missing statements, overdue letters,
decisions not released, each linking to the staff record and to the list), reviewers (reviews due, with dates),
supervisors (statements due); a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import db
from portal.applications.models import REVIEWS_REQUIRED_DEFAULT, ApplicationState, DecisionOutcome
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review import todos
from portal.review.models import StatementAnswer
from tests.conftest import sign_in
from tests.factories import (
    IntakeRoundFactory,
    UserFactory,
    add_decision,
    add_review,
    add_statement,
    judged,
    supervisor,
)
from tests.test_remind import invited

S = ApplicationState
DAY = dt.timedelta(days=1)
pytestmark = pytest.mark.usefixtures("plain_app_context")


@pytest.fixture
def work():
    now = utcnow()
    intake = IntakeRoundFactory(opens_at=now - 40 * DAY, closes_at=now - 2 * DAY, reviews_due=now + 10 * DAY)
    german = supervisor("TUC", user=UserFactory(roles=[Role.SUPERVISOR], name="Anna Weber"))
    chinese = supervisor("TONGJI", user=UserFactory(roles=[Role.SUPERVISOR]))
    reviewer = UserFactory(roles=[Role.COMMITTEE])
    short = judged(intake, state=S.UNDER_REVIEW, family="Short", german=german, chinese=chinese)
    add_review(short, reviewer=reviewer)  # assigned, not submitted
    add_statement(short, chinese, StatementAnswer.WILLING)
    complete = judged(intake, state=S.UNDER_REVIEW, family="Complete", german=german, chinese=chinese)
    for _ in range(REVIEWS_REQUIRED_DEFAULT):
        add_review(complete, 4)
    add_statement(complete, german, StatementAnswer.WILLING)
    add_statement(complete, chinese, StatementAnswer.WILLING)
    invited(complete, 1, expires_in=-DAY)  # link expired without a letter: overdue
    invited(complete, 2, expires_in=DAY, letter_received_at=now)
    decided = judged(intake, state=S.DECIDED, family="Decided", german=german, chinese=chinese)
    add_decision(decided, DecisionOutcome.ADMIT)
    released = judged(intake, state=S.DECIDED, family="Released", german=german, chinese=chinese)
    add_decision(released, DecisionOutcome.REJECT, released_at=now)
    db.session.commit()
    return {
        "intake": intake,
        "short": short,
        "complete": complete,
        "decided": decided,
        "released": released,
        "german": german,
        "chinese": chinese,
        "reviewer": reviewer,
    }


def test_coordinator_todos(work):
    found = {todo.key: todo for todo in todos.coordinator_todos(utcnow())}
    assert [i.application_id for i in found["reviews"].items] == [work["short"].id]
    assert [i.application_id for i in found["statements"].items] == [work["short"].id]  # the German one missing
    assert [i.application_id for i in found["letters"].items] == [work["complete"].id]
    assert [i.application_id for i in found["decisions"].items] == [work["decided"].id]
    assert all(todo.total == 1 for todo in found.values())


def test_short_of_reviews_follows_the_rounds_own_requirement(work):
    work["intake"].reviews_required = REVIEWS_REQUIRED_DEFAULT + 1
    db.session.flush()
    found = {todo.key: todo for todo in todos.coordinator_todos(utcnow())}
    assert [i.application_id for i in found["reviews"].items] == [work["short"].id, work["complete"].id]


def test_reviewer_and_supervisor_todos(work):
    [due] = todos.reviewer_todos(work["reviewer"], utcnow())
    assert due.application_id == work["short"].id and due.due == work["intake"].reviews_due and not due.started
    statements = todos.supervisor_todos(work["german"].user)
    assert [i.application_id for i in statements.items] == [work["short"].id] and statements.total == 1
    assert todos.supervisor_todos(work["chinese"].user).total == 0


def test_the_coordinators_dashboard_starts_with_the_todos(client, work, count_queries):
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get("/dashboard").get_data(as_text=True)
    assert page.index("To do") < page.index("Numbers and charts")
    for key, application in (
        ("reviews", "short"),
        ("statements", "short"),
        ("letters", "complete"),
        ("decisions", "decided"),
    ):
        section = page[page.index(f'id="todo-{key}"') :]
        # The group's applications are its inner list, which ends before the group's own links.
        assert f'href="/staff/applications/{work[application].id}"' in section[: section.index("</ul>")]
    intake_id = work["intake"].id
    assert f'href="/review/rounds/{intake_id}/assignments"' in page
    assert f'href="/review/rounds/{intake_id}/reminders"' in page
    assert f'href="/review/rounds/{intake_id}/decisions"' in page
    assert f'/staff/applications/{work["released"].id}"' not in page
    few = count_queries(lambda: client.get("/dashboard"))
    for family in ("More", "Others"):
        judged(db.session.get(type(work["intake"]), intake_id), state=S.UNDER_REVIEW, family=family)
    db.session.commit()
    assert count_queries(lambda: client.get("/dashboard")) == few


def test_the_reviewers_and_supervisors_dashboards_list_what_is_due(client, work):
    sign_in(client, work["reviewer"])
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="todo-reviews"' in page and f"/review/application/{work['short'].id}" in page and "due " in page
    sign_in(client, work["german"].user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="todo-statements"' in page and f'/supervise/{work["short"].id}"' in page
