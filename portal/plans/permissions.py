"""Who sees the joint research plan, who edits it, who comments and approves; 404 for what one must not know exists."""

from __future__ import annotations

from flask import abort

from portal.accounts.models import User
from portal.applications.models import Application
from portal.applications.permissions import application_for, is_owner
from portal.core.roles import Role
from portal.review.permissions import can_review, may_state


def may_read_plan(user: User, application: Application) -> bool:
    """The applicant, the chosen supervisors, the assigned committee and the coordinators read the plan."""
    return (
        is_owner(user, application)
        or may_state(user, application)
        or can_review(user, application)
        or user.has_role(Role.COORDINATOR)
    )


def may_edit_plan(user: User, application: Application) -> bool:
    """Only the applicant drafts and edits the plan (services decide whether it still may change)."""
    return is_owner(user, application)


def may_approve_plan(user: User, application: Application) -> bool:
    """The two chosen supervisors comment on the plan and approve it."""
    return may_state(user, application)


def may_comment_plan(user: User, application: Application) -> bool:
    """The applicant answers the supervisors' comments; the supervisors comment."""
    return is_owner(user, application) or may_state(user, application)


def plan_application_for(user: User, application_id: int, check=may_read_plan) -> Application:
    """The application whose plan user may read (404 otherwise); 403 when it is known but check refuses."""
    application = application_for(user, application_id, may_read_plan)
    if not check(user, application):
        abort(403)
    return application
