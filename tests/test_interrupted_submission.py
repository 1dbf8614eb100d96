"""A worker killed in the middle of a submission leaves the whole submission or nothing, and sending the form again
creates no duplicate: no second reference number, audit event, invitation or email.

The submission runs in a real separate process (the portal's app, the suite's database) that kills itself with
SIGKILL at a chosen point: half-way through its writes, just before COMMIT, or just after it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from portal import db
from portal.applications.models import Application, ApplicationState, ReferenceCounter
from portal.config import PROJECT_ROOT
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from tests.conftest import sign_in
from tests.factories import IntakeRoundFactory, complete_application

pytestmark = pytest.mark.committing

WORKER = """
import json, os, signal, sys
from sqlalchemy import event
from portal import create_app, db

config, point, url, user_key, data = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
app = create_app(config)
engine = db.get_engine(app)


def die(*_args, **_kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def die_at_the_audit(_conn, _cursor, statement, *_args):
    if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS"):
        die()


client = app.test_client()
with client.session_transaction() as session:
    session["_user_id"] = user_key
    session["_fresh"] = True
if point == "half-way":
    event.listen(engine, "before_cursor_execute", die_at_the_audit)
elif point == "before-commit":
    event.listen(engine, "commit", die)
elif point == "after-commit":
    app.teardown_request(die)  # the request's transaction is committed, the answer not yet sent
response = client.post(url, data=json.loads(data))
print("the worker was not killed:", response.status_code)
"""


def _submission_counts(application_id: int) -> dict[str, object]:
    db.session.expire_all()
    application = db.session.get(Application, application_id)
    emails = db.session.scalars(select(OutboxEmail.template).order_by(OutboxEmail.template)).all()
    return {
        "state": application.state,
        "reference": application.reference,
        "submitted events": db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "application.submitted", AuditEvent.target_id == application_id
            )
        ),
        "emails": list(emails),
        "invitations sent": sorted(referee.invitations_sent for referee in application.referees),
        "last reference number": db.session.scalar(select(func.max(ReferenceCounter.last_number))),
    }


NOTHING = {
    "state": ApplicationState.DRAFT,
    "reference": None,
    "submitted events": 0,
    "emails": [],
    "invitations sent": [0, 0],
    "last reference number": None,
}


def _whole(reference: str) -> dict[str, object]:
    return {
        "state": ApplicationState.SUBMITTED,
        "reference": reference,
        "submitted events": 1,
        "emails": [
            "application_submitted",
            "referee_invitation",
            "referee_invitation",
            "statement_requested",
            "statement_requested",
        ],
        "invitations sent": [1, 1],
        "last reference number": 1,
    }


@pytest.mark.parametrize("point", ["half-way", "before-commit", "after-commit"])
def test_a_worker_killed_during_a_submission_leaves_all_or_nothing_and_a_retry_makes_no_duplicate(
    app, client, plain_app_context, point
):
    application = complete_application(intake_round=IntakeRoundFactory())
    db.session.commit()
    applicant = application.applicant
    sign_in(client, applicant)
    with client.session_transaction() as session:
        user_key = session["_user_id"]  # the worker's own client signs in with the same session record
    url = f"/application/{application.id}/submit"
    form = {"declaration": "y", "version": str(application.version), "submit": "1"}
    config = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DATABASE_URL": db.get_engine(app).url.render_as_string(hide_password=False),
        "PORTAL_DATA_DIR": app.config["PORTAL_DATA_DIR"],
        "PORTAL_BASE_URL": app.config["PORTAL_BASE_URL"],
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    worker = subprocess.run(  # noqa: S603 - the test's own interpreter and script
        [sys.executable, "-c", WORKER, json.dumps(config), point, url, user_key, json.dumps(form)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stdout + worker.stderr

    whole = _whole(f"IPK-{application.intake_round.reference_year}-0001")
    assert _submission_counts(application.id) == (whole if point == "after-commit" else NOTHING)

    # The applicant's browser sends the same form again (same version), twice.
    sign_in(client, applicant)
    for _ in range(2):
        assert client.post(url, data=form).status_code == 302
    assert _submission_counts(application.id) == whole
