"""Every list that can be empty says why it is empty and links to the next step."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from portal import db
from portal.core.roles import Role
from tests.factories import ApplicationFactory, IntakeRoundFactory


class EmptyStates(HTMLParser):
    """The text and the links inside each .empty-state block."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.depth:
            self.depth += tag not in ("br", "img", "input")
            if tag == "a":
                self.found[-1]["links"].append(attributes.get("href"))
        elif "empty-state" in (attributes.get("class") or "").split():
            self.depth = 1
            self.found.append({"text": "", "links": []})

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.found[-1]["text"] += data


def empty_state(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, path
    parser = EmptyStates()
    parser.feed(response.get_data(as_text=True))
    assert len(parser.found) == 1, f"{path}: {parser.found}"
    state = parser.found[0]
    state["text"] = " ".join(state["text"].split())
    return state


@pytest.fixture
def quiet_round(app):
    """A round nobody has submitted to; one draft in it, so that a filter can match nothing."""
    intake = IntakeRoundFactory(name="Intake 2031")
    ApplicationFactory(intake_round=intake)
    db.session.commit()
    return intake


@pytest.mark.parametrize(
    ("path", "says", "leads_to"),
    [
        ("/coordination/applications/?round={id}&q=nobody-by-this-name", "No application matches these filters.",
         "/coordination/applications/?round={id}"),
        ("/review/rounds/{id}/ranking", "has been submitted yet", "/coordination/applications/?round={id}"),
        ("/review/rounds/{id}/ranking?field=big_data", "No application matches these filters.",
         "/review/rounds/{id}/ranking"),
        ("/review/rounds/{id}/assignments", "No submitted applications", "/coordination/applications/?round={id}"),
        ("/coordination/offers/{id}", "No place has been offered", "/review/rounds/{id}/decisions"),
        ("/csc/round/{id}", "No admitted candidate", "/review/rounds/{id}/decisions"),
        ("/coordination/pairing/?round={id}", "No candidate has chosen", "/coordination/applications/?round={id}"),
        ("/coordination/jobs/", "You have no exports", "/coordination/applications/"),
        ("/coordination/search/?q=nobody-by-this-name", "Nothing matches", "/coordination/search/"),
    ],
)
def test_an_empty_coordination_list_says_why_and_what_next(app, client, login_as, quiet_round, path, says, leads_to):
    login_as(Role.COORDINATOR)
    state = empty_state(client, path.format(id=quiet_round.id))
    assert says in state["text"]
    assert leads_to.format(id=quiet_round.id) in state["links"]


def test_an_empty_audit_log_search_offers_all_events(client, login_as):
    login_as(Role.ADMIN)
    state = empty_state(client, "/admin/audit?person=nobody-by-this-name")
    assert "No recorded event matches the search." in state["text"] and state["links"]


def test_a_reviewer_without_assignments_learns_when_they_come(client, login_as):
    login_as(Role.COMMITTEE)
    state = empty_state(client, "/review/")
    assert "after the application deadline" in state["text"] and state["links"] == ["/account/settings"]


def test_a_panel_member_without_interviews_learns_how_they_come(client, login_as):
    login_as(Role.COMMITTEE)
    state = empty_state(client, "/interviews/panel")
    assert "books a time" in state["text"] and state["links"] == ["/review/"]
