"""The demo shows the joint research plan and the CSC paperwork at once: an approved plan (two versions, both
approvals, its PDF) for applicant@example.org, and an admitted CSC candidate whose package can be generated."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.letters.models import CscCandidate
from portal.letters.services import generate_package
from portal.plans.models import JointPlan
from portal.plans.services import is_approved
from tests.conftest import sign_in
from tests.test_cli import seed


@pytest.mark.usefixtures("plain_app_context")
def test_the_demo_has_an_approved_plan_for_the_applicant_and_a_csc_candidate(app, client):
    seed(app)  # seeding again changes nothing: tests/test_cli.py
    plans = db.session.scalars(select(JointPlan)).all()
    by_email = {plan.application.applicant.email: plan for plan in plans}
    assert len(plans) == 2
    plan = by_email["applicant@example.org"]
    assert is_approved(plan) and len(plan.versions) == 2 and len(plan.comments) == 1
    applicant = db.session.scalars(select(User).where(User.email == "applicant@example.org")).one()
    sign_in(client, applicant)
    page = client.get(f"/plan/{plan.application_id}")
    assert page.status_code == 200 and plan.current.sha256 in page.get_data(as_text=True)
    assert client.get(f"/plan/{plan.application_id}/plan.pdf").mimetype == "application/pdf"
    candidate = db.session.scalars(select(CscCandidate)).one()
    assert generate_package(candidate.application, now=plan.created_at).startswith(b"%PDF")
