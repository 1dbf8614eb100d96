"""Panel notes and scores follow the reviews' rule (own always; the coordinators every submitted one; another panel
member's once one's own is submitted; a supervisor on the panel only their own) on the notes page, the staff record,
the ranking and the dossier."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.roles import Role
from portal.core.rules import RuleViolation
from portal.core.timeutil import utcnow
from portal.interviews import notes
from portal.interviews.permissions import visible_notes
from portal.reporting import dossiers
from tests.conftest import sign_in
from tests.factories import UserFactory, committee_member, submitted_application
from tests.interview_factories import booked, future, make_interview
from tests.test_dossiers import cjk_font, pdf_text  # noqa: F401 - the font fixture

pytestmark = pytest.mark.usefixtures("plain_app_context")

FIRST_NOTES = "Clear answers on the test rigs; 很好的回答。"


@pytest.fixture
def panel():
    """A booked interview whose panel is two committee members and the chosen German supervisor; the first member
    has submitted notes with a score of 4, the second has a draft."""
    application = submitted_application()
    first, second = committee_member("LUH", name="Member First"), committee_member("UOS", name="Member Second")
    supervisor = application.german_supervisor.user
    interview, invitation = make_interview(application, [first, second, supervisor], [future(10)])
    booked(invitation, interview.slots[0])
    notes.save_note(invitation, first, score=4, notes=FIRST_NOTES, submit=True, now=utcnow())
    notes.save_note(invitation, second, score=None, notes="half-written", submit=False, now=utcnow())
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    return application, invitation, first, second, supervisor, coordinator


def _authors(viewer, invitation):
    return {note.author.name for note in visible_notes(viewer, invitation, notes.all_notes(invitation))}


def test_who_reads_which_notes(panel):
    _application, invitation, first, second, supervisor, coordinator = panel
    assert _authors(first, invitation) == {"Member First"}  # the other's is a draft
    assert _authors(second, invitation) == {"Member Second"}  # own draft; the other's only after submitting
    assert _authors(supervisor, invitation) == set()
    assert _authors(coordinator, invitation) == {"Member First"}
    notes.save_note(invitation, second, score=2, notes="Weak on methods.", submit=True, now=utcnow())
    assert _authors(second, invitation) == {"Member First", "Member Second"}
    notes.save_note(invitation, supervisor, score=5, notes="", submit=True, now=utcnow())
    assert _authors(supervisor, invitation) == {supervisor.name}  # a supervisor never reads the others'


def test_submitting_needs_a_score_and_changes_nothing_without(panel):
    _application, invitation, _first, second, _supervisor, _coordinator = panel
    with pytest.raises(RuleViolation, match="score"):
        notes.save_note(invitation, second, score=None, notes="x", submit=True, now=utcnow())
    with pytest.raises(RuleViolation, match="1 to 5"):
        notes.save_note(invitation, second, score=9, notes="x", submit=False, now=utcnow())


def test_the_notes_page_shows_the_others_only_after_submitting(client, panel):
    _application, invitation, _first, second, _supervisor, _coordinator = panel
    sign_in(client, second)
    url = f"/interviews/invitation/{invitation.id}/notes"
    assert FIRST_NOTES not in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"score": "3", "notes": "Fine.", "submit": "y"})
    assert response.status_code == 302
    assert FIRST_NOTES in client.get(url).get_data(as_text=True)


def test_the_record_and_the_ranking_show_notes_and_scores_to_the_coordinators(client, panel):
    application, _invitation, _first, _second, _supervisor, coordinator = panel
    sign_in(client, coordinator)
    record = client.get(f"/staff/applications/{application.id}").get_data(as_text=True)
    assert 'id="interviews"' in record and FIRST_NOTES in record and "half-written" not in record
    assert "https://meet.example.org/ipk-1" in record
    ranking = client.get(f"/review/rounds/{application.round_id}/ranking").get_data(as_text=True)
    assert "Score: <strong>4.0</strong>" in ranking


def test_the_dossier_carries_the_notes_the_viewer_may_read(app, panel, cjk_font):  # noqa: F811
    application, _invitation, _first, _second, _supervisor, coordinator = panel
    application_id, coordinator_id = application.id, coordinator.id
    with app.test_request_context():
        viewer, application = db.session.get(User, coordinator_id), db.session.get(Application, application_id)
        content, dossier = dossiers.dossier_pdf(viewer, application)
    text = pdf_text(PdfReader(io.BytesIO(content)), range(dossier.cover_pages))
    assert "Interview" in text and "Member First" in text and "4.00" in text
    assert "half-written" not in text
