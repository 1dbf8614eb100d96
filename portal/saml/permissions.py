"""Object checks of SAML sign-in: a person manages only their own linked identities (portal.saml.services checks the
owner); coordinators decide, through the role decorator, which staff accounts must sign in with their university."""

from __future__ import annotations

from flask import abort

from portal import db
from portal.accounts.models import User
from portal.saml.services import STAFF_ROLES


def staff_account(user_id: int) -> User:
    """A staff account a coordinator may require to sign in with its university; 404 for any other account."""
    user = db.session.get(User, user_id)
    if user is None or STAFF_ROLES.isdisjoint(user.role_names):
        abort(404)
    return user
