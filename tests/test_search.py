"""The coordinators' global search: applications of all rounds, people and referees by name (Latin or Chinese
script), email or reference number, in at most 4 queries per page, each hit linking to its page; only they search."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import g

from portal import db
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.factories import IntakeRoundFactory, UserFactory, light_application

pytestmark = pytest.mark.usefixtures("plain_app_context")


@pytest.fixture
def coordinator(login_as):
    return login_as(Role.COORDINATOR)


@pytest.fixture
def world():
    """Two rounds with an application each, a referee, and a supervisor account."""
    old = IntakeRoundFactory(
        name="Intake 2025", opens_at=utcnow() - dt.timedelta(days=400), closes_at=utcnow() - dt.timedelta(days=350)
    )
    new = IntakeRoundFactory(name="Intake 2027")
    zhang = light_application(old, family="Zhang", given="Wei", native="张伟", email="zhang.wei@example.cn")
    mueller = light_application(new, family="Müller", given="Jonas", email="jonas@example.de")
    mueller.referees[0].name, mueller.referees[0].email = "Prof. Hartmann", "hartmann@uni-example.de"
    person = UserFactory(roles=[Role.SUPERVISOR], name="Li Hua 李华", email="li.hua@tongji.example.cn")
    db.session.commit()
    return {"zhang": zhang, "mueller": mueller, "person": person}


def hits(client, text: str) -> dict[str, list[str]]:
    """The hits of each section: the links they go to."""
    page = client.get("/coordination/search/", query_string={"q": text})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = {}
    for kind in ("application", "person", "referee"):
        section = re.search(rf'id="hits-{kind}">(.*?)</section>', html, re.S)
        found[kind] = re.findall(r'class="list-group-item search-hit">\s*<a href="([^"]+)"', section.group(1))
    return found


def test_finds_by_chinese_name_across_rounds(client, coordinator, world):
    zhang = world["zhang"]
    assert hits(client, "张伟")["application"] == [f"/staff/applications/{zhang.id}"]


@pytest.mark.parametrize(
    ("text", "kind", "who"),
    [
        ("zhang wei", "application", "zhang"),
        ("MÜLLER", "application", "mueller"),
        ("jonas@example", "application", "mueller"),
        ("hartmann", "referee", "mueller"),
        ("李华", "person", "person"),
        ("tongji.example", "person", "person"),
    ],
)
def test_finds_by_name_or_email(client, coordinator, world, text, kind, who):
    target = world[who]
    expected = f"/coordination/people/{target.id}" if kind == "person" else f"/staff/applications/{target.id}"
    assert expected in hits(client, text)[kind]


def test_finds_by_reference_number_and_the_applicant_as_a_person(client, coordinator, world):
    zhang = world["zhang"]
    found = hits(client, zhang.reference.lower())
    assert found["application"] == [f"/staff/applications/{zhang.id}"]
    assert hits(client, "zhang.wei")["person"] == [f"/coordination/people/{zhang.applicant_id}"]


def test_every_word_must_match_and_wildcards_are_plain_text(client, coordinator, world):
    assert hits(client, "zhang jonas") == {"application": [], "person": [], "referee": []}
    assert hits(client, "%") == {"application": [], "person": [], "referee": []}


def test_a_page_takes_at_most_4_queries_whatever_the_number_of_hits(client, coordinator, world, count_queries):
    for number in range(30):
        light_application(world["mueller"].intake_round, family=f"Wang{number}", email=f"wang{number}@example.cn")
    db.session.commit()

    def search(text: str) -> None:
        g.pop("_login_user", None)  # the signed-in user is looked up as in any request, not kept from the last one
        assert client.get("/coordination/search/", query_string={"q": text}).status_code == 200

    queries = count_queries(lambda: search("wang"))
    assert queries <= 4 + 2  # the test's SAVEPOINT and RELEASE are no queries of the page
    assert count_queries(lambda: search("example")) == count_queries(lambda: search("nothing-like-this")) == queries


def test_the_box_is_in_the_coordinators_navigation_only(client, login_as):
    login_as(Role.COORDINATOR)
    assert 'role="search"' in client.get("/account/settings").get_data(as_text=True)
    login_as(Role.ADMIN)
    assert 'role="search"' not in client.get("/account/settings").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.SUPERVISOR, Role.COMMITTEE, Role.ADMIN])
def test_role_x_may_not_search(client, login_as, world, role):
    login_as(role)
    response = client.get("/coordination/search/", query_string={"q": "zhang"})
    assert response.status_code == 403
    assert "张伟" not in response.get_data(as_text=True)


def test_too_long_a_text_is_refused_with_a_message(client, coordinator, world):
    page = client.get("/coordination/search/", query_string={"q": "x" * 101})
    assert page.status_code == 200
    assert "invalid-feedback" in page.get_data(as_text=True)
