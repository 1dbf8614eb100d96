"""portal/core/one_trip.py: several queries in one statement, each answer as its own query would give it (types,
order, limits, outer joins, the identity map), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import gc

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import aliased

from portal import db
from portal.accounts.models import User
from portal.applications.levels import DegreeLevel
from portal.applications.models import Application, ApplicationState, Document, DocumentKind, Education
from portal.core import audit
from portal.core.one_trip import OneTrip, attach
from portal.core.outbox import OutboxAttachment
from portal.review.models import Review, ReviewAssignment
from tests.factories import IntakeRoundFactory, add_document, add_review, assigned, committee_member, judged

pytestmark = pytest.mark.usefixtures("plain_app_context")


@pytest.fixture
def sent(app):
    """The statements sent while the test runs (transaction control left out)."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")):
            seen.append(statement)

    engine = db.get_engine(app)
    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def _application_with_documents(count: int) -> Application:
    application = judged(IntakeRoundFactory(), family="Trip")
    for _ in range(count):
        add_document(application, DocumentKind.OTHER)
    db.session.commit()
    return application


def test_rows_come_back_typed_and_in_order_as_from_their_own_query(sent):
    application = _application_with_documents(3)
    audit.record("trip.tested", application, details={"numbers": [1, 2], "name": "王"})
    db.session.commit()
    columns = (Document.id, Document.kind, Document.uploaded_at, Document.size_bytes)
    newest_first = select(*columns).where(Document.application_id == application.id).order_by(Document.id.desc())
    events = select(audit.AuditEvent.details, audit.AuditEvent.created_at).where(
        audit.AuditEvent.target_id == application.id, audit.AuditEvent.action == "trip.tested"
    )
    people = select(Application.date_of_birth, Application.state).where(Application.id == application.id)
    alone = [
        list(db.session.execute(newest_first)),
        list(db.session.execute(newest_first.limit(2))),
        list(db.session.execute(events)),
        list(db.session.execute(people)),
    ]
    db.session.expunge_all()
    sent.clear()
    trip = OneTrip(db.session)
    answers = [trip.rows(newest_first), trip.rows(newest_first.limit(2)), trip.rows(events), trip.rows(people)]
    trip.run()
    assert len(sent) == 1
    for together, own in zip(answers, alone, strict=True):
        assert [tuple(row) for row in together.value] == [tuple(row) for row in own]
    documents = answers[0].value
    assert [row.id for row in documents] == sorted((row.id for row in documents), reverse=True)
    assert documents[0].kind is DocumentKind.OTHER
    assert documents[0].uploaded_at.tzinfo is dt.UTC
    assert answers[2].value[0].details == {"numbers": [1, 2], "name": "王"}
    assert isinstance(answers[3].value[0].date_of_birth, dt.date)
    assert answers[3].value[0].state is db.session.get(Application, application.id).state
    assert isinstance(answers[3].value[0].state, ApplicationState)


def test_a_part_without_rows_is_an_empty_list_and_a_trip_without_parts_sends_nothing(sent):
    trip = OneTrip(db.session)
    nothing = trip.rows(select(Document.id).where(Document.id == -1))
    objects = trip.objects(select(Document).where(Document.id == -1))
    with pytest.raises(RuntimeError):
        nothing.value  # noqa: B018 - asked before the trip
    trip.run()
    assert nothing.value == [] and objects.value == []
    sent.clear()
    OneTrip(db.session).run()
    assert sent == []


def test_objects_join_the_session_as_if_loaded_and_can_be_changed(sent):
    application = _application_with_documents(2)
    member = committee_member("LUH")
    add_review(application, 4, reviewer=member)
    assigned(committee_member("UGOE"), application)  # no review yet: the outer join finds none
    db.session.commit()
    application_id = application.id
    db.session.expunge_all()

    reviewer = aliased(User)
    query = (
        select(ReviewAssignment, reviewer, Review)
        .join(reviewer, reviewer.id == ReviewAssignment.reviewer_id)
        .outerjoin(Review, Review.assignment_id == ReviewAssignment.id)
        .where(ReviewAssignment.application_id == application_id)
        .order_by(ReviewAssignment.id)
    )
    trip = OneTrip(db.session)
    rows = trip.objects(query)
    documents = trip.objects(select(Document).where(Document.application_id == application_id))
    sent.clear()
    trip.run()
    assert len(sent) == 1
    (first, first_reviewer, first_review), (second, second_reviewer, second_review) = rows.value
    assert first_reviewer.id == member.id and first_review.assignment_id == first.id
    assert second_review is None and second_reviewer.id != member.id and second.application_id == application_id
    assert first_review.submitted_at.tzinfo is dt.UTC
    # The same identities as a query gives: the session hands out its own objects.
    assert db.session.get(ReviewAssignment, first.id) is first
    assert db.session.get(User, member.id) is first_reviewer
    assert len(sent) == 1
    # Clean objects: nothing to write until one changes, then exactly that.
    assert not db.session.dirty
    documents.value[0].page_count = 7
    db.session.commit()
    db.session.expunge_all()
    assert db.session.get(Document, documents.value[0].id).page_count == 7


def test_an_object_the_session_already_has_is_kept_as_it_is():
    application = _application_with_documents(1)
    document = application.documents[0]
    document.original_filename = "changed-not-flushed.pdf"
    with db.session.no_autoflush:
        trip = OneTrip(db.session)
        found = trip.objects(select(Document).where(Document.id == document.id))
        trip.run()
    assert found.value == [document] and found.value[0].original_filename == "changed-not-flushed.pdf"


def test_a_collection_is_set_as_loaded_in_its_relationships_order(sent):
    application = _application_with_documents(3)
    degree = Education(
        level=DegreeLevel.MASTER,
        degree="Second",
        subject="Physics",
        institution="SCU",
        country="CN",
        year=2020,
        grade="90",
        grading_scale="100 best",
    )
    application.education.append(degree)
    db.session.commit()
    application_id, counts = application.id, (len(application.documents), len(application.education))
    db.session.expunge_all()
    application = db.session.get(Application, application_id)
    trip = OneTrip(db.session)
    trip.collection(application, Application.documents)
    trip.collection(application, Application.education)
    sent.clear()
    trip.run()
    assert len(sent) == 1
    ids = [document.id for document in application.documents]
    assert (len(ids), len(application.education)) == counts and ids == sorted(ids) and counts[0] >= 3
    assert application.education[-1].degree == "Second"
    assert all(document.application is application for document in application.documents)
    assert len(sent) == 1  # the collections and their way back to the application needed nothing more
    db.session.expunge_all()
    assert [d.id for d in db.session.get(Application, application_id).documents] == ids


def test_attach_sets_each_parents_children_and_then_builds_after_the_trip(sent):
    application = _application_with_documents(0)
    first, second = committee_member("LUH"), committee_member("UGOE")
    add_review(application, 4, reviewer=first)
    assigned(second, application)
    db.session.commit()
    application_id = application.id
    db.session.expunge_all()
    trip = OneTrip(db.session)
    assignments = trip.objects(
        select(ReviewAssignment).where(ReviewAssignment.application_id == application_id).order_by(ReviewAssignment.id)
    )
    reviews = trip.objects(
        select(Review).join(ReviewAssignment).where(ReviewAssignment.application_id == application_id)
    )

    def wired(assignments: list[ReviewAssignment], reviews: list[Review]) -> list[ReviewAssignment]:
        attach(assignments, ReviewAssignment.review, reviews)
        return assignments

    built = trip.then(wired, assignments, reviews)
    sent.clear()
    trip.run()
    reviewed, open_one = built.value
    assert reviewed.review is reviews.value[0] and open_one.review is None
    assert len(sent) == 1  # the one-to-one side set as loaded, None included: no lazy load
    assert (
        OneTrip.alone(db.session, lambda trip: trip.then(lambda: "made without a statement"))
        == "made without a statement"
    )
    assert len(sent) == 1


def test_objects_reached_only_through_a_many_to_one_outlive_the_trip(sent):
    application = _application_with_documents(0)
    member = committee_member("LUH")
    add_review(application, 4, reviewer=member)
    db.session.commit()
    application_id, member_id = application.id, member.id
    db.session.expunge_all()
    trip = OneTrip(db.session)
    rows = trip.objects(
        select(ReviewAssignment, User)
        .join(User, User.id == ReviewAssignment.reviewer_id)
        .where(ReviewAssignment.application_id == application_id)
    )
    trip.run()
    assignment = rows.value[0][0]
    del trip, rows
    gc.collect()  # the trip and its rows are gone: only the session still knows the reviewer
    sent.clear()
    assert assignment.reviewer.id == member_id and sent == []


def test_what_it_refuses():
    trip = OneTrip(db.session)
    with pytest.raises(ValueError, match="DISTINCT"):
        trip.rows(select(Document.kind).distinct())
    with pytest.raises(ValueError, match="binary"):
        trip.objects(select(OutboxAttachment))
    with pytest.raises(ValueError, match="not an ORM entity"):
        trip.objects(select(Document, Document.id))
    with pytest.raises(ValueError, match="one-to-many"):
        trip.collection(Document(id=1, application_id=1), Document.application)
    with pytest.raises(ValueError, match="one-to-many"):
        attach([], Document.application, [])
