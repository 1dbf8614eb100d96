"""The joint research plan's rules: who may start it (co-supervision agreed), saving a new version, comments,
approvals of the exact version (its sha256), the withdrawal of approvals by a later edit, and the history's diffs.

Every change writes an audit event; the emails go through the outbox in each recipient's language.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from dataclasses import asdict, dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core import audit
from portal.core.outbox import notify
from portal.core.rules import RuleViolation
from portal.core.urls import absolute_url
from portal.core.versions import check_version, flush_new_or_stale, version_of
from portal.plans.models import MAX_MONTHS, JointPlan, PlanApproval, PlanComment, PlanVersion
from portal.review.permissions import JUDGED_STATES, chosen_profile
from portal.review.statements import both_agree, statement_of

TITLE_MAX = 300
TEXT_MAX = 20_000
COMMENT_MAX = 5_000

# The plan's fields in the order the pages, the diffs and the PDF show them.
FIELD_LABELS = {
    "title": _l("Title"),
    "summary": _l("Summary"),
    "work_packages": _l("Work packages"),
    "months_germany": _l("Planned stay at the German university (months)"),
    "months_china": _l("Planned stay at the Chinese university (months)"),
    "milestones": _l("Milestones"),
}


class PlanError(RuleViolation):
    """A rule of the joint research plan refused the action."""


@dataclass(frozen=True)
class PlanContent:
    """What one version of the plan says."""

    title: str
    summary: str
    work_packages: str
    months_germany: int
    months_china: int
    milestones: str

    @property
    def sha256(self) -> str:
        """The hash an approval records: of the canonical JSON of the content, so that equal content hashes equally."""
        canonical = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def of(cls, version: PlanVersion) -> PlanContent:
        return cls(**{name: getattr(version, name) for name in FIELD_LABELS})


def co_supervision_agreed(application: Application) -> bool:
    """Both chosen supervisors said they are willing (with or without conditions)."""
    german = statement_of(application, application.german_supervisor)
    chinese = statement_of(application, application.chinese_supervisor)
    return both_agree(german and german.answer, chinese and chinese.answer)


def plan_of(application: Application) -> JointPlan | None:
    return db.session.scalar(select(JointPlan).where(JointPlan.application_id == application.id))


def is_approved(plan: JointPlan | None) -> bool:
    """Both sides approved the current version."""
    return plan is not None and {a.side for a in plan.active_approvals} == {"DE", "CN"}


def _check_content(content: PlanContent) -> None:
    errors = {}
    if not content.title.strip():
        errors["title"] = _("Please give the plan a title.")
    elif len(content.title) > TITLE_MAX:
        errors["title"] = _("The title can have at most %(num)d characters.", num=TITLE_MAX)
    for name in ("summary", "work_packages", "milestones"):
        value = getattr(content, name)
        if not value.strip():
            errors[name] = _("Please fill in this part of the plan.")
        elif len(value) > TEXT_MAX:
            errors[name] = _("This part can have at most %(num)d characters.", num=TEXT_MAX)
    for name in ("months_germany", "months_china"):
        if not 0 <= getattr(content, name) <= MAX_MONTHS:
            errors[name] = _("Please give a number of months from 0 to %(num)d.", num=MAX_MONTHS)
    if not errors and content.months_germany + content.months_china == 0:
        errors["months_germany"] = _("Please plan the stays: both cannot be 0 months.")
    if errors:
        raise PlanError(_("The plan was not saved: please check the marked fields."), fields=errors)


def save_plan(
    application: Application, content: PlanContent, *, by: User, expected_version: int | None, now: dt.datetime
) -> PlanVersion:
    """Save the applicant's plan as a new version; approvals of an earlier version are withdrawn and the supervisors
    told. An unchanged plan saves nothing."""
    if application.state not in JUDGED_STATES:
        raise PlanError(_("A withdrawn application has no joint research plan to change."))
    if not co_supervision_agreed(application):
        raise PlanError(_("The joint research plan can be drafted once both supervisors have agreed to co-supervise."))
    plan = plan_of(application)
    check_version(plan, expected_version)
    if is_approved(plan):
        raise PlanError(_("Both supervisors have approved the plan: it can no longer be changed."))
    _check_content(content)
    if plan is None:
        plan = JointPlan(application=application, created_at=now, updated_at=now)
        db.session.add(plan)
    elif PlanContent.of(plan.current).sha256 == content.sha256:
        return plan.current
    version = PlanVersion(
        plan=plan,
        number=len(plan.versions) + 1,
        sha256=content.sha256,
        author_id=by.id,
        created_at=now,
        **asdict(content),
    )
    db.session.add(version)
    plan.updated_at = now
    withdrawn = _withdraw_approvals(plan, now)
    flush_new_or_stale(lambda: version_of(plan_of(application)))
    audit.record("plan.saved", application, details={"version": version.number, "sha256": version.sha256})
    for approval in withdrawn:
        link = absolute_url("plans.history", application_id=application.id)
        notify(approval.supervisor, "plan_approval_withdrawn", application=application, version=version, link=link)
    return version


def _withdraw_approvals(plan: JointPlan, now: dt.datetime) -> list[PlanApproval]:
    withdrawn = [a for a in plan.approvals if a.withdrawn_at is None]
    for approval in withdrawn:
        approval.withdrawn_at = now
    return withdrawn


def approve(application: Application, *, by: User, sha256: str, now: dt.datetime) -> PlanApproval:
    """A chosen supervisor approves the version they saw (sha256); refused if the plan changed since."""
    profile = chosen_profile(by, application)
    plan = plan_of(application)
    if profile is None or plan is None:
        raise PlanError(_("Only the two chosen supervisors can approve the plan."))
    current = plan.current
    if sha256 != current.sha256:
        raise PlanError(_("The plan was changed since you opened it: please read the new version, then approve it."))
    if any(a.supervisor_id == by.id for a in plan.active_approvals):
        raise PlanError(_("You have already approved this version of the plan."))
    side = "DE" if application.german_supervisor_id == profile.id else "CN"
    approval = PlanApproval(
        plan=plan, version=current, supervisor_id=by.id, side=side, sha256=current.sha256, approved_at=now
    )
    db.session.add(approval)
    plan.updated_at = now  # an approval moves the plan's version on: a form loaded before it is stale
    flush_new_or_stale(lambda: version_of(plan_of(application)))
    audit.record("plan.approved", application, details={"version": current.number, "sha256": current.sha256})
    if is_approved(plan):
        link = absolute_url("plans.show", application_id=application.id)
        notify(application.applicant, "plan_approved", application=application, version=current, link=link)
    return approval


def add_comment(application: Application, *, by: User, text: str, now: dt.datetime) -> PlanComment:
    """A comment on the current version of the plan."""
    plan = plan_of(application)
    text = (text or "").strip()
    if plan is None:
        raise PlanError(_("There is no plan to comment on yet."))
    if not text:
        raise PlanError(_("Please write a comment."), field="text")
    if len(text) > COMMENT_MAX:
        raise PlanError(_("A comment can have at most %(num)d characters.", num=COMMENT_MAX), field="text")
    comment = PlanComment(plan=plan, version_number=plan.current.number, author_id=by.id, text=text, created_at=now)
    db.session.add(comment)
    db.session.flush()
    audit.record("plan.commented", application, details={"version": comment.version_number})
    return comment


@dataclass(frozen=True)
class FieldChange:
    label: str
    lines: list[str]  # unified diff lines, each starting with "+", "-" or " "


@dataclass(frozen=True)
class HistoryEntry:
    version: PlanVersion
    changes: list[FieldChange]
    approvals: list[PlanApproval]


def _diff(old: str, new: str) -> list[str]:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1)
    return [line for line in lines if not line.startswith(("---", "+++", "@@"))]


def history(plan: JointPlan) -> list[HistoryEntry]:
    """Each version, newest first, with what changed against the one before (the first: everything is new)."""
    entries, previous = [], None
    for version in plan.versions:
        changes = []
        for name, label in FIELD_LABELS.items():
            old = "" if previous is None else str(getattr(previous, name))
            new = str(getattr(version, name))
            if old != new:
                changes.append(FieldChange(str(label), _diff(old, new)))
        approvals = [a for a in plan.approvals if a.version_id == version.id]
        entries.append(HistoryEntry(version, changes, approvals))
        previous = version
    return list(reversed(entries))
