"""The joint research plan: drafted once co-supervision is agreed, approved by both chosen supervisors (each approval
records the sha256 of the version), withdrawn by a later edit with emails to the supervisors, its history with diffs,
and the PDF of the approved plan with Chinese text and both approvals."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select

from portal import db
from portal.applications.models import ApplicationState
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.plans.models import JointPlan, PlanApproval, PlanVersion
from portal.plans.pdf import plan_pdf
from portal.plans.services import PlanContent, PlanError, approve, history, is_approved, plan_of, save_plan
from portal.review.models import StatementAnswer
from tests.conftest import pdf_text, sign_in
from tests.factories import UserFactory, add_review, add_statement, committee_member, submitted_application, supervisor

CONTENT = PlanContent(
    title="氢脆 in Pipeline-Stählen",
    summary="Wasserstoffversprödung von Leitungsstählen.\n管线钢的氢脆研究。",
    work_packages="WP1 Literatur\nWP2 Versuche in Clausthal\nWP3 模拟 in Shanghai",
    months_germany=24,
    months_china=12,
    milestones="M1 Versuchsstand (Monat 6)\nM2 第一篇论文 (Monat 18)",
)
FORM = {
    "title": CONTENT.title,
    "summary": CONTENT.summary,
    "work_packages": CONTENT.work_packages,
    "months_germany": "24",
    "months_china": "12",
    "milestones": CONTENT.milestones,
}


def agreed_application(answer=StatementAnswer.WILLING):
    application = submitted_application()
    add_statement(application, application.german_supervisor, StatementAnswer.WILLING)
    add_statement(application, application.chinese_supervisor, answer)
    return application


def approved_plan(application):
    now = utcnow()
    version = save_plan(application, CONTENT, by=application.applicant, expected_version=0, now=now)
    for profile in (application.german_supervisor, application.chinese_supervisor):
        approve(application, by=profile.user, sha256=version.sha256, now=now)
    return plan_of(application)


# --- Services ----------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("app_context")
def test_a_plan_waits_until_both_supervisors_agree():
    application = agreed_application(StatementAnswer.UNWILLING)
    with pytest.raises(PlanError, match="both supervisors have agreed"):
        save_plan(application, CONTENT, by=application.applicant, expected_version=0, now=utcnow())
    assert plan_of(application) is None


@pytest.mark.usefixtures("app_context")
def test_a_withdrawn_application_gets_no_plan():
    application = agreed_application()
    application.state = ApplicationState.WITHDRAWN
    with pytest.raises(PlanError, match="withdrawn"):
        save_plan(application, CONTENT, by=application.applicant, expected_version=0, now=utcnow())


@pytest.mark.usefixtures("app_context")
def test_each_approval_records_who_when_and_the_sha256_of_the_exact_version():
    application = agreed_application(StatementAnswer.CONDITIONAL)
    plan = approved_plan(application)
    expected = hashlib.sha256(
        json.dumps(CONTENT.__dict__, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert plan.current.sha256 == expected
    approvals = plan.active_approvals
    assert {(a.side, a.supervisor_id, a.sha256) for a in approvals} == {
        ("DE", application.german_supervisor.user_id, expected),
        ("CN", application.chinese_supervisor.user_id, expected),
    }
    assert all(a.approved_at is not None for a in approvals)
    assert is_approved(plan)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == application.id)).all()
    assert actions.count("plan.approved") == 2


@pytest.mark.usefixtures("app_context")
def test_an_edit_after_an_approval_withdraws_it_and_tells_the_supervisors():
    application = agreed_application()
    now = utcnow()
    first = save_plan(application, CONTENT, by=application.applicant, expected_version=0, now=now)
    approve(application, by=application.german_supervisor.user, sha256=first.sha256, now=now)
    plan = plan_of(application)
    changed = PlanContent(**{**CONTENT.__dict__, "months_china": 18})
    second = save_plan(application, changed, by=application.applicant, expected_version=plan.version, now=now)
    assert second.number == 2 and second.sha256 != first.sha256
    assert plan.active_approvals == []
    withdrawn = db.session.scalars(select(PlanApproval)).one()
    assert withdrawn.withdrawn_at is not None and withdrawn.sha256 == first.sha256
    emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.template == "plan_approval_withdrawn")).all()
    assert [e.recipient for e in emails] == [application.german_supervisor.user.email]
    assert "/plan/" in emails[0].body
    # An approval of the old version (a page opened before the edit) is refused.
    with pytest.raises(PlanError, match="changed since you opened it"):
        approve(application, by=application.chinese_supervisor.user, sha256=first.sha256, now=now)


@pytest.mark.usefixtures("app_context")
def test_the_history_shows_each_version_and_what_changed():
    application = agreed_application()
    now = utcnow()
    save_plan(application, CONTENT, by=application.applicant, expected_version=0, now=now)
    plan = plan_of(application)
    changed = PlanContent(**{**CONTENT.__dict__, "milestones": "M1 Versuchsstand (Monat 8)\nM2 第一篇论文 (Monat 18)"})
    save_plan(application, changed, by=application.applicant, expected_version=plan.version, now=now)
    newest, oldest = history(plan)
    assert [c.label for c in newest.changes] == ["Milestones"]
    assert newest.changes[0].lines == [
        "-M1 Versuchsstand (Monat 6)",
        "+M1 Versuchsstand (Monat 8)",
        " M2 第一篇论文 (Monat 18)",
    ]
    assert len(oldest.changes) == 6


@pytest.mark.usefixtures("app_context")
def test_an_unchanged_save_makes_no_new_version_and_an_approved_plan_is_closed():
    application = agreed_application()
    plan = approved_plan(application)
    with pytest.raises(PlanError, match="no longer be changed"):
        save_plan(application, CONTENT, by=application.applicant, expected_version=plan.version, now=utcnow())
    assert db.session.scalar(select(func.count()).select_from(PlanVersion)) == 1


@pytest.mark.usefixtures("app_context")
def test_bad_input_is_refused_per_field_and_changes_nothing():
    application = agreed_application()
    bad = PlanContent(title="", summary="x", work_packages="", months_germany=60, months_china=0, milestones="m")
    with pytest.raises(PlanError) as refused:
        save_plan(application, bad, by=application.applicant, expected_version=0, now=utcnow())
    assert set(refused.value.fields) == {"title", "work_packages", "months_germany"}
    assert db.session.scalar(select(func.count()).select_from(JointPlan)) == 0


@pytest.mark.usefixtures("app_context")
def test_the_pdf_has_bilingual_headings_the_chinese_text_and_both_approvals():
    application = agreed_application()
    plan = approved_plan(application)
    text = pdf_text(plan_pdf(plan, "de"))
    assert "Gemeinsamer Forschungsplan · 联合研究计划" in text
    assert "Arbeitspakete · 工作包" in text
    assert "管线钢的氢脆研究" in text
    assert text.count(plan.current.sha256[:16]) == 2
    assert application.german_supervisor.user.name in text and application.chinese_supervisor.user.name in text


# --- Pages -------------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("plain_app_context")
def test_the_applicant_drafts_and_both_supervisors_approve_through_the_pages(client):
    application = agreed_application()
    german, chinese = application.german_supervisor.user, application.chinese_supervisor.user
    db.session.commit()
    sign_in(client, application.applicant)
    response = client.post(f"/plan/{application.id}/edit", data={**FORM, "version": "0"})
    assert response.status_code == 302
    sha = plan_of(application).current.sha256
    for person in (german, chinese):
        sign_in(client, person)
        assert client.post(f"/plan/{application.id}/approve", data={"sha256": sha}).status_code == 302
    db.session.expire_all()
    assert is_approved(plan_of(application))
    response = client.get(f"/plan/{application.id}/plan.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.usefixtures("plain_app_context")
def test_a_third_person_cannot_approve(client):
    application = agreed_application()
    version = save_plan(application, CONTENT, by=application.applicant, expected_version=0, now=utcnow())
    member = committee_member("LUH")
    add_review(application, reviewer=member)
    outsiders = {
        "other supervisor": (supervisor("UGOE").user, 404),
        "assigned committee member": (member, 403),
        "coordinator": (UserFactory(roles=[Role.COORDINATOR]), 403),
        "applicant": (application.applicant, 403),
    }
    db.session.commit()
    for _who, (person, status) in outsiders.items():
        sign_in(client, person)
        assert client.post(f"/plan/{application.id}/approve", data={"sha256": version.sha256}).status_code == status
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PlanApproval)) == 0


@pytest.mark.usefixtures("plain_app_context")
def test_a_refused_edit_keeps_what_was_typed_and_says_why(client):
    application = agreed_application()
    db.session.commit()
    sign_in(client, application.applicant)
    response = client.post(f"/plan/{application.id}/edit", data={**FORM, "title": "", "version": "0"})
    assert response.status_code == 200
    assert "Please give the plan a title." in response.get_data(as_text=True)
    assert "管线钢的氢脆研究" in response.get_data(as_text=True)
    assert plan_of(application) is None
