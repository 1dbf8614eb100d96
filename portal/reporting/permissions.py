"""Who may open or download what: an application's staff record, a dossier, a background export's page and file, the
applicant's own summary."""

from __future__ import annotations

from portal.accounts.models import User
from portal.applications.models import Application
from portal.applications.permissions import can_view, is_owner
from portal.core.roles import Role
from portal.reporting.job_kinds import roles_for
from portal.reporting.models import ExportJob
from portal.reporting.summary import has_summary
from portal.review.permissions import can_review


def may_open_record(user: User, application: Application) -> bool:
    """The staff record: whoever reads the application as staff (applications.permissions.can_view: coordinators, the
    chosen supervisors once it is submitted, the assigned and unconflicted committee), never its own applicant. Each
    part of the record then asks its own domain what this viewer may see of it."""
    return not is_owner(user, application) and can_view(user, application)


def may_read_emails(user: User) -> bool:
    """The emails written about an application (recipients, subjects, states): the coordinators."""
    return user.has_role(Role.COORDINATOR)


def may_download(user: User, application: Application) -> bool:
    """A dossier: coordinators any application's; a committee member only those they are assigned to (unconflicted)."""
    return user.has_role(Role.COORDINATOR) or can_review(user, application)


def may_access(user: User, job: ExportJob) -> bool:
    """A background export: only its owner, and only while they still hold a role its kind needs."""
    return job.user_id == user.id and any(user.has_role(role) for role in roles_for(job.kind))


def may_download_summary(user: User, application: Application) -> bool:
    """The PDF summary: the applicant, of an application submitted at some time."""
    return is_owner(user, application) and has_summary(application)
