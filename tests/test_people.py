"""People: invitations end to end, inviting an existing account, profiles and seats, deactivation, role management
with the last-administrator rule, the people list (search, filters, pages, one query), and who may not."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from portal import db
from portal.accounts.models import AccountToken, TokenPurpose, User, UserRole
from portal.applications.models import Application
from portal.core.audit import AuditEvent
from portal.core.outbox import OutboxEmail
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.review.models import CommitteeMember
from portal.supervisors.models import ResearchField, SupervisorProfile
from tests.conftest import sign_in
from tests.factories import PASSWORD, ApplicationFactory, UserFactory, supervisor

NEW_PASSWORD = "Kolleg-Winter-Semester-2027"


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR)


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def invite_data(**overrides) -> dict:
    data = {
        "email": "Li.Wei@Tongji.edu.CN",
        "name": "李伟",
        "role": "supervisor",
        "language": "zh",
        "university": "TONGJI",
        "title": "Prof. Dr.",
        "department": "School of Materials Science",
        "research_areas": "Hydrogen storage in metal hydrides",
        "languages": "zh, en",
        "capacity": "3",
        "accepting_candidates": "y",
        "fields": ["materials", "energy_hydrogen"],
    }
    data.update(overrides)
    return data


def user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email)).first()


def actions_for(user_id: int) -> list[str]:
    query = (
        select(AuditEvent.action)
        .where(AuditEvent.target_type == "users", AuditEvent.target_id == user_id)
        .order_by(AuditEvent.id)
    )
    return list(db.session.scalars(query))


def invitation_links(app, smtp_server) -> list[str]:
    smtp_server.deliver_outbox(app)
    links = []
    for message in smtp_server.messages:
        links += re.findall(r"http://portal\.test(/account/invitation/\S+)", smtp_server.body_of(message))
    return links


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))


def error_of(page: str, field: str) -> str:
    assert f'id="{field}-error"' in page, f"no error shown next to {field}"
    return page.split(f'id="{field}-error"')[1].split("</div>")[0]


# --- Invitations ---------------------------------------------------------------------------------------------------


def test_invited_supervisor_sets_a_password_through_the_emailed_link_and_signs_in(
    app, client, coordinator, smtp_server
):
    response = client.post("/coordination/people/invite", data=invite_data())
    assert response.status_code == 302
    user = user_by_email("li.wei@tongji.edu.cn")
    assert response.headers["Location"].endswith(f"/coordination/people/{user.id}")
    assert user.name == "李伟" and user.password_hash is None and not user.email_confirmed
    assert user.role_names == {"supervisor"}
    assert user.language == "zh" and user.timezone == "Asia/Shanghai"
    profile = db.session.scalars(select(SupervisorProfile).where(SupervisorProfile.user_id == user.id)).one()
    assert (profile.university.code, profile.title, profile.capacity) == ("TONGJI", "Prof. Dr.", 3)
    assert profile.research_fields == [ResearchField.ENERGY_HYDROGEN, ResearchField.MATERIALS]
    assert profile.accepting_candidates
    token = db.session.scalars(select(AccountToken).where(AccountToken.user_id == user.id)).one()
    token_hash = token.token_hash
    assert token.purpose == TokenPurpose.INVITATION
    assert dt.timedelta(days=13, hours=23) < token.expires_at - utcnow() <= dt.timedelta(days=14)
    assert len(token.token_hash) == 64
    assert actions_for(user.id) == ["account.created", "account.invitation_sent", "account.invited"]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "supervisor.profile_created"))
    user_id = user.id

    (link,) = invitation_links(app, smtp_server)
    message = smtp_server.messages[0]
    assert message["To"] == "li.wei@tongji.edu.cn" and message["Content-Language"] == "zh"
    assert token_hash not in smtp_server.body_of(message)

    invited = app.test_client()
    # Opening the link (as a mail scanner would) changes nothing.
    page = invited.get(link)
    assert page.status_code == 200 and "li.wei@tongji.edu.cn" in page.get_data(as_text=True)
    assert user_by_email("li.wei@tongji.edu.cn").password_hash is None
    # The password policy applies.
    weak = invited.post(link, data={"password": "password", "password_confirm": "password"})
    assert weak.status_code == 200 and "at least 12 characters" in error_of(weak.get_data(as_text=True), "password")
    assert user_by_email("li.wei@tongji.edu.cn").password_hash is None

    # Setting the password signs the invited person in at once.
    response = invited.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard")
    assert invited.get("/dashboard").status_code == 200
    user = user_by_email("li.wei@tongji.edu.cn")
    assert user.check_password(NEW_PASSWORD) and user.email_confirmed
    assert "account.invitation_accepted" in actions_for(user_id)

    # Single use.
    again = {"password": "Another-Password-2027", "password_confirm": "Another-Password-2027"}
    assert invited.get(link).status_code == 404
    assert invited.post(link, data=again).status_code == 404
    assert user_by_email("li.wei@tongji.edu.cn").check_password(NEW_PASSWORD)

    signed_in = invited.post("/account/login", data={"email": "li.wei@tongji.edu.cn", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/dashboard")
    assert invited.get("/dashboard").status_code == 200


def test_invited_committee_member_gets_a_seat(app, client, coordinator, smtp_server):
    data = invite_data(email="mueller@uni-goettingen.de", name="Jana Müller", role="committee", university="UGOE")
    data["language"] = "de"
    assert client.post("/coordination/people/invite", data=data).status_code == 302
    user = user_by_email("mueller@uni-goettingen.de")
    assert user.role_names == {"committee"} and user.timezone == "Europe/Berlin"
    seat = db.session.scalars(select(CommitteeMember).where(CommitteeMember.user_id == user.id)).one()
    assert seat.university.code == "UGOE"
    assert db.session.scalar(select(func.count(SupervisorProfile.id))) == 0
    assert len(invitation_links(app, smtp_server)) == 1
    assert smtp_server.messages[0]["Content-Language"] == "de"


def test_expired_invitation_link_is_refused(app, client, coordinator, smtp_server):
    client.post("/coordination/people/invite", data=invite_data())
    (link,) = invitation_links(app, smtp_server)
    token = db.session.scalars(select(AccountToken)).one()
    token.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert app.test_client().get(link).status_code == 404
    response = app.test_client().post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 404
    assert user_by_email("li.wei@tongji.edu.cn").password_hash is None


def test_tampered_invitation_link_is_refused(app, client, coordinator, smtp_server):
    client.post("/coordination/people/invite", data=invite_data())
    (link,) = invitation_links(app, smtp_server)
    forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
    assert (
        app.test_client().post(forged, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}).status_code
        == 404
    )
    assert user_by_email("li.wei@tongji.edu.cn").password_hash is None


def test_inviting_an_existing_account_adds_the_role_instead(app, client, coordinator, smtp_server):
    existing = UserFactory(email="li.wei@tongji.edu.cn", name="Li Wei", roles=[Role.APPLICANT])
    db.session.commit()
    existing_id = existing.id
    response = client.post("/coordination/people/invite", data=invite_data(role="committee"), follow_redirects=True)
    assert "already has an account" in response.get_data(as_text=True)
    user = user_by_email("li.wei@tongji.edu.cn")
    assert user.id == existing_id and user.role_names == {"applicant", "committee"}
    assert user.name == "Li Wei" and user.check_password(PASSWORD)  # the account keeps its name and password
    assert db.session.scalars(select(CommitteeMember).where(CommitteeMember.user_id == user.id)).one()
    assert count_users() == 2  # the coordinator and Li Wei
    assert invitation_links(app, smtp_server) == []  # they can sign in already
    assert "account.role_granted" in actions_for(existing_id)

    # Inviting again for a role already held adds nothing and says so.
    again = client.post("/coordination/people/invite", data=invite_data(role="committee"), follow_redirects=True)
    assert "already holds the role" in again.get_data(as_text=True)
    assert user_by_email("li.wei@tongji.edu.cn").role_names == {"applicant", "committee"}


def test_inviting_again_before_a_password_is_set_sends_a_new_link_and_both_are_used_up(
    app, client, coordinator, smtp_server
):
    client.post("/coordination/people/invite", data=invite_data())
    page = client.post("/coordination/people/invite", data=invite_data(), follow_redirects=True).get_data(as_text=True)
    assert "new invitation link has been sent" in page
    first, second = invitation_links(app, smtp_server)
    invited = app.test_client()
    assert invited.post(second, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}).status_code == 302
    assert invited.get(first).status_code == 404
    assert db.session.scalar(select(func.count(AccountToken.id)).where(AccountToken.used_at.is_(None))) == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "valid email address"),
        ({"name": ""}, "name", "Please enter the name"),
        ({"role": "admin"}, "role", "Not a valid choice"),
        ({"role": "coordinator"}, "role", "Not a valid choice"),
        ({"capacity": "99"}, "capacity", "from 0 to 20"),
        ({"capacity": "two"}, "capacity", "Not a valid integer"),
        ({"university": "MIT"}, "university", "Not a valid choice"),
        ({"fields": ["astrology"]}, "fields", "not a valid choice"),
    ],
)
def test_invalid_invitation_keeps_the_values_and_creates_nothing(client, coordinator, overrides, field, message):
    response = client.post("/coordination/people/invite", data=invite_data(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in error_of(page, field)
    assert 'value="School of Materials Science"' in page
    if field != "email":
        assert 'value="Li.Wei@Tongji.edu.CN"' in page
    assert count_users() == 1
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
    assert db.session.scalar(select(func.count(AccountToken.id))) == 0


# --- Profiles and seats --------------------------------------------------------------------------------------------


def test_coordinator_edits_a_supervisors_profile_and_capacity(client, coordinator):
    profile = supervisor("TUC", capacity=2)
    db.session.commit()
    user_id, profile_id = profile.user_id, profile.id
    form = client.get(f"/coordination/people/{user_id}/profile").get_data(as_text=True)
    assert 'name="capacity" type="number" value="2"' in form or 'value="2"' in form
    data = {
        "university": "LUH",
        "title": "Prof. Dr.-Ing.",
        "department": "Institut für Werkstoffkunde",
        "research_areas": "Wasserstoffversprödung",
        "languages": "de, en",
        "capacity": "4",
        "fields": ["energy_hydrogen"],
    }  # "accepting_candidates" left unticked
    response = client.post(f"/coordination/people/{user_id}/profile", data=data)
    assert response.status_code == 302
    saved = db.session.get(SupervisorProfile, profile_id)
    assert (saved.university.code, saved.capacity, saved.department) == ("LUH", 4, "Institut für Werkstoffkunde")
    assert saved.research_fields == [ResearchField.ENERGY_HYDROGEN] and not saved.accepting_candidates
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "supervisor.profile_updated")).one()
    assert event.details["changes"]["capacity"] == [2, 4]
    assert event.target_id == profile_id and event.actor_id == coordinator.id


def test_invalid_capacity_changes_nothing(client, coordinator):
    profile = supervisor("TUC", capacity=2)
    db.session.commit()
    response = client.post(
        f"/coordination/people/{profile.user_id}/profile",
        data={"university": "TUC", "capacity": "-1", "department": "Neue Abteilung"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "from 0 to 20" in error_of(page, "capacity")
    assert 'value="Neue Abteilung"' in page
    assert db.session.get(SupervisorProfile, profile.id).capacity == 2
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("supervisor.%"))) == 0


def test_profile_page_of_someone_who_is_not_a_supervisor_says_so(client, coordinator):
    applicant = UserFactory(roles=[Role.APPLICANT])
    db.session.commit()
    response = client.get(f"/coordination/people/{applicant.id}/profile", follow_redirects=True)
    assert "is not a supervisor" in response.get_data(as_text=True)
    assert client.get("/coordination/people/999999/profile").status_code == 404


def test_coordinator_moves_a_committee_seat(client, coordinator):
    from tests.factories import committee_member

    member = committee_member("LUH")
    db.session.commit()
    assert client.post(f"/coordination/people/{member.id}/seat", data={"university": "SCU"}).status_code == 302
    seat = db.session.scalars(select(CommitteeMember).where(CommitteeMember.user_id == member.id)).one()
    assert seat.university.code == "SCU"
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "committee.seat_moved")).one()


# --- Deactivation --------------------------------------------------------------------------------------------------


def test_deactivation_ends_sessions_blocks_sign_in_and_keeps_the_data(app, client, coordinator):
    profile = supervisor("TUC", user__email="gone@example.org")
    application = ApplicationFactory(german_supervisor=profile)
    db.session.commit()
    user_id, profile_id, application_id = profile.user_id, profile.id, application.id
    elsewhere = sign_in(app.test_client(), db.session.get(User, user_id))
    assert elsewhere.get("/dashboard").status_code == 200

    response = client.post(f"/coordination/people/{user_id}/deactivate", follow_redirects=True)
    assert "has been deactivated" in response.get_data(as_text=True)
    assert elsewhere.get("/dashboard").status_code == 302
    login = app.test_client().post("/account/login", data={"email": "gone@example.org", "password": PASSWORD})
    assert login.status_code == 200 and "not correct" in login.get_data(as_text=True)
    user = db.session.get(User, user_id)
    assert not user.active and user.role_names == {"supervisor"}
    assert db.session.get(SupervisorProfile, profile_id) is not None
    assert db.session.get(Application, application_id).german_supervisor_id == profile_id
    assert "account.deactivated" in actions_for(user_id)

    assert client.post(f"/coordination/people/{user_id}/reactivate").status_code == 302
    again = app.test_client().post("/account/login", data={"email": "gone@example.org", "password": PASSWORD})
    assert again.status_code == 302
    assert "account.activated" in actions_for(user_id)


def test_nobody_deactivates_their_own_account(client, login_as):
    admin_user = login_as(Role.ADMIN)
    UserFactory(roles=[Role.ADMIN])  # a second admin, so the last-admin rule is not what refuses
    db.session.commit()
    response = client.post(f"/coordination/people/{admin_user.id}/deactivate", follow_redirects=True)
    assert "your own account" in response.get_data(as_text=True)
    assert db.session.get(User, admin_user.id).active


def test_coordinator_may_not_deactivate_an_administrator(client, coordinator):
    admin_id = UserFactory(roles=[Role.ADMIN]).id
    db.session.commit()
    assert client.post(f"/coordination/people/{admin_id}/deactivate").status_code == 403
    assert db.session.get(User, admin_id).active
    page = client.get(f"/coordination/people/{admin_id}").get_data(as_text=True)
    assert "/deactivate" not in page


# --- Roles (administrators) ----------------------------------------------------------------------------------------


def test_admin_grants_and_removes_roles(client, admin):
    person = UserFactory(roles=[Role.SUPERVISOR])
    profile = supervisor("TUC", user=person)
    db.session.commit()
    person_id, profile_id = person.id, profile.id
    assert client.post(f"/coordination/people/{person_id}/roles", data={"role": "coordinator"}).status_code == 302
    assert user_by_email(person.email).role_names == {"supervisor", "coordinator"}
    response = client.post(f"/coordination/people/{person_id}/roles/supervisor/remove", follow_redirects=True)
    assert "has been removed" in response.get_data(as_text=True)
    assert user_by_email(person.email).role_names == {"coordinator"}
    # The directory entry stays (applications may refer to it) but takes no new candidates.
    remaining = db.session.get(SupervisorProfile, profile_id)
    assert remaining is not None and not remaining.accepting_candidates
    assert actions_for(person_id)[-2:] == ["account.role_granted", "account.role_removed"]


def test_the_last_active_admin_keeps_the_role_and_the_account(client, admin):
    UserFactory(roles=[Role.ADMIN], active=False)  # a deactivated admin does not count
    db.session.commit()
    removed = client.post(f"/coordination/people/{admin.id}/roles/admin/remove", follow_redirects=True)
    assert "last active administrator" in removed.get_data(as_text=True)
    deactivated = client.post(f"/coordination/people/{admin.id}/deactivate", follow_redirects=True)
    assert "last active administrator" in deactivated.get_data(as_text=True)
    me = user_by_email(admin.email)
    assert me.has_role(Role.ADMIN) and me.active
    assert "account.role_removed" not in actions_for(admin.id)


def test_an_admin_may_remove_another_admin_while_one_remains(client, admin):
    other = UserFactory(roles=[Role.ADMIN])
    db.session.commit()
    assert client.post(f"/coordination/people/{other.id}/roles/admin/remove").status_code == 302
    assert not user_by_email(other.email).has_role(Role.ADMIN)
    # Now the signed-in admin is the last one.
    client.post(f"/coordination/people/{admin.id}/roles/admin/remove")
    assert user_by_email(admin.email).has_role(Role.ADMIN)


def test_admin_deactivates_another_admin_while_one_remains(client, admin):
    other = UserFactory(roles=[Role.ADMIN])
    db.session.commit()
    assert client.post(f"/coordination/people/{other.id}/deactivate").status_code == 302
    assert not user_by_email(other.email).active


def test_the_last_admin_rule_holds_in_the_service(app_context):
    from portal.people import services as people

    only = UserFactory(roles=[Role.ADMIN])
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    with pytest.raises(people.PeopleError, match="last active administrator"):
        people.set_account_active(only, False, by=coordinator)
    with pytest.raises(people.PeopleError, match="last active administrator"):
        people.remove(only, Role.ADMIN, by=coordinator)
    assert only.active and only.has_role(Role.ADMIN)


def test_a_coordinator_cannot_grant_or_remove_roles(client, coordinator):
    person = UserFactory(roles=[Role.APPLICANT])
    db.session.commit()
    person_id = person.id
    for role in ("admin", "coordinator", "committee"):
        assert client.post(f"/coordination/people/{person_id}/roles", data={"role": role}).status_code == 403
    assert client.post(f"/coordination/people/{person_id}/roles/applicant/remove").status_code == 403
    assert client.post(f"/coordination/people/{coordinator.id}/roles", data={"role": "admin"}).status_code == 403
    assert db.session.get(User, person_id).role_names == {"applicant"}
    assert not db.session.get(User, coordinator.id).has_role(Role.ADMIN)
    assert "/roles" not in client.get(f"/coordination/people/{person_id}").get_data(as_text=True)


def test_admin_sees_the_role_forms_but_not_the_coordinators_forms(client, admin):
    person = supervisor("TUC").user
    db.session.commit()
    page = client.get(f"/coordination/people/{person.id}").get_data(as_text=True)
    assert f'action="/coordination/people/{person.id}/roles"' in page
    assert f"/coordination/people/{person.id}/profile" not in page


# --- The list ------------------------------------------------------------------------------------------------------


def test_people_list_searches_and_filters(client, coordinator):
    UserFactory(name="王小明", email="wang@example.org", roles=[Role.APPLICANT])
    supervisor("TONGJI", user__name="Zhang Hua", user__email="zhang@tongji.edu.cn")
    UserFactory(name="Old Account", email="old@example.org", roles=[Role.COMMITTEE], active=False)
    UserFactory(name="New Invitee", email="new@example.org", roles=[Role.SUPERVISOR], password_hash=None)
    db.session.commit()

    def names(query: str) -> set[str]:
        page = client.get(f"/coordination/people/{query}").get_data(as_text=True)
        return set(re.findall(r'<th scope="row"><a href="/coordination/people/\d+">([^<]+)</a>', page))

    assert names("?q=小明") == {"王小明"}
    assert names("?q=TONGJI.edu") == {"Zhang Hua"}
    assert names("?role=supervisor") == {"Zhang Hua", "New Invitee"}
    assert names("?status=inactive") == {"Old Account"}
    assert names("?status=invited") == {"New Invitee"}
    assert names("?q=%25") == set()  # wildcards are taken literally
    page = client.get("/coordination/people/?q=zhang").get_data(as_text=True)
    assert "TONGJI" in page and "1 person matches" in page


def test_people_list_is_paginated(client, coordinator):
    for number in range(55):
        UserFactory(name=f"Person {number:02d}", roles=[Role.APPLICANT])
    db.session.commit()
    first = client.get("/coordination/people/?role=applicant").get_data(as_text=True)
    assert "55 people match" in first and "Person 49" in first and "Person 50" not in first
    assert 'href="/coordination/people/?page=2&amp;role=applicant"' in first
    second = client.get("/coordination/people/?role=applicant&page=2").get_data(as_text=True)
    assert "Person 50" in second and "Person 54" in second and "Person 00" not in second


def test_people_list_costs_one_query_whatever_the_number_of_people(client, coordinator, count_queries):
    def fill(number: int) -> None:
        for index in range(number):
            profile = supervisor("TUC" if index % 2 else "SCU")
            profile.user.roles.append(UserRole(role=Role.COMMITTEE))
        db.session.commit()

    fill(2)
    client.get("/coordination/people/")  # warm up: the first request also loads the signed-in user
    few = count_queries(lambda: client.get("/coordination/people/"))
    fill(20)
    many = count_queries(lambda: client.get("/coordination/people/"))
    assert few == many
    assert many <= 5  # the signed-in user, their roles, the page (and the test transaction's savepoint pair)


# --- Who may not ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE])
def test_other_roles_may_not_see_or_change_people(client, login_as, role):
    login_as(role)
    target = supervisor("TUC")
    db.session.commit()
    user_id, profile_id = target.user_id, target.id
    assert client.get("/coordination/people/").status_code == 403
    assert client.get(f"/coordination/people/{user_id}").status_code == 403
    assert client.get("/coordination/people/invite").status_code == 403
    assert client.post("/coordination/people/invite", data=invite_data()).status_code == 403
    assert (
        client.post(f"/coordination/people/{user_id}/profile", data={"university": "TUC", "capacity": "9"}).status_code
        == 403
    )
    assert client.post(f"/coordination/people/{user_id}/seat", data={"university": "TUC"}).status_code == 403
    assert client.post(f"/coordination/people/{user_id}/deactivate").status_code == 403
    assert client.post(f"/coordination/people/{user_id}/roles", data={"role": "admin"}).status_code == 403
    assert client.post(f"/coordination/people/{user_id}/roles/supervisor/remove").status_code == 403
    user = db.session.get(User, user_id)
    assert user.active and user.role_names == {"supervisor"}
    assert db.session.get(SupervisorProfile, profile_id).capacity == 2
    assert user_by_email("li.wei@tongji.edu.cn") is None


def test_admin_manages_roles_but_does_not_invite_or_edit_profiles(client, admin):
    target = supervisor("TUC")
    db.session.commit()
    assert client.get("/coordination/people/").status_code == 200
    assert client.get(f"/coordination/people/{target.user_id}").status_code == 200
    assert client.get("/coordination/people/invite").status_code == 403
    assert client.post("/coordination/people/invite", data=invite_data()).status_code == 403
    assert client.post(f"/coordination/people/{target.user_id}/profile", data={"university": "TUC"}).status_code == 403
    assert client.post(f"/coordination/people/{target.user_id}/seat", data={"university": "TUC"}).status_code == 403
    assert user_by_email("li.wei@tongji.edu.cn") is None


def test_unknown_person_is_not_found(client, admin):
    assert client.get("/coordination/people/999999").status_code == 404
    assert client.post("/coordination/people/999999/roles", data={"role": "admin"}).status_code == 404
    assert client.post(f"/coordination/people/{admin.id}/roles/wizard/remove").status_code == 404
