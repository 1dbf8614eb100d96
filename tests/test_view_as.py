"""View-as: an administrator sees the portal as a given person, read only, with a banner; start and end are audited;
never as another administrator; no other role may."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from tests.conftest import sign_in
from tests.factories import UserFactory


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.fixture
def admin(client):
    user = UserFactory(roles=[Role.ADMIN], name="Ada Admin")
    db.session.commit()
    sign_in(client, user)
    return user


@pytest.fixture
def person():
    user = UserFactory(roles=[Role.SUPERVISOR], name="Sam Supervisor", language="en")
    db.session.commit()
    return user


def _menu_name(page) -> str:
    """The signed-in person's name in the menu."""
    return re.search(r'href="/account/settings"[^>]*>([^<]*)</a>', page.get_data(as_text=True)).group(1)


def _view_as(client, user):
    return client.post("/view-as", data={"email": user.email})


def test_the_admin_sees_the_portal_as_the_person_with_a_banner(client, admin, person):
    assert _view_as(client, person).status_code == 302
    page = client.get("/account/settings")
    assert page.status_code == 200
    assert b"You are viewing the portal as Sam Supervisor" in page.data
    assert _menu_name(page) == "Sam Supervisor"  # the page is the person's
    [started] = _events("view_as.start")
    assert (started.actor_id, started.target_id) == (admin.id, person.id)


def test_ending_is_audited_and_the_admin_is_themselves_again(client, admin, person):
    _view_as(client, person)
    assert client.post("/view-as/end").status_code == 302
    [ended] = _events("view_as.end")
    assert (ended.actor_id, ended.target_id) == (admin.id, person.id)
    page = client.get("/account/settings")
    assert b"You are viewing the portal as" not in page.data
    assert _menu_name(page) == "Ada Admin"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/account/settings", {"name": "Changed", "language": "de", "timezone": "Europe/Berlin"}),
        ("/account/password", {"current_password": "x", "password": "another-long-password-2026"}),
        ("/account/logout", {}),
        ("/view-as", {"email": "someone@example.org"}),
    ],
)
def test_any_post_while_viewing_as_is_refused_with_a_clear_message_and_changes_nothing(
    client, admin, person, path, data
):
    _view_as(client, person)
    name_before = person.name
    events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = client.post(path, data=data)
    assert response.status_code == 403
    assert b"nothing can be changed, saved or sent" in response.data
    db.session.expire_all()
    assert db.session.get(User, person.id).name == name_before
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id).offset(events_before)).all()
    assert set(actions) <= {"access.refused"}  # a refused request to a staff page is noted, nothing else
    assert b"You are viewing the portal as Sam Supervisor" in client.get("/account/settings").data


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("another_admin", b"cannot view the portal as another administrator"),
        ("themselves", b"cannot view the portal as yourself"),
        ("nobody", b"No account uses this email address"),
    ],
)
def test_the_admin_may_not_view_as(client, admin, who, message):
    other_admin = UserFactory(roles=[Role.ADMIN, Role.COORDINATOR])
    db.session.commit()
    email = {"another_admin": other_admin.email, "themselves": admin.email, "nobody": "nobody@example.org"}[who]
    response = client.post("/view-as", data={"email": email})
    assert response.status_code == 200
    assert message in response.data
    assert _events("view_as.start") == []
    assert b"You are viewing the portal as" not in client.get("/account/settings").data


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.COORDINATOR])
def test_no_other_role_may_view_as(client, person, role):
    sign_in(client, UserFactory(roles=[role]))
    assert client.get("/view-as").status_code == 403
    assert client.post("/view-as", data={"email": person.email}).status_code == 403
    assert _events("view_as.start") == []


def test_a_person_who_becomes_an_admin_is_no_longer_viewed(client, admin, person):
    _view_as(client, person)
    from portal.accounts.models import UserRole

    db.session.add(UserRole(user_id=person.id, role=Role.ADMIN))
    db.session.commit()
    page = client.get("/account/settings")
    assert b"You are viewing the portal as" not in page.data
    assert _menu_name(page) == "Ada Admin"
