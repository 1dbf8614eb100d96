"""Account rules: registration, confirmation, sign-in, password reset and change, preferences, roles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from portal import db
from portal.accounts import sessions
from portal.accounts.models import AccountToken, TokenPurpose, User, UserRole, UserSession
from portal.accounts.passwords import password_problems
from portal.accounts.throttles import end_password_throttle
from portal.core import audit, security_events
from portal.core.outbox import notify
from portal.core.roles import Role
from portal.core.rules import RuleViolation
from portal.core.timeutil import is_valid_timezone, utcnow
from portal.core.tokens import new_token, token_matches
from portal.core.urls import absolute_url

# An unconfirmed account that tries to sign in gets a new confirmation link at most this often.
CONFIRMATION_REMINDER_GAP = dt.timedelta(minutes=15)
# Checked against when the email is unknown, so that a failed sign-in takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password-but-as-slow-to-check")


class AccountError(RuleViolation):
    """A rule of the accounts domain was broken; the message is shown to the user, next to `field` if given."""


class LinkInvalid(LookupError):
    """An emailed link that is wrong, used up or expired, or whose account is inactive: a 404 that reveals nothing."""


def normalize_email(raw: str) -> str:
    """The canonical, lower-cased form of an email address; raises AccountError when it is not one."""
    try:
        result = validate_email(
            (raw or "").strip(), check_deliverability=current_app.config["EMAIL_CHECK_DELIVERABILITY"]
        )
    except EmailNotValidError as error:
        raise AccountError(_("Please enter a valid email address.")) from error
    return result.normalized.lower()


def find_user_by_email(email: str) -> User | None:
    """The user with this email, whatever its case."""
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).first()


def email_taken(email: str) -> bool:
    """Whether an account already uses this email (case-insensitively)."""
    return db.session.scalar(select(func.count(User.id)).where(User.email == email.strip().lower())) > 0


def check_new_password(password: str, user_email: str, user_name: str = "") -> None:
    """Raise AccountError with the first reason the password is refused."""
    problems = password_problems(password, email=user_email, name=user_name)
    if problems:
        raise AccountError(problems[0], field="password")


def create_user(
    *,
    email: str,
    name: str,
    password: str | None,
    roles: list[Role],
    language: str = "en",
    timezone: str = "Europe/Berlin",
    confirmed: bool = False,
) -> User:
    """Create an account with the given roles (no commit)."""
    email = normalize_email(email)
    if email_taken(email):
        raise AccountError(_("An account with this email address already exists."))
    user = User(email=email, name=name.strip(), language=language, timezone=timezone)
    if password is not None:
        check_new_password(password, email, name)
        user.set_password(password)
    if confirmed:
        user.email_confirmed_at = utcnow()
    user.roles = [UserRole(role=role) for role in dict.fromkeys(roles)]
    db.session.add(user)
    db.session.flush()
    audit.record("account.created", user, details={"roles": [str(r) for r in roles]})
    return user


def register_applicant(*, email: str, name: str, password: str, language: str, timezone: str) -> User | None:
    """Register a new applicant and email them a confirmation link. For an address that already has an account, the
    answer must not tell: its owner gets an email with a link to set a new password instead, after the same work
    (one password hash, one link, one email)."""
    existing = find_user_by_email(normalize_email(email))
    if existing is None:
        user = create_user(
            email=email, name=name, password=password, roles=[Role.APPLICANT], language=language, timezone=timezone
        )
        send_confirmation(user)
        return user
    generate_password_hash(password)  # as slow as creating the account
    if existing.active:
        _send_reset_link(existing, "already_registered")
        audit.record("account.registration_for_existing_account", existing, actor_id=existing.id)
    return None


def _issue_token(user: User, purpose: TokenPurpose, lifetime: dt.timedelta) -> tuple[AccountToken, str]:
    token, token_hash = new_token()
    record = AccountToken(user_id=user.id, purpose=purpose, token_hash=token_hash, expires_at=utcnow() + lifetime)
    db.session.add(record)
    db.session.flush()
    return record, token


def send_confirmation(user: User) -> None:
    """Email the user a link that confirms their address."""
    hours = current_app.config["CONFIRM_TOKEN_HOURS"]
    record, token = _issue_token(user, TokenPurpose.CONFIRM_EMAIL, dt.timedelta(hours=hours))
    link = absolute_url("accounts.confirm_email", token_id=record.id, token=token)
    notify(user, "confirm_email", link=link, hours=hours)


def usable_token(token_id: int, token: str, purpose: TokenPurpose) -> AccountToken:
    """The stored token matching id and secret, if it is unused and unexpired; LinkInvalid reveals nothing more."""
    record = db.session.get(AccountToken, token_id)
    if record is None or record.purpose != purpose or not token_matches(token, record.token_hash):
        raise LinkInvalid
    if not record.is_usable(utcnow()) or not record.user.active:
        raise LinkInvalid
    return record


def confirm_email(record: AccountToken) -> User:
    """Mark the token's user as confirmed and use the token up."""
    record.used_at = utcnow()
    user = record.user
    if user.email_confirmed_at is None:
        user.email_confirmed_at = record.used_at
        audit.record("account.email_confirmed", user, actor_id=user.id)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; equally slow for unknown emails and wrong passwords."""
    user = find_user_by_email(email or "")
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def _sign_in_refused(user: User | None) -> AccountError:
    security_events.note("account.login_failed", user)
    return AccountError(_("The email address or the password is not correct."), field="password")


# Rules other domains add to the password sign-in (registered by the factory): each says why a user may not, or None.
PASSWORD_RULES: list[Callable[[User], str | None]] = []


def add_password_rule(rule: Callable[[User], str | None]) -> None:
    """Add a rule that may refuse a password sign-in of an otherwise valid account."""
    if rule not in PASSWORD_RULES:
        PASSWORD_RULES.append(rule)


def sign_in(email: str, password: str) -> User:
    """The active user with these credentials; refused with one message whatever was wrong (and noted in the audit
    log). An account whose address is not confirmed yet is refused the same way, and gets a new confirmation link:
    else the answer would tell whoever registered an address that it had no account before."""
    user = authenticate(email, password)
    if user is None:
        raise _sign_in_refused(find_user_by_email(email or ""))
    if not user.email_confirmed:
        user_id = user.id
        security_events.defer(lambda: _remind_to_confirm(user_id))
        raise _sign_in_refused(user)
    for rule in PASSWORD_RULES:
        reason = rule(user)
        if reason:
            raise AccountError(reason, field="password")
    if not user.has_second_factor:
        note_sign_in(user, second_factor=None)
    return user


def _remind_to_confirm(user_id: int) -> None:
    """Send a new confirmation link, unless one went out within the last quarter of an hour."""
    user = db.session.get(User, user_id)
    recent = select(AccountToken.id).where(
        AccountToken.user_id == user_id,
        AccountToken.purpose == TokenPurpose.CONFIRM_EMAIL,
        AccountToken.created_at > utcnow() - CONFIRMATION_REMINDER_GAP,
    )
    if user is not None and db.session.scalars(recent).first() is None:
        send_confirmation(user)


def note_sign_in(user: User, *, second_factor: str | None) -> None:
    """Record a completed sign-in (after the password, and the second factor if the account has one)."""
    user.last_login_at = utcnow()
    details = {"address": sessions.client_address(), "second_factor": second_factor}
    audit.record("account.login", user, actor_id=user.id, details=details)


def end_other_sessions(user: User, current: UserSession | None) -> int:
    """Sign the user out everywhere but here; how many sessions ended."""
    return sessions.end_sessions(user, "signed_out_others", keep=current)


def end_all_sessions(user: User) -> int:
    """Sign the user out everywhere, here too; how many sessions ended."""
    return sessions.end_sessions(user, "signed_out_everywhere")


def _use_up_links(user: User, purpose: TokenPurpose, now: dt.datetime) -> None:
    """Every unused link of this kind of the user stops working."""
    db.session.execute(
        update(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == purpose, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )


def _send_reset_link(user: User, template: str) -> None:
    """Email the user a new link to set a password; every older unused one stops working."""
    _use_up_links(user, TokenPurpose.RESET_PASSWORD, utcnow())
    hours = current_app.config["RESET_TOKEN_HOURS"]
    record, token = _issue_token(user, TokenPurpose.RESET_PASSWORD, dt.timedelta(hours=hours))
    link = absolute_url("accounts.reset_password", token_id=record.id, token=token)
    notify(user, template, link=link, hours=hours)


def request_password_reset(email: str) -> None:
    """Email a reset link if an active account has this email; say nothing either way."""
    try:
        normalized = normalize_email(email)
    except AccountError:
        return
    user = find_user_by_email(normalized)
    if user is None or not user.active:
        return
    _send_reset_link(user, "reset_password")
    audit.record("account.password_reset_requested", user, actor_id=user.id)


def _set_password_from_link(record: AccountToken, new_password: str, *, reason: str) -> User:
    """Set a password through an emailed link: every open link of that kind is used up, the address counts as
    confirmed (whoever received the link owns the mailbox), and every session ends."""
    user = record.user
    check_new_password(new_password, user.email, user.name)
    user.set_password(new_password)
    now = utcnow()
    _use_up_links(user, record.purpose, now)
    record.used_at = now
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
    sessions.end_sessions(user, reason, actor_id=user.id)
    return user


def reset_password(record: AccountToken, new_password: str) -> User:
    """Set a new password from a reset link, use up every open reset link, end all sessions, and end the throttle of
    failed passwords: the owner of the mailbox must be able to sign in with the new password at once."""
    user = _set_password_from_link(record, new_password, reason="password_reset")
    end_password_throttle(user.email)
    audit.record("account.password_reset", user, actor_id=user.id)
    return user


def change_password(user: User, current_password: str, new_password: str, *, current: UserSession | None) -> None:
    """Change the password after checking the current one; ends every other session."""
    if not user.check_password(current_password):
        raise AccountError(_("The current password is not correct."), field="current_password")
    check_new_password(new_password, user.email, user.name)
    user.set_password(new_password)
    sessions.end_sessions(user, "password_changed", keep=current)
    audit.record("account.password_changed", user)


def update_preferences(user: User, *, language: str, timezone: str) -> None:
    """Store the user's language and time zone."""
    if language not in current_app.config["LANGUAGES"] or not is_valid_timezone(timezone):
        raise AccountError(_("Please choose a language and a time zone from the lists."))
    user.language = language
    user.timezone = timezone
    db.session.flush()


def set_active(user: User, active: bool) -> None:
    """Activate or deactivate an account; deactivation ends every session at once."""
    if user.active == active:
        return
    user.active = active
    if not active:
        sessions.end_sessions(user, "deactivated")
    audit.record("account.activated" if active else "account.deactivated", user)


def grant_role(user: User, role: Role) -> None:
    """Give the user a role (no-op if held)."""
    if not user.has_role(role):
        user.roles.append(UserRole(role=role))
        db.session.flush()
        audit.record("account.role_granted", user, details={"role": str(role)})


# --- Invitations: accounts created by coordinators, whose owner sets the password through an emailed link ----------

INVITATION_DAYS = 14


def invitation_days() -> int:
    """How long an invitation link stays valid (INVITATION_TOKEN_DAYS, 14 days unless configured)."""
    return int(current_app.config.get("INVITATION_TOKEN_DAYS", INVITATION_DAYS))


def send_invitation(user: User, *, invited_by: User | None = None) -> None:
    """Email the user a single-use link to set their own password (only the token's hash is stored)."""
    days = invitation_days()
    record, token = _issue_token(user, TokenPurpose.INVITATION, dt.timedelta(days=days))
    link = absolute_url("accounts.accept_invitation", token_id=record.id, token=token)
    roles = [entry.role for entry in user.roles]
    notify(user, "invitation", link=link, days=days, roles=roles, invited_by=invited_by)
    audit.record("account.invitation_sent", user, details={"expires_at": record.expires_at.isoformat()})


def usable_invitation(token_id: int, token: str) -> AccountToken:
    """The usable invitation behind a link; LinkInvalid once used or expired, or when the account has a password."""
    record = usable_token(token_id, token, TokenPurpose.INVITATION)
    if record.user.password_hash is not None:
        raise LinkInvalid
    return record


def accept_invitation(record: AccountToken, new_password: str) -> User:
    """Set the invited user's first password, confirm their address and use up every open invitation link."""
    user = _set_password_from_link(record, new_password, reason="invitation_accepted")
    audit.record("account.invitation_accepted", user, actor_id=user.id)
    return user
