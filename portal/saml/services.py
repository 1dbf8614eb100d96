"""Signing in with a university identity, linking it to an account, one-time assertions, and the coordinators' rule
that a staff account signs in with its university only."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from portal import db
from portal.accounts.models import User
from portal.core import audit
from portal.core.roles import Role
from portal.core.rules import RuleViolation
from portal.core.timeutil import utcnow
from portal.saml.models import SamlIdentity, UniversitySignInRequired, UsedAssertion
from portal.saml.sp import Identity

# An assertion without an expiry is remembered this long (identity providers give them minutes).
DEFAULT_ASSERTION_LIFETIME = dt.timedelta(hours=1)
STAFF_ROLES = frozenset({Role.SUPERVISOR.value, Role.COMMITTEE.value, Role.COORDINATOR.value, Role.ADMIN.value})


class NotLinked(RuleViolation):
    """The university identity belongs to no account yet."""


def _remember_assertion(identity: Identity) -> None:
    """Accept each assertion once: a second use of its ID is a replay."""
    used = select(UsedAssertion.id).where(
        UsedAssertion.issuer == identity.issuer, UsedAssertion.assertion_id == identity.assertion_id
    )
    if db.session.scalars(used).first() is not None:
        raise RuleViolation(_l("This sign-in was already used. Please sign in with your university again."))
    expires = (
        dt.datetime.fromtimestamp(identity.not_on_or_after, dt.UTC)
        if identity.not_on_or_after
        else utcnow() + DEFAULT_ASSERTION_LIFETIME
    )
    db.session.add(UsedAssertion(issuer=identity.issuer, assertion_id=identity.assertion_id, expires_at=expires))
    db.session.flush()


def _linked(identity: Identity) -> SamlIdentity | None:
    query = select(SamlIdentity).where(SamlIdentity.issuer == identity.issuer, SamlIdentity.subject == identity.subject)
    return db.session.scalars(query).first()


def sign_in(identity: Identity) -> User:
    """The active account the identity is linked to; refused (NotLinked) when none is: never found by email."""
    _remember_assertion(identity)
    link = _linked(identity)
    if link is None:
        raise NotLinked(_l("This university account is not linked to a portal account yet."))
    if not link.user.active:
        raise RuleViolation(_l("This account is deactivated."))
    link.last_used_at = utcnow()
    audit.record("saml.login", link.user, actor_id=link.user_id, details={"issuer": identity.issuer})
    return link.user


def link(user: User, identity: Identity) -> SamlIdentity:
    """Link the identity to the signed-in user (who gave their password in this session)."""
    _remember_assertion(identity)
    existing = _linked(identity)
    if existing is not None and existing.user_id != user.id:
        raise RuleViolation(_l("This university account is already linked to another portal account."))
    if existing is not None:
        return existing
    record = SamlIdentity(user_id=user.id, issuer=identity.issuer, subject=identity.subject, last_used_at=utcnow())
    db.session.add(record)
    db.session.flush()
    audit.record("saml.link", user, details={"issuer": identity.issuer})
    return record


def identities(user: User) -> list[SamlIdentity]:
    """The university identities linked to the user."""
    query = select(SamlIdentity).where(SamlIdentity.user_id == user.id).order_by(SamlIdentity.created_at)
    return list(db.session.scalars(query))


def unlink(user: User, identity_id: int) -> None:
    """Remove one of the user's linked identities."""
    record = db.session.get(SamlIdentity, identity_id)
    if record is None or record.user_id != user.id:
        raise RuleViolation(_l("This university account is not linked to your account."))
    if university_sign_in_required(user) and len(identities(user)) == 1:
        raise RuleViolation(_l("Your account must sign in with your university: the last link cannot be removed."))
    db.session.delete(record)
    audit.record("saml.unlink", user, details={"issuer": record.issuer})


def university_sign_in_required(user: User) -> bool:
    """Whether a coordinator requires this account to sign in with its university."""
    return db.session.get(UniversitySignInRequired, user.id) is not None


def set_university_sign_in(coordinator: User, user: User, required: bool) -> None:
    """Require (or no longer require) a staff account to sign in with its university."""
    if STAFF_ROLES.isdisjoint(user.role_names):
        raise RuleViolation(_l("Only staff accounts can be required to sign in with their university."))
    current = db.session.get(UniversitySignInRequired, user.id)
    if required and current is None:
        db.session.add(UniversitySignInRequired(user_id=user.id, set_by_id=coordinator.id))
    elif not required and current is not None:
        db.session.delete(current)
    else:
        return
    db.session.flush()
    audit.record("saml.require" if required else "saml.require_lifted", user)


def password_refusal(user: User) -> str | None:
    """Why the user may not sign in with the password (a rule the factory adds to the accounts' sign-in), or None.

    Only once the account has a linked identity: the password is still needed once, to link it."""
    if university_sign_in_required(user) and identities(user):
        return _("Your account signs in with your university account. Please use “Sign in with your university”.")
    return None


def forget_used_assertions(now: dt.datetime | None = None) -> int:
    """Delete remembered assertion IDs whose assertions have expired (a replay of those fails on the expiry)."""
    result = db.session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < (now or utcnow())))
    return int(result.rowcount or 0)
