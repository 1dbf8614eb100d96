"""Referees: step 7 of the form, invitations with a secret link, the referee's page, confidential letters."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications import invitations
from portal.applications.models import Application, ApplicationState, Document, DocumentKind, RefereeInvitation
from portal.core import storage
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.templating import format_in_zone
from portal.core.timeutil import utcnow
from portal.referees import permissions as referee_permissions
from tests.conftest import sign_in
from tests.factories import ApplicationFactory, UserFactory, complete_application, make_pdf

LINK = re.compile(r"http://portal\.test(/referee/(\d+)/([A-Za-z0-9_\-]+))")
LETTER_TEXT = (
    "I have supervised the Master thesis of Wang Xiaoming on hydrogen diffusion and recommend him without reservation; "
    "a secret remark: phlogiston-7731."
)


# --- Helpers -------------------------------------------------------------------------------------------------------


def referee_data(position: int, **overrides) -> dict[str, str]:
    values = {
        "name": f"Prof. Dr. Referee {position}",
        "email": f"Referee{position}@Uni.example.ORG",
        "institution": "Sichuan University",
        "relation": "teacher",
    }
    values.update(overrides)
    return {f"referee{position}-{key}": value for key, value in values.items()}


def step_url(application_id: int) -> str:
    return f"/application/{application_id}/referees"


def current_version(application_id: int) -> int:
    """The application's version as a page loaded now would carry it in its hidden `version` field."""
    return db.session.scalar(select(Application.version).where(Application.id == application_id))


@pytest.fixture
def applicant(login_as) -> User:
    """A signed-in applicant (confirmed email)."""
    user = login_as(Role.APPLICANT)
    return db.session.get(User, user.id)


@pytest.fixture
def draft(applicant) -> Application:
    """An empty draft of the signed-in applicant in an open round."""
    application = ApplicationFactory(applicant=applicant)
    db.session.commit()
    return application


def completed(app, applicant: User) -> int:
    """The id of a complete draft of applicant (its documents are stored as files, which needs the app)."""
    with app.app_context():
        application_id = complete_application(applicant=db.session.merge(applicant)).id
        db.session.commit()
    return application_id


@pytest.fixture
def submitted(app, client, applicant) -> int:
    """The id of the signed-in applicant's complete application, submitted (invitations are in the outbox)."""
    application_id = completed(app, applicant)
    response = client.post(
        f"/application/{application_id}/submit",
        data={"version": current_version(application_id), "declaration": "y"},
    )
    assert response.status_code == 302
    assert db.session.get(Application, application_id).state == ApplicationState.SUBMITTED
    return application_id


def mailed_links(app, smtp_server) -> dict[str, list[str]]:
    """Deliver the outbox to the SMTP server; every referee link received so far, by recipient, oldest first."""
    smtp_server.deliver_outbox(app)
    links: dict[str, list[str]] = {}
    for message in smtp_server.messages:
        for match in LINK.finditer(smtp_server.body_of(message)):
            links.setdefault(message["To"], []).append(match.group(1))
    return links


def referee(application_id: int, position: int) -> RefereeInvitation:
    return db.session.scalars(
        select(RefereeInvitation).where(
            RefereeInvitation.application_id == application_id, RefereeInvitation.position == position
        )
    ).one()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def send_pdf(client, link: str, content: bytes, filename: str = "letter.pdf"):
    return client.post(
        link,
        data={"letter_pdf": (io.BytesIO(content), filename), "upload": "Upload"},
        content_type="multipart/form-data",
    )


def send_text(client, link: str, text: str):
    return client.post(link, data={"text": text, "send_text": "Send"})


def fresh_link(app, application_id: int, position: int, smtp_server) -> str:
    """The newest link mailed to the referee at position."""
    email = referee(application_id, position).email
    return mailed_links(app, smtp_server)[email][-1]


# --- Step 7: naming referees ---------------------------------------------------------------------------------------


def test_referees_are_saved_in_the_draft_with_normalised_emails(client, draft):
    response = client.post(
        step_url(draft.id), data={**referee_data(1), **referee_data(2), "version": draft.version, "save": "Save"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(step_url(draft.id))
    first, second = referee(draft.id, 1), referee(draft.id, 2)
    assert (first.name, first.email, first.relation) == ("Prof. Dr. Referee 1", "referee1@uni.example.org", "teacher")
    assert second.email == "referee2@uni.example.org"
    # Saving a draft invites nobody yet.
    assert first.token_hash is None and first.invited_at is None
    assert count(OutboxEmail) == 0
    page = client.get(step_url(draft.id)).get_data(as_text=True)
    assert 'value="Prof. Dr. Referee 2"' in page and "not yet invited" in page


def test_save_and_continue_leads_to_the_submit_page(client, draft):
    response = client.post(
        step_url(draft.id),
        data={**referee_data(1), "version": current_version(draft.id), "save_continue": "Save and continue"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/application/{draft.id}/submit")
    assert referee(draft.id, 1).name == "Prof. Dr. Referee 1"


def test_validation_errors_keep_every_typed_value_and_show_next_to_the_field(client, draft):
    data = {
        **referee_data(1, email="not-an-address", name="Prof. Dr. 李华"),
        **referee_data(2, institution=""),
        "version": draft.version,
        "save": "Save",
    }
    response = client.post(step_url(draft.id), data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Prof. Dr. 李华"' in page and 'value="not-an-address"' in page
    assert 'value="Prof. Dr. Referee 2"' in page and 'value="referee2@uni.example.org"' in page.lower()
    institution_error = re.search(r'id="referee2-institution-error"[^>]*>([^<]*)<', page)
    assert institution_error and "Please fill in this field." in institution_error.group(1)
    assert count(RefereeInvitation) == 0

    # With the form complete, the email is checked by the service; the message sits next to the email field.
    response = client.post(step_url(draft.id), data={**data, **referee_data(2)})
    page = response.get_data(as_text=True)
    email_error = re.search(r'id="referee1-email-error"[^>]*>([^<]*)<', page)
    assert email_error and "valid email address" in email_error.group(1)
    assert 'value="Prof. Dr. Referee 2"' in page and 'value="Prof. Dr. 李华"' in page
    assert count(RefereeInvitation) == 0


def test_errors_are_shown_in_the_users_language(app, client):
    user = UserFactory(language="de")
    application = ApplicationFactory(applicant=user)
    db.session.commit()
    sign_in(client, user)
    response = client.post(
        step_url(application.id),
        data={**referee_data(1, email="kaputt"), "version": current_version(application.id), "save": "Save"},
    )
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein." in response.get_data(as_text=True)


def test_applicant_cannot_be_their_own_referee(client, draft, applicant):
    own = applicant.email.upper()
    response = client.post(
        step_url(draft.id), data={**referee_data(1, email=own), "version": current_version(draft.id), "save": "Save"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "cannot be your own referee" in page and f'value="{own}"' in page
    assert count(RefereeInvitation) == 0


def test_the_two_referees_must_differ(client, draft):
    draft_id = draft.id
    data = {**referee_data(1, email="same@uni.example.org"), **referee_data(2, email="SAME@uni.example.org")}
    response = client.post(step_url(draft_id), data={**data, "version": current_version(draft_id), "save": "Save"})
    page = response.get_data(as_text=True)
    assert "different email address" in page
    assert re.search(r'id="referee2-email-error"[^>]*>[^<]*different email address', page)
    assert count(RefereeInvitation) == 0

    # Also against a referee saved earlier.
    client.post(
        step_url(draft_id),
        data={**referee_data(1, email="same@uni.example.org"), "version": current_version(draft_id), "save": "Save"},
    )
    assert count(RefereeInvitation) == 1
    response = client.post(
        step_url(draft_id),
        data={
            **referee_data(1, email="same@uni.example.org"),
            **referee_data(2, email="Same@Uni.example.org"),
            "version": current_version(draft_id),
        },
    )
    assert "different email address" in response.get_data(as_text=True)
    assert count(RefereeInvitation) == 1


def test_blank_entry_removes_a_referee_from_a_draft(client, draft):
    draft_id = draft.id
    client.post(
        step_url(draft_id),
        data={**referee_data(1), **referee_data(2), "version": current_version(draft_id), "save": "Save"},
    )
    blank = {f"referee2-{name}": "" for name in ("name", "email", "institution", "relation")}
    client.post(
        step_url(draft_id), data={**referee_data(1), **blank, "version": current_version(draft_id), "save": "Save"}
    )
    assert [r.position for r in db.session.scalars(select(RefereeInvitation))] == [1]


def test_two_tabs_do_not_silently_overwrite_each_other(client, draft):
    version = draft.version
    client.post(step_url(draft.id), data={**referee_data(1), "version": version, "save": "Save"})
    response = client.post(
        step_url(draft.id), data={**referee_data(1, name="Prof. Other"), "version": version, "save": "Save"}
    )
    page = response.get_data(as_text=True)
    assert "changed in another tab" in page and 'value="Prof. Other"' in page
    assert referee(draft.id, 1).name == "Prof. Dr. Referee 1"


def test_other_people_cannot_open_or_use_the_step(app, client, draft):
    other = UserFactory()
    db.session.commit()
    stranger = sign_in(app.test_client(), other)
    assert stranger.get(step_url(draft.id)).status_code == 404
    assert stranger.post(step_url(draft.id), data={**referee_data(1), "save": "Save"}).status_code == 404
    assert stranger.post(f"{step_url(draft.id)}/1/invite").status_code == 404
    assert count(RefereeInvitation) == 0


# --- Invitations ---------------------------------------------------------------------------------------------------


def test_submission_invites_both_referees_with_a_secret_link(app, client, applicant, smtp_server):
    application_id = completed(app, applicant)
    response = client.post(
        f"/application/{application_id}/submit",
        data={"version": current_version(application_id), "declaration": "y"},
    )
    assert response.status_code == 302
    application = db.session.get(Application, application_id)
    assert application.state == ApplicationState.SUBMITTED
    letters_due = application.intake_round.letters_due

    links = mailed_links(app, smtp_server)
    emails = {referee(application_id, position).email for position in (1, 2)}
    assert set(links) == emails and all(len(found) == 1 for found in links.values())
    for position in (1, 2):
        invitation = referee(application_id, position)
        path = links[invitation.email][0]
        invitation_id, token = LINK.search("http://portal.test" + path).group(2, 3)
        assert int(invitation_id) == invitation.id
        assert len(token) >= 43  # 256 bits, URL-safe base64
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert invitation.token_expires_at == letters_due
        assert invitation.invitations_sent == 1
        body = next(smtp_server.body_of(m) for m in smtp_server.messages if m["To"] == invitation.email)
        assert "Xiaoming WANG" in body and invitation.name in body
    # The applicant's step 7 now says who has been invited.
    assert "invited, letter not yet received" in client.get(step_url(application_id)).get_data(as_text=True)


def test_only_the_token_hash_is_stored(app, submitted, smtp_server):
    path = fresh_link(app, submitted, 1, smtp_server)
    token = path.rsplit("/", 1)[1]
    for table in db.Base.metadata.sorted_tables:
        if table.name == "outbox_emails":
            continue  # the outbox keeps the message it sent (see the report: to be redacted after sending)
        for row in db.session.execute(select(table)):
            assert token not in repr(tuple(row)), table.name
    assert referee(submitted, 1).token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_invitation_can_be_sent_from_the_draft_and_is_not_repeated_on_submission(app, client, applicant, smtp_server):
    application = db.session.get(Application, completed(app, applicant))
    response = client.post(f"{step_url(application.id)}/1/invite", data={"version": current_version(application.id)})
    assert response.status_code == 302
    assert referee(application.id, 1).invited_at is not None and referee(application.id, 2).invited_at is None
    early = fresh_link(app, application.id, 1, smtp_server)
    assert client.get(early).status_code == 200

    client.post(
        f"/application/{application.id}/submit",
        data={"version": current_version(application.id), "declaration": "y"},
    )
    links = mailed_links(app, smtp_server)
    assert len(links[referee(application.id, 1).email]) == 1  # not invited a second time
    assert len(links[referee(application.id, 2).email]) == 1
    assert client.get(early).status_code == 200


def test_resending_makes_the_old_link_stop_working(app, client, submitted, smtp_server):
    old = fresh_link(app, submitted, 1, smtp_server)
    other = fresh_link(app, submitted, 2, smtp_server)
    response = client.post(
        f"{step_url(submitted)}/1/invite", data={"version": current_version(submitted)}, follow_redirects=True
    )
    assert "An invitation has been sent to" in response.get_data(as_text=True)
    new = fresh_link(app, submitted, 1, smtp_server)
    assert new != old
    assert client.get(old).status_code == 404
    assert send_text(client, old, LETTER_TEXT).status_code == 404
    assert referee(submitted, 1).letter_received_at is None
    assert client.get(new).status_code == 200
    assert client.get(other).status_code == 200  # the other referee's link is untouched
    assert referee(submitted, 1).invitations_sent == 2
    resent = [smtp_server.body_of(m) for m in smtp_server.messages if m["To"] == referee(submitted, 1).email][-1]
    assert "earlier link no longer works" in resent


def test_resends_are_capped(app, submitted):
    with app.test_request_context("/"):
        application = db.session.get(Application, submitted)
        for _ in range(invitations.MAX_INVITATIONS - 1):
            invitations.invite(application, 1, expected_version=application.version, now=utcnow())
        with pytest.raises(invitations.RefereeError, match="already been invited"):
            invitations.invite(application, 1, expected_version=application.version, now=utcnow())
        db.session.commit()
    sent = db.session.scalar(
        select(func.count(OutboxEmail.id)).where(OutboxEmail.recipient == referee(submitted, 1).email)
    )
    assert sent == invitations.MAX_INVITATIONS


def test_changing_an_unanswered_referee_invites_the_new_one(app, client, submitted, smtp_server):
    old_email = referee(submitted, 1).email
    old_link = fresh_link(app, submitted, 1, smtp_server)
    second_link = fresh_link(app, submitted, 2, smtp_server)
    second = referee(submitted, 2)
    data = {
        **referee_data(1, email="new.referee@tongji.example.org", name="Prof. New"),
        **referee_data(2, email=second.email, name=second.name, institution=second.institution),
        "version": current_version(submitted),
        "save": "Save",
    }
    response = client.post(step_url(submitted), data=data)
    assert response.status_code == 302
    first = referee(submitted, 1)
    assert (first.email, first.name, first.invitations_sent) == ("new.referee@tongji.example.org", "Prof. New", 1)
    links = mailed_links(app, smtp_server)
    assert client.get(old_link).status_code == 404
    new_link = links["new.referee@tongji.example.org"][0]
    page = client.get(new_link)
    assert page.status_code == 200 and "Xiaoming WANG" in page.get_data(as_text=True)
    # The unchanged second referee keeps their link and gets no new email.
    assert len(links[second.email]) == 1 and client.get(second_link).status_code == 200
    assert len(links[old_email]) == 1


def test_a_referee_who_has_answered_cannot_be_changed(app, client, submitted, smtp_server):
    link = fresh_link(app, submitted, 1, smtp_server)
    assert send_text(client, link, LETTER_TEXT).status_code == 302
    answered = referee(submitted, 1)

    page = client.get(step_url(submitted)).get_data(as_text=True)
    assert 'name="referee1-email"' not in page and 'name="referee2-email"' in page
    assert "can no longer be changed" in page

    forged = {
        **referee_data(1, email="someone.else@example.org"),
        "version": current_version(submitted),
        "save": "Save",
    }
    response = client.post(step_url(submitted), data=forged)
    assert response.status_code == 200 and "can no longer be changed" in response.get_data(as_text=True)
    assert referee(submitted, 1).email == answered.email
    assert (
        client.post(f"{step_url(submitted)}/1/invite", data={"version": current_version(submitted)}).status_code == 302
    )
    assert referee(submitted, 1).invitations_sent == 1
    assert client.get(link).status_code == 200  # the referee can still see and replace the letter

    with app.test_request_context("/"):
        application = db.session.get(Application, submitted)
        with pytest.raises(invitations.RefereeError, match="can no longer be changed"):
            invitations.save_referees(
                application,
                {1: {"name": "Prof. X", "email": "x@example.org", "institution": "Tongji", "relation": "other"}},
                expected_version=application.version,
                now=utcnow(),
            )


def test_referees_cannot_be_changed_after_letters_are_due(app, submitted):
    with app.test_request_context("/"):
        application = db.session.get(Application, submitted)
        later = application.intake_round.letters_due + dt.timedelta(minutes=1)
        assert not invitations.can_change_referees(application, later)
        with pytest.raises(invitations.RefereeError, match="deadline"):
            invitations.invite(application, 1, expected_version=application.version, now=later)
        data = {"name": "Prof. X", "email": "x@example.org", "institution": "Tongji", "relation": "other"}
        with pytest.raises(invitations.RefereeError, match="deadline"):
            invitations.save_referees(application, {1: data}, expected_version=application.version, now=later)


# --- The referee's page --------------------------------------------------------------------------------------------


def test_opening_the_link_changes_nothing_and_shows_only_what_the_referee_needs(app, client, submitted, smtp_server):
    link = fresh_link(app, submitted, 1, smtp_server)
    invitation = referee(submitted, 1)
    columns = [c.key for c in RefereeInvitation.__table__.columns]
    before = {c: getattr(invitation, c) for c in columns}
    counts = (count(OutboxEmail), count(AuditEvent), count(Document))

    for _ in range(2):
        response = client.get(link)
        assert response.status_code == 200
    page = response.get_data(as_text=True)
    application = db.session.get(Application, submitted)
    assert "Xiaoming WANG" in page and "International Doctoral College" in page
    due = application.intake_round.letters_due
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert format_in_zone(due, "Europe/Berlin") in page
        assert format_in_zone(due, "Asia/Shanghai") in page
    # Nothing else about the application or the referee.
    for private in (application.applicant.email, invitation.email, application.proposal_title, application.address):
        assert private not in page
    db.session.expire_all()
    invitation = referee(submitted, 1)
    assert {c: getattr(invitation, c) for c in columns} == before
    assert (count(OutboxEmail), count(AuditEvent), count(Document)) == counts


def test_a_pdf_letter_is_stored_as_a_referee_letter(app, client, submitted, smtp_server):
    link = fresh_link(app, submitted, 1, smtp_server)
    content = make_pdf(pages=2)
    response = send_pdf(client, link, content, "Empfehlung Wang.pdf")
    assert response.status_code == 302
    invitation = referee(submitted, 1)
    document = invitation.letter_document
    assert document is not None and document.kind == DocumentKind.REFEREE_LETTER
    assert document.application_id == submitted and document.page_count == 2
    assert document.original_filename == "Empfehlung Wang.pdf"
    with app.app_context():
        assert storage.read_bytes(document.storage_key) == content
    assert invitation.letter_text is None and invitation.letter_received_at is not None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "referee.letter_received")).one()
    assert event.target_id == submitted and event.details == {"position": 1, "format": "pdf", "replaced": False}
    page = client.get(link).get_data(as_text=True)
    assert "Your letter has been received" in page and "Empfehlung Wang.pdf" in page


def test_a_text_letter_is_stored_and_shown_to_the_referee(app, client, submitted, smtp_server):
    link = fresh_link(app, submitted, 2, smtp_server)
    response = send_text(client, link, "  " + LETTER_TEXT + "\n")
    assert response.status_code == 302
    invitation = referee(submitted, 2)
    assert invitation.letter_text == LETTER_TEXT and invitation.letter_document is None
    assert invitation.letter_received_at is not None
    assert LETTER_TEXT in client.get(link).get_data(as_text=True)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, not a pdf", "not a PDF"),
        (b"", "choose the PDF file"),
    ],
)
def test_an_unusable_pdf_is_refused_and_the_typed_text_kept(app, client, submitted, smtp_server, content, message):
    link = fresh_link(app, submitted, 1, smtp_server)
    response = client.post(
        link,
        data={
            "letter_pdf": (io.BytesIO(content), "letter.pdf" if content else ""),
            "text": "a draft I was writing",
            "upload": "Upload",
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and message in page
    assert "a draft I was writing" in page
    assert referee(submitted, 1).letter_received_at is None and count(Document) == 4


def test_a_too_large_pdf_is_refused(app, client, submitted, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 200)
    link = fresh_link(app, submitted, 1, smtp_server)
    response = send_pdf(client, link, make_pdf(pages=3))
    assert response.status_code == 200 and "too large" in response.get_data(as_text=True)
    assert referee(submitted, 1).letter_received_at is None


def test_a_referee_without_an_account_sends_the_form_with_its_csrf_token(
    app, client, submitted, smtp_server, monkeypatch
):
    link = fresh_link(app, submitted, 1, smtp_server)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    browser = app.test_client()  # the referee's own browser: no session, no account
    assert send_text(browser, link, LETTER_TEXT).status_code == 400
    assert referee(submitted, 1).letter_received_at is None
    page = browser.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = browser.post(link, data={"csrf_token": token, "text": LETTER_TEXT, "send_text": "Send"})
    assert response.status_code == 302
    assert referee(submitted, 1).letter_text == LETTER_TEXT


def test_a_too_short_text_is_refused(app, client, submitted, smtp_server):
    link = fresh_link(app, submitted, 1, smtp_server)
    response = send_text(client, link, "Good.")
    assert response.status_code == 200 and "very short" in response.get_data(as_text=True)
    assert referee(submitted, 1).letter_received_at is None


def test_the_letter_can_be_replaced_until_the_deadline(app, client, submitted, smtp_server):
    link = fresh_link(app, submitted, 1, smtp_server)
    send_pdf(client, link, make_pdf(pages=1))
    first = referee(submitted, 1).letter_document
    first_id, first_key = first.id, first.storage_key

    # Text replaces the PDF: the old document row and its file are gone.
    assert send_text(client, link, LETTER_TEXT).status_code == 302
    invitation = referee(submitted, 1)
    assert invitation.letter_text == LETTER_TEXT and invitation.letter_document_id is None
    assert db.session.get(Document, first_id) is None
    with app.app_context():
        assert not (storage.data_dir() / "files" / first_key).exists()

    # A PDF replaces the text.
    assert send_pdf(client, link, make_pdf(pages=3)).status_code == 302
    invitation = referee(submitted, 1)
    assert invitation.letter_text is None and invitation.letter_document.page_count == 3
    letters = db.session.scalars(select(Document).where(Document.kind == DocumentKind.REFEREE_LETTER)).all()
    assert len(letters) == 1
    actions = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "referee.letter_received").order_by(AuditEvent.id)
    )
    assert [d["replaced"] for d in actions] == [False, True, True]
    # The applicant is told once, when the first letter arrives.
    told = db.session.scalar(
        select(func.count(OutboxEmail.id)).where(OutboxEmail.template == "referee_letter_received")
    )
    assert told == 1

    # After the deadline the link no longer works, and the letter stays as it was.
    invitation.token_expires_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    assert send_text(client, link, LETTER_TEXT + " Changed.").status_code == 404
    assert referee(submitted, 1).letter_text is None


def test_an_expired_link_gets_a_404_that_reveals_nothing(app, client, submitted, smtp_server):
    link = fresh_link(app, submitted, 1, smtp_server)
    invitation = referee(submitted, 1)
    invitation.token_expires_at = utcnow() - dt.timedelta(seconds=1)
    email = invitation.email
    db.session.commit()
    for response in (client.get(link), send_text(client, link, LETTER_TEXT)):
        page = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "This link cannot be used" in page
        assert "WANG" not in page and "Xiaoming" not in page and email not in page
    assert referee(submitted, 1).letter_received_at is None


def test_a_link_stops_at_the_rounds_letter_deadline(app, submitted):
    with app.test_request_context("/"):
        invitation = referee(submitted, 1)
        assert referee_permissions.link_usable(invitation, utcnow())
        later = invitation.application.intake_round.letters_due + dt.timedelta(seconds=1)
        assert not referee_permissions.link_usable(invitation, later)


def test_an_early_link_of_a_draft_works_only_while_the_round_is_open(app, client, applicant, smtp_server):
    application_id = completed(app, applicant)
    client.post(f"{step_url(application_id)}/2/invite", data={"version": current_version(application_id)})
    link = fresh_link(app, application_id, 2, smtp_server)
    assert client.get(link).status_code == 200
    application = db.session.get(Application, application_id)
    application.intake_round.closes_at = utcnow() - dt.timedelta(minutes=1)
    application.intake_round.opens_at = utcnow() - dt.timedelta(days=20)
    db.session.commit()
    response = client.get(link)
    assert response.status_code == 404 and "WANG" not in response.get_data(as_text=True)


def test_wrong_tokens_and_ids_are_refused(app, client, submitted, smtp_server):
    link = fresh_link(app, submitted, 1, smtp_server)
    _, invitation_id, token = LINK.search("http://portal.test" + link).groups()
    other_id = referee(submitted, 2).id
    wrong = [
        f"/referee/{invitation_id}/{token[:-1]}",
        f"/referee/{invitation_id}/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}",
        f"/referee/{other_id}/{token}",
        f"/referee/999999/{token}",
        f"/referee/{invitation_id}/x",
    ]
    for path in wrong:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "WANG" not in response.get_data(as_text=True)
        assert send_text(client, path, LETTER_TEXT).status_code == 404
    assert count(Document) == 4 and referee(submitted, 2).letter_received_at is None
    assert client.get(link).status_code == 200


def test_the_link_of_a_withdrawn_application_is_refused(app, client, submitted, smtp_server):
    link = fresh_link(app, submitted, 1, smtp_server)
    withdrawn = client.post(
        f"/application/{submitted}/withdraw", data={"version": current_version(submitted), "confirm": "y"}
    )
    assert withdrawn.status_code == 302
    assert db.session.get(Application, submitted).state == ApplicationState.WITHDRAWN
    response = client.get(link)
    assert response.status_code == 404 and "WANG" not in response.get_data(as_text=True)


def test_referee_posts_are_rate_limited(app, client, submitted, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "REFEREE_LETTER_LIMIT", "2 per hour")
    link = fresh_link(app, submitted, 1, smtp_server)
    assert send_text(client, link, "short").status_code == 200
    assert send_text(client, link, "short").status_code == 200
    assert send_text(client, link, LETTER_TEXT).status_code == 429
    assert referee(submitted, 1).letter_received_at is None
    assert client.get(link).status_code == 200  # reading is not limited


# --- Confidentiality -----------------------------------------------------------------------------------------------


def test_the_applicant_sees_only_that_letters_were_received(app, client, submitted, smtp_server):
    send_text(client, fresh_link(app, submitted, 1, smtp_server), LETTER_TEXT)
    send_pdf(client, fresh_link(app, submitted, 2, smtp_server), make_pdf(), "confidential-letter-li.pdf")
    letter_document = referee(submitted, 2).letter_document

    for path in (f"/application/{submitted}", step_url(submitted)):
        page = client.get(path).get_data(as_text=True)
        assert "letter received" in page, path
        assert "phlogiston-7731" not in page and "confidential-letter-li" not in page, path
        assert f"/documents/{letter_document.id}" not in page, path
    # The applicant is told that a letter arrived, never what it says.
    smtp_server.deliver_outbox(app)
    applicant_email = db.session.get(Application, submitted).applicant.email
    notices = [smtp_server.body_of(m) for m in smtp_server.messages if m["To"] == applicant_email]
    assert any("Prof. Dr. Referee" in body or "Referee 1" in body for body in notices)
    assert all("phlogiston-7731" not in body for body in notices)
    stored = db.session.scalars(select(OutboxEmail.body).where(OutboxEmail.recipient == applicant_email)).all()
    assert stored and all("phlogiston-7731" not in body for body in stored)


def test_each_referee_is_written_to_in_the_language_chosen_for_them(app, client, draft):
    draft_id = draft.id
    page = client.get(step_url(draft_id)).get_data(as_text=True)
    assert "Language of the emails to this referee" in page
    data = {
        **referee_data(1, language="de"),
        **referee_data(2, language="zh"),
        "version": current_version(draft_id),
        "save": "Save",
    }
    assert client.post(step_url(draft_id), data=data).status_code == 302
    languages = {r.position: r.language for r in db.session.get(Application, draft_id).referees}
    assert languages == {1: "de", 2: "zh"}
    client.post(f"{step_url(draft_id)}/2/invite", data={"version": current_version(draft_id)})
    invitation = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "referee_invitation")).one()
    assert invitation.language == "zh" and invitation.recipient == "referee2@uni.example.org"
