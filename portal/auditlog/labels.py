"""Readable names for the audit log: what each action means, what kind of object it concerns, and its details."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts.devices import describe
from portal.applications.models import OUTCOME_LABELS, STATE_LABELS, ApplicationState, DecisionOutcome
from portal.core.countries import country_name
from portal.core.roles import Role
from portal.core.templating import format_local
from portal.review.history import ACTION_LABELS as APPLICATION_ACTION_LABELS
from portal.review.history import USER_DETAIL_KEYS
from portal.review.models import ANSWER_LABELS, StatementAnswer

ACTION_LABELS = {
    **APPLICATION_ACTION_LABELS,
    "access.refused": _l("Refused access to a staff page"),
    "offers.settings_saved": _l("Offers' deadline and next steps saved"),
    "account.created": _l("New account created"),
    "account.activated": _l("Account activated"),
    "account.deactivated": _l("Account deactivated"),
    "account.email_confirmed": _l("Email address confirmed"),
    "account.invited": _l("Person invited"),
    "account.invitation_sent": _l("Invitation sent"),
    "account.invitation_accepted": _l("Invitation accepted"),
    "account.login": _l("Signed in"),
    "account.login_failed": _l("Failed sign-in"),
    "account.second_factor_failed": _l("Wrong code at the second step of a sign-in"),
    "account.password_changed": _l("Password changed"),
    "account.password_reset_requested": _l("Link to set a new password requested"),
    "account.password_reset": _l("Password set through an emailed link"),
    "account.registration_for_existing_account": _l("Registration tried with an address that has an account"),
    "account.renamed": _l("Name changed"),
    "account.role_granted": _l("Role granted"),
    "account.role_removed": _l("Role removed"),
    "account.session_ended": _l("Signed out of one session"),
    "account.sessions_ended": _l("Signed out of sessions"),
    "account.second_factor_enabled": _l("Two-factor sign-in turned on"),
    "account.second_factor_disabled": _l("Two-factor sign-in turned off"),
    "account.second_factor_reset": _l("Two-factor sign-in reset by an administrator"),
    "account.recovery_codes_replaced": _l("New recovery codes made"),
    "account.personal_data_exported": _l("Personal data exported"),
    "bulkmail.sent": _l("Mail sent to a group"),
    "committee.seat_created": _l("Committee seat created"),
    "committee.seat_moved": _l("Committee seat moved"),
    "coordination.applications_exported": _l("Applications list exported"),
    "coordination.office_list_exported": _l("University list exported"),
    "coordination.pairing_exported": _l("Pairing list exported"),
    "coordination.ranking_exported": _l("Ranking exported"),
    "coordination.export_job_created": _l("Background export started"),
    "coordination.export_job_downloaded": _l("Background export downloaded"),
    "coordination.export_job_retried": _l("Background export started again"),
    "decisions.released": _l("Decisions released"),
    "review.proposal_applied": _l("Proposed assignments applied"),
    "round.created": _l("Intake round created"),
    "round.updated": _l("Intake round changed"),
    "round.opened_early": _l("Intake round opened early"),
    "round.closed_early": _l("Intake round closed early"),
    "round.purged": _l("Personal data of a round deleted"),
    "supervisor.profile_created": _l("Supervisor profile created"),
    "supervisor.profile_updated": _l("Supervisor profile changed"),
    "supervisor.availability_changed": _l("Supervisor's availability changed"),
    "supervisors.imported": _l("Supervisors imported"),
}

OBJECT_LABELS = {
    "users": _l("Account"),
    "applications": _l("Application"),
    "intake_rounds": _l("Intake round"),
    "supervisor_profiles": _l("Supervisor profile"),
    "committee_members": _l("Committee seat"),
    "documents": _l("Document"),
    "decisions": _l("Decision"),
    "referee_invitations": _l("Referee"),
    "review_assignments": _l("Review assignment"),
    "reviews": _l("Review"),
    "supervisor_statements": _l("Supervisor's statement"),
    "outbox_emails": _l("Email"),
    "export_jobs": _l("Background export"),
}

DETAIL_LABELS = {
    "address": _l("Address"),
    "count": _l("Times"),
    "paths": _l("Pages"),
    "reason": _l("Why"),
    "second_factor": _l("Second factor"),
    "session": _l("Session"),
    "kept": _l("Kept session"),
    "device": _l("Device"),
    "role": _l("Role"),
    "roles": _l("Roles"),
    "replaced": _l("Replaced an earlier app"),
    "expires_at": _l("Expires"),
    "reviewer": _l("Reviewer"),
    "user": _l("Person"),
    "from": _l("From"),
    "to": _l("To"),
    "outcome": _l("Decision"),
    "note_changed": _l("Note changed"),
    "position": _l("Position"),
    "kind": _l("Kind"),
    "format": _l("Format"),
    "university": _l("University"),
    "capacity": _l("Capacity"),
    "changes": _l("Changes"),
    "before": _l("Before"),
    "after": _l("After"),
    "total": _l("Total"),
    "rows": _l("Rows"),
    "file_name": _l("File name"),
    "attempts": _l("Attempts"),
    "answer": _l("Answer"),
    "side": _l("Side"),
    "previous": _l("Before"),
    "filters": _l("Filters"),
}

REASON_LABELS = {
    "logout": _l("signed out"),
    "password_changed": _l("password changed"),
    "password_reset": _l("password set through an emailed link"),
    "invitation_accepted": _l("invitation accepted"),
    "deactivated": _l("account deactivated"),
    "signed_out_elsewhere": _l("signed out from another session"),
    "signed_out_others": _l("all other sessions signed out"),
    "signed_out_everywhere": _l("signed out everywhere"),
    "second_factor_missing": _l("second factor missing"),
    "second_factor_reset": _l("two-factor sign-in reset"),
}

STATE_VALUES = {state.value for state in ApplicationState}
OUTCOME_VALUES = {outcome.value for outcome in DecisionOutcome}

SECOND_FACTOR_LABELS = {"app": _l("authenticator app"), "recovery_code": _l("recovery code")}


def action_label(action: str) -> str:
    """What the action means, in the viewer's language; the code itself for an action without a label yet."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def object_label(target_type: str | None) -> str:
    """The kind of object, in the viewer's language."""
    if target_type is None:
        return ""
    label = OBJECT_LABELS.get(target_type)
    return str(label) if label is not None else target_type.replace("_", " ")


def _role_label(value: Any) -> str:
    return Role(value).label if value in {r.value for r in Role} else str(value)


def _enum_label(labels: dict, kind: type) -> Any:
    return lambda value: labels[kind(value)] if value in {member.value for member in kind} else value


def _timestamp(value: Any) -> str:
    try:
        return format_local(dt.datetime.fromisoformat(value), "short")
    except (TypeError, ValueError):
        return str(value)


# How the value of each kind of detail reads; details not named here are shown as they are (numbers, names).
VALUE_READERS = {
    "reason": lambda value: REASON_LABELS.get(value, value),
    "second_factor": lambda value: SECOND_FACTOR_LABELS.get(value, value),
    "device": describe,
    "role": lambda value: ", ".join(_role_label(v) for v in (value if isinstance(value, list) else [value])),
    "session": lambda value: f"#{value}",
    "kept": lambda value: f"#{value}",
    "from": _enum_label(STATE_LABELS, ApplicationState),
    "to": _enum_label(STATE_LABELS, ApplicationState),
    "outcome": _enum_label(OUTCOME_LABELS, DecisionOutcome),
    "previous": _enum_label(OUTCOME_LABELS, DecisionOutcome),
    "answer": _enum_label(ANSWER_LABELS, StatementAnswer),
    "side": country_name,
    "format": lambda value: FORMAT_LABELS.get(value, value),
}
VALUE_READERS["roles"] = VALUE_READERS["role"]
FORMAT_LABELS = {"pdf": "PDF", "text": _l("text"), "csv": "CSV", "xlsx": "Excel"}


def _readable(key: str, value: Any) -> str:
    if value is None or value == "":
        return "\u2013"
    if key in VALUE_READERS:
        return str(VALUE_READERS[key](value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_readable(k, v)}" for k, v in value.items())
    if isinstance(value, str) and key.endswith("_at"):
        return _timestamp(value)
    return str(value)


def readable_details(details: dict[str, Any] | None, names: dict[int, str]) -> list[tuple[str, str]]:
    """The event's details as (label, text) for reading: people by name, codes in words."""
    shown = []
    for key, value in (details or {}).items():
        if key in USER_DETAIL_KEYS and isinstance(value, int):
            key, value = key.removesuffix("_id"), names.get(value, f"#{value}")
        label = DETAIL_LABELS.get(key)
        shown.append((str(label) if label is not None else key.replace("_", " ").capitalize(), _readable(key, value)))
    return shown
