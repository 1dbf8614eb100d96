"""Every versioned form of the applicant's pages refuses a missing, empty, non-numeric or old version, says so, and
changes nothing: each step, a degree added or removed, a document uploaded or deleted, the referees and their
invitation, submission and withdrawal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, DocumentKind
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.factories import complete_application, make_pdf

STALE = "changed in another tab or window"


@pytest.fixture
def application_id(app, login_as, open_round) -> int:
    """A complete draft of the signed-in applicant, saved at least twice (so that an old version exists)."""
    user = login_as(Role.APPLICANT)
    with app.app_context():
        application = complete_application(applicant=db.session.get(User, user.id), intake_round=open_round)
        db.session.commit()
        application.updated_at = utcnow()
        db.session.commit()
        return application.id


def referee_entry(application: Application, position: int, **changes: str) -> dict[str, str]:
    referee = next(r for r in application.referees if r.position == position)
    values = {name: getattr(referee, name) for name in ("name", "email", "institution", "relation", "language")}
    return {f"referee{position}-{name}": value for name, value in {**values, **changes}.items()}


def versioned_forms(application: Application) -> dict[str, tuple[str, dict, str]]:
    """Each versioned form of the applicant: its address, what it sends besides the version (a real change), and the
    name of its version field."""
    base = f"/application/{application.id}"
    degree = application.education[0].id
    transcript = next(d.id for d in application.documents if d.kind == DocumentKind.TRANSCRIPT)
    supervisors = {
        "german_supervisor": application.german_supervisor_id,
        "chinese_supervisor": application.chinese_supervisor_id,
        "supervisor_motivation": "Changed",
    }
    new_degree = {
        "level": "doctorate",
        "degree": "PhD",
        "subject": "Physics",
        "institution": "Tongji",
        "country": "CN",
        "year": "2020",
        "grade": "1.0",
        "grading_scale": "1 to 4",
    }
    referees = {**referee_entry(application, 1, name="Prof. Changed"), **referee_entry(application, 2)}
    upload = {"kind": "other", "file": (io.BytesIO(make_pdf()), "other.pdf")}
    return {
        "personal": (f"{base}/personal", {"family_name": "Changed", "nationality": "DE", "save": "y"}, "version"),
        "education": (f"{base}/education", {"save_continue": "y"}, "version"),
        "languages": (f"{base}/languages", {"english_level": "A1", "save": "y"}, "version"),
        "proposal": (f"{base}/proposal", {"proposal_title": "Changed", "save": "y"}, "version"),
        "supervisors": (f"{base}/supervisors", {**supervisors, "save": "y"}, "version"),
        "add degree": (f"{base}/education/add", {f"degree-{k}": v for k, v in new_degree.items()}, "degree-version"),
        "remove degree": (f"{base}/education/{degree}/remove", {}, "version"),
        "upload document": (f"{base}/documents", upload, "version"),
        "delete document": (f"{base}/documents/{transcript}/delete", {}, "version"),
        "referees": (f"{base}/referees", {**referees, "save": "y"}, "version"),
        "invite referee": (f"{base}/referees/1/invite", {}, "version"),
        "submit": (f"{base}/submit", {"declaration": "y"}, "version"),
        "withdraw": (f"{base}/withdraw", {"confirm": "y"}, "version"),
    }


def snapshot(app, application_id: int) -> dict:
    """Everything a form of the applicant could change: the application's row and parts, emails, audit, files."""
    db.session.expire_all()
    application = db.session.get(Application, application_id)
    files = Path(app.config["PORTAL_DATA_DIR"]) / "files"
    return {
        "row": {column.key: getattr(application, column.key) for column in Application.__table__.columns},
        "education": [(e.id, e.degree) for e in application.education],
        "documents": sorted((d.id, d.storage_key) for d in application.documents),
        "referees": [(r.id, r.name, r.email, r.invited_at, r.invitations_sent) for r in application.referees],
        "emails": db.session.scalar(select(func.count(OutboxEmail.id))),
        "audit": db.session.scalar(select(func.count(AuditEvent.id))),
        "files": sorted(str(path) for path in files.rglob("*") if path.is_file()),
    }


FORMS = [
    "personal",
    "education",
    "languages",
    "proposal",
    "supervisors",
    "add degree",
    "remove degree",
    "upload document",
    "delete document",
    "referees",
    "invite referee",
    "submit",
    "withdraw",
]


@pytest.mark.parametrize("version", [None, "", "abc", "old"], ids=["missing", "empty", "not-a-number", "old"])
@pytest.mark.parametrize("form", FORMS)
def test_a_form_without_its_current_version_is_refused_and_changes_nothing(app, client, application_id, form, version):
    application = db.session.get(Application, application_id)
    path, data, version_field = versioned_forms(application)[form]
    if version is not None:
        data[version_field] = str(application.version - 1) if version == "old" else version
    before = snapshot(app, application_id)

    response = client.post(path, data=data, follow_redirects=True)

    assert response.status_code == 200
    assert STALE in response.get_data(as_text=True)
    assert snapshot(app, application_id) == before


def test_every_versioned_form_is_in_the_table(app, application_id):
    # The refusal above is only as good as the list of forms it runs through.
    assert set(versioned_forms(db.session.get(Application, application_id))) == set(FORMS)


@pytest.mark.parametrize("form", FORMS)
def test_with_the_current_version_each_form_does_its_work(app, client, application_id, form):
    # The same requests with the version the page carries are accepted: the refusal above is the version's doing.
    application = db.session.get(Application, application_id)
    path, data, version_field = versioned_forms(application)[form]
    data[version_field] = str(application.version)
    before = snapshot(app, application_id)

    response = client.post(path, data=data, follow_redirects=True)

    assert response.status_code == 200
    assert STALE not in response.get_data(as_text=True)
    if form != "education":  # the step's own button only moves on: its degrees are saved one by one
        assert snapshot(app, application_id) != before
