"""What the joint research plan and the CSC pages show in the demo: an approved plan (with its PDF) for
applicant@example.org's application of last year's round, whose supervisors both agreed, and one for an admitted
candidate of that round who applies for a CSC scholarship, with the round's CSC window set, so that the CSC page
offers a complete package. Written by the services, so versions, hashes, approvals and audit events are real."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState
from portal.core.timeutil import utcnow
from portal.demo.context import DAY, Clock, simulated
from portal.letters import services as csc
from portal.plans.services import PlanContent, add_comment, approve, co_supervision_agreed, plan_of, save_plan

PLAN_HOLDERS = ("applicant@example.org", "zheng.wenbo@example.com")
CSC_CANDIDATE = "zheng.wenbo@example.com"
COORDINATOR = "coordinator@example.org"
DRAFT = PlanContent(
    title="面向智能制造的数字孪生：Digital twins for adaptive machining",
    summary=(
        "The project builds a digital twin of a milling process that adapts the cutting parameters in real time.\n"
        "本项目建立铣削过程的数字孪生模型，实时调整切削参数。"
    ),
    work_packages=(
        "WP1 Sensor data and process model (Germany)\nWP2 Machine-learning model of tool wear (China)\n"
        "WP3 Validation on the test bench\n工作包4：论文撰写与答辩"
    ),
    months_germany=24,
    months_china=12,
    milestones="M1 Process model validated (month 9)\nM2 第一篇期刊论文 (month 18)\nM3 Thesis submitted (month 36)",
)
# The first draft the supervisors commented on, then the version they approved: the history shows what changed.
APPROVED = PlanContent(**{**DRAFT.__dict__, "months_germany": 22, "months_china": 14})
COMMENT = "请把在同济的时间延长到14个月，以便完成工作包2。"


def _application(email: str) -> Application | None:
    query = (
        select(Application)
        .join(User, User.id == Application.applicant_id)
        .where(User.email == email, Application.state == ApplicationState.DECIDED)
    )
    return next((a for a in db.session.scalars(query) if co_supervision_agreed(a)), None)


def _approved_plan(application: Application, when: dt.datetime) -> None:
    """Draft, a comment, the changed version and both approvals, each at its own simulated time and actor (so that
    the audit events name them and the emails count as sent long ago)."""
    clock, applicant = Clock(), application.applicant
    german, chinese = application.german_supervisor.user, application.chinese_supervisor.user
    with simulated(clock):
        save_plan(application, DRAFT, by=applicant, expected_version=0, now=clock.at(when, applicant))
        add_comment(application, by=chinese, text=COMMENT, now=clock.at(when + 2 * DAY, chinese))
        expected = plan_of(application).version
        version = save_plan(
            application, APPROVED, by=applicant, expected_version=expected, now=clock.at(when + 3 * DAY, applicant)
        )
        for days, supervisor in ((4, german), (5, chinese)):
            approve(application, by=supervisor, sha256=version.sha256, now=clock.at(when + days * DAY, supervisor))
        db.session.flush()


def ensure_joint_plans() -> None:
    """Approved plans for PLAN_HOLDERS and the CSC candidate marked, once (an existing plan is kept as it is)."""
    now = utcnow()
    for email in PLAN_HOLDERS:
        application = _application(email)
        if application is not None and plan_of(application) is None:
            _approved_plan(application, now - dt.timedelta(days=30))
    candidate = _application(CSC_CANDIDATE)
    coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR))
    if candidate is None or coordinator is None or csc.candidate_of(candidate) is not None:
        return
    clock = Clock()
    with simulated(clock):
        clock.at(now, coordinator)
        if csc.window_of(candidate.intake_round) is None:
            opens, closes = now - dt.timedelta(days=7), now + dt.timedelta(days=40)
            csc.set_window(candidate.intake_round, opens, closes, by=coordinator, expected_version=0)
        csc.set_marked(candidate, True, by=coordinator, now=now)
