"""Who may see an application and its documents, and who may change it; 404 when the object must stay unknown."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask import abort
from sqlalchemy.orm.interfaces import ORMOption

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, ApplicationState, Document, DocumentKind
from portal.core.roles import Role

# Rules added by the domains above (the committee's assignments live in review/): each may grant reading. The factory
# registers them (portal.register_permission_rules), never an import as a side effect.
ExtraReadRule = Callable[[User, Application], bool]
EXTRA_READ_RULES: list[ExtraReadRule] = []


def add_read_rule(rule: ExtraReadRule) -> None:
    """Let a domain above grant reading of an application (once per rule, however often the factory runs)."""
    if rule not in EXTRA_READ_RULES:
        EXTRA_READ_RULES.append(rule)


def is_owner(user: User, application: Application) -> bool:
    return application.applicant_id == user.id


def is_chosen_supervisor(user: User, application: Application) -> bool:
    """Whether user is one of the two supervisors the application names."""
    profiles = (application.german_supervisor, application.chinese_supervisor)
    return any(profile is not None and profile.user_id == user.id for profile in profiles)


def can_view(user: User, application: Application) -> bool:
    """Read the application and its documents (not necessarily the referees' letters)."""
    if is_owner(user, application) or user.has_role(Role.COORDINATOR):
        return True
    if application.state in {ApplicationState.DRAFT, ApplicationState.WITHDRAWN}:
        return False  # drafts are private; a withdrawn application is no one else's business any more
    if user.has_role(Role.SUPERVISOR) and is_chosen_supervisor(user, application):
        return True
    return any(rule(user, application) for rule in EXTRA_READ_RULES)


def can_read_letters(user: User, application: Application) -> bool:
    """Read the referees' letters: never the applicant; the chosen supervisors, the committee, coordinators."""
    return not is_owner(user, application) and can_view(user, application)


def can_download(user: User, document: Document) -> bool:
    """Referees' letters for those who may read letters (never the applicant); anything else for those who may view."""
    check = can_read_letters if document.kind == DocumentKind.REFEREE_LETTER else can_view
    return check(user, document.application)


def document_for(user: User, document_id: int) -> Document:
    """The document if user may download it; 404 otherwise, so that others cannot learn it exists."""
    document = db.session.get(Document, document_id)
    if document is None or not can_download(user, document):
        abort(404)
    return document


def application_for(
    user: User,
    application_id: int,
    check: Callable[[User, Application], bool] = can_view,
    options: Sequence[ORMOption] = (),
    *,
    read: Callable[[int], Application | None] | None = None,
):
    """The application if user passes check; 404 otherwise, so that others cannot learn it exists (options: what the
    page shows of it, loaded with it; read: how to read it, when the page reads more with it)."""
    application = read(application_id) if read else db.session.get(Application, application_id, options=options)
    if application is None or not check(user, application):
        abort(404)
    return application
