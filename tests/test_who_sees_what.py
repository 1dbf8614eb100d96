"""DESIGN.md's table "who may see what", cell by cell, with the exact answer each cell names.

Rows are the things the table lists (the application and its documents, referee letters, supervisors' statements,
reviews, the decision, the audit history), each reached through the page that shows it; columns are the viewers. A
"✔" is 200; a "✘" is 404 where the viewer must not know the application exists, and 403 where the page is of a kind
the viewer's role never opens (the role decorator answers before any object is looked up, the same for every id, so
it reveals nothing). A supervisor who is not chosen and a committee member who is not assigned see nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal import db
from portal.applications.models import DocumentKind
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review.models import ConflictReason, StatementAnswer
from portal.review.permissions import visible_reviews
from tests.conftest import sign_in
from tests.factories import (
    ConflictFactory,
    UserFactory,
    add_document,
    add_review,
    add_statement,
    committee_member,
    submitted_application,
    supervisor,
)
from tests.interview_factories import booked, future, make_interview

pytestmark = pytest.mark.usefixtures("plain_app_context")

VIEWERS = (
    "owner",
    "other_applicant",
    "chosen_supervisor",
    "other_supervisor",
    "assigned_committee",
    "unassigned_committee",
    "conflicted_committee",
    "coordinator",
    "admin",
)


@pytest.fixture
def world():
    """A submitted application under review: both supervisors answered, one letter received, two reviews submitted
    (by the assigned member and by a member who later declared a conflict), plus every kind of outsider."""
    application = submitted_application()
    letter = add_document(application, DocumentKind.REFEREE_LETTER)
    referee = application.referees[0]
    referee.letter_document_id, referee.letter_received_at = letter.id, utcnow()
    add_statement(application, application.german_supervisor, StatementAnswer.WILLING)
    add_statement(application, application.chinese_supervisor, StatementAnswer.WILLING)
    assigned_member, conflicted_member = committee_member("LUH"), committee_member("UOS")
    add_review(application, 4, reviewer=assigned_member)
    add_review(application, 2, reviewer=conflicted_member)
    ConflictFactory(application_id=application.id, user_id=conflicted_member.id, reason=ConflictReason.DECLARED)
    people = {
        "owner": application.applicant,
        "other_applicant": UserFactory(roles=[Role.APPLICANT]),
        "chosen_supervisor": application.german_supervisor.user,
        "other_supervisor": supervisor("UGOE").user,
        "assigned_committee": assigned_member,
        "unassigned_committee": committee_member("TUBS"),
        "conflicted_committee": conflicted_member,
        "coordinator": UserFactory(roles=[Role.COORDINATOR]),
        "admin": UserFactory(roles=[Role.ADMIN]),
    }
    # The interview: the assigned member and the chosen German supervisor on the panel, a time booked.
    interview, invitation = make_interview(application, [assigned_member, people["chosen_supervisor"]], [future(10)])
    booked(invitation, interview.slots[0])
    db.session.commit()
    paths = {
        "application": f"/application/{application.id}",
        "document": f"/application/documents/{application.documents[0].id}",
        "letter": f"/application/documents/{letter.id}",
        "statements": f"/supervise/{application.id}",
        "reviews": f"/review/application/{application.id}",
        "decision": f"/review/application/{application.id}/decision",
        "history": f"/review/application/{application.id}/history",
        "reminders": f"/review/rounds/{application.round_id}/reminders",  # who owes what, when last reminded
        "plan": f"/plan/{application.id}",
        "plan_history": f"/plan/{application.id}/history",
        "interview": f"/interviews/invitation/{invitation.id}/interview.ics",
        "interview_notes": f"/interviews/invitation/{invitation.id}/notes",
        "search": f"/coordination/search/?q={application.reference}",
    }
    return application, people, paths


# The table, one row per thing, the answer for each viewer in VIEWERS' order.
TABLE = {
    #              owner other_app chosen other_sup assigned unassigned conflicted coordinator admin
    "application": (200, 404, 200, 404, 200, 404, 404, 200, 404),
    "document": (200, 404, 200, 404, 200, 404, 404, 200, 404),
    "letter": (404, 404, 200, 404, 200, 404, 404, 200, 404),
    "statements": (403, 403, 200, 404, 403, 403, 403, 403, 403),
    "reviews": (403, 403, 403, 403, 200, 404, 404, 200, 403),
    "decision": (403, 403, 403, 403, 403, 403, 403, 200, 403),
    "history": (403, 403, 403, 403, 403, 403, 403, 200, 200),
    "reminders": (403, 403, 403, 403, 403, 403, 403, 200, 403),
    "plan": (200, 404, 200, 404, 200, 404, 404, 200, 403),
    "plan_history": (200, 404, 200, 404, 200, 404, 404, 200, 403),
    # Time and link: own, the panel (here the chosen supervisor and the assigned member), the coordinators.
    "interview": (200, 404, 200, 404, 200, 404, 404, 200, 404),
    # Notes and scores are written by the panel; others' are read like reviews (tests/test_interview_notes.py).
    "interview_notes": (403, 403, 200, 404, 200, 404, 404, 403, 403),
    "search": (403, 403, 403, 403, 403, 403, 403, 200, 403),
}
# The API answers as the pages: an application through a token with every scope (a role the API's pages do not
# show it to is refused before the object is looked up).
API_ROW = (403, 403, 403, 403, 403, 403, 403, 200, 403)


@pytest.mark.parametrize("thing", list(TABLE))
@pytest.mark.parametrize("viewer", VIEWERS)
def test_each_cell_of_the_table_answers_exactly(client, world, thing, viewer):
    _application, people, paths = world
    sign_in(client, people[viewer])
    expected = TABLE[thing][VIEWERS.index(viewer)]
    response = client.get(paths[thing])
    response.close()  # a file download holds its file open until closed
    assert response.status_code == expected


def test_the_letter_is_received_for_the_applicant_but_its_content_is_never_theirs(client, world):
    _application, people, paths = world
    sign_in(client, people["owner"])
    page = client.get(paths["application"]).get_data(as_text=True)
    assert client.get(paths["letter"]).status_code == 404
    assert paths["letter"] not in page


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        ("assigned_committee", {"assigned_committee", "conflicted_committee"}),  # own submitted: others' shown
        ("coordinator", {"assigned_committee", "conflicted_committee"}),
        ("unassigned_committee", set()),
        ("conflicted_committee", {"conflicted_committee"}),  # the author always reads their own
        ("chosen_supervisor", set()),
        ("owner", set()),
        ("admin", set()),
    ],
)
def test_which_reviews_each_viewer_may_read(world, viewer, sees):
    application, people, _paths = world
    readable = {review.assignment.reviewer_id for review in visible_reviews(people[viewer], application)}
    assert readable == {people[name].id for name in sees}


@pytest.mark.parametrize(
    ("viewer", "path", "shown"),
    [
        ("assigned_committee", "reviews", True),  # the assigned committee reads both statements on the review page
        ("coordinator", "reviews", True),
        ("chosen_supervisor", "statements", True),  # own, and the partner's once both answered
    ],
)
def test_the_supervisors_statements_show_where_the_table_allows(client, world, viewer, path, shown):
    application, people, paths = world
    sign_in(client, people[viewer])
    page = client.get(paths[path]).get_data(as_text=True)
    partner = application.chinese_supervisor.display_name
    assert (StatementAnswer.WILLING.label in page and partner in page) is shown


# The offer of a place (issue 10): only its applicant sees it on the status page and may answer it; other applicants
# get 404 (they must not learn it exists), every other role 403 from the applicant-only decorator.
OFFER_ROW = (302, 404, 403, 403, 403, 403, 403, 403, 403)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_only_the_applicant_sees_and_answers_the_offer(client, world, viewer):
    from portal.applications.models import ApplicationState, DecisionOutcome
    from portal.offers.services import make_offer
    from tests.factories import add_decision

    application, people, paths = world
    application.state = ApplicationState.DECIDED
    add_decision(application, DecisionOutcome.ADMIT, released_at=utcnow())
    offer = make_offer(application, deadline=utcnow() + dt.timedelta(days=3), now=utcnow(), by=None, waiting=False)
    db.session.commit()
    sign_in(client, people[viewer])
    page = client.get(paths["application"])
    assert ('id="offer"' in page.get_data(as_text=True)) is (viewer == "owner")
    stale = {"version": "999", "accept": "y"}  # reaches the service for the owner, who is refused: nothing changes
    assert client.post(f"/offers/{offer.id}/answer", data=stale).status_code == OFFER_ROW[VIEWERS.index(viewer)]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_api_answers_each_viewer_as_the_pages_do(client, world, viewer):
    from portal.api.models import Scope
    from portal.api.services import create_token

    application, people, _paths = world
    secret = create_token(people[viewer], "test", [scope.value for scope in Scope], 30).secret
    response = client.get(f"/api/v1/applications/{application.id}", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == API_ROW[VIEWERS.index(viewer)]
