"""Personal access tokens in the account settings: created with scopes and an expiry, shown once, stored hashed,
revocable by their owner only, audited; only staff hold them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal import db
from portal.api.models import ApiToken
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.tokens import hash_token
from tests.conftest import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("plain_app_context")
TOKEN = re.compile(r'value="(pat_\d+_[\w-]+)"[^>]*id="new-token-value"')


def _create(client, **data):
    form = {"name": "Office import", "scopes": ["applications:read", "rounds:read"], "days": "90", **data}
    return client.post("/account/tokens", data=form)


def _secret(response) -> str:
    match = TOKEN.search(response.get_data(as_text=True))
    assert match, "the new token is not shown"
    return match.group(1)


def test_a_coordinator_creates_a_token_shown_once_and_stored_hashed(client, login_as):
    user = login_as(Role.COORDINATOR)
    response = _create(client)
    assert response.status_code == 200
    secret = _secret(response)
    token = db.session.scalars(select(ApiToken)).one()
    assert token.user_id == user.id and token.scopes == ["applications:read", "rounds:read"]
    assert token.token_hash == hash_token(secret.split("_", 2)[2]) and secret not in token.token_hash
    assert 89 <= (token.expires_at - token.created_at).days <= 90
    again = client.get("/account/tokens").get_data(as_text=True)
    assert "Office import" in again and secret not in again  # shown this once only
    assert client.get("/api/v1/rounds", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_token.created")).one()
    assert event.actor_id == user.id and event.details["scopes"] == ["applications:read", "rounds:read"]


@pytest.mark.parametrize(
    ("data", "message"),
    [({"scopes": []}, "Choose at least one scope."), ({"days": "7"}, "Not a valid choice"), ({"name": ""}, "required")],
)
def test_bad_input_is_refused_and_creates_nothing(client, login_as, data, message):
    login_as(Role.COORDINATOR)
    response = _create(client, **data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalars(select(ApiToken)).all() == []


def test_the_owner_revokes_a_token_and_it_stops_working(client, login_as):
    login_as(Role.ADMIN)
    secret = _secret(_create(client, scopes=["people:read"]))
    token = db.session.scalars(select(ApiToken)).one()
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    db.session.expire_all()
    assert token.revoked_at is not None
    assert client.get("/api/v1/people", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_token.revoked")).one()


def test_nobody_revokes_another_persons_token(client, login_as):
    owner = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    sign_in(client, owner)
    _create(client)
    token = db.session.scalars(select(ApiToken)).one()
    login_as(Role.COORDINATOR)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    db.session.expire_all()
    assert token.revoked_at is None


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE])
def test_role_x_may_not_hold_tokens(client, login_as, role):
    login_as(role)
    assert client.get("/account/tokens").status_code == 403
    assert _create(client).status_code == 403
    assert db.session.scalars(select(ApiToken)).all() == []


def test_the_settings_link_to_the_tokens_only_for_staff(client, login_as):
    login_as(Role.APPLICANT)
    assert "/account/tokens" not in client.get("/account/settings").get_data(as_text=True)
    login_as(Role.COORDINATOR)
    assert "/account/tokens" in client.get("/account/settings").get_data(as_text=True)
