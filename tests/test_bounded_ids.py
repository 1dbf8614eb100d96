"""Every route with an id answers 404 for ids no record can have (beyond PostgreSQL's INTEGER, beyond 64 bits), on
both databases; ids in forms that no record can have are refused without a query."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import AnyConverter, IntegerConverter

from portal import db
from portal.applications.models import Decision
from portal.core.ids import LARGEST_ID, parse_id
from portal.core.roles import Role
from portal.core.secret_links import LinkIdConverter
from portal.review.models import ReviewAssignment
from tests.conftest import sign_in
from tests.factories import ApplicationFactory, IntakeRoundFactory, UserFactory, add_decision, judged

# Just past PostgreSQL's INTEGER, past SQLite's 64-bit INTEGER, and far past both.
OUT_OF_RANGE = (2**31, 2**63, 10**30)
# Values for the routes' other parts, so that only the id is wrong.
ID_CONVERTERS = (IntegerConverter, LinkIdConverter)
OTHER_PARTS = {"token": "x" * 43, "role": "committee", "code": "TUC"}


def _routes_with_ids(app: Flask) -> list[tuple[str, list[str], str]]:
    """(endpoint, id arguments, method) for every method of every route that takes an id."""
    found = []
    for rule in app.url_map.iter_rules():
        ids = [name for name, converter in rule._converters.items() if isinstance(converter, ID_CONVERTERS)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}) if ids else ():
            found.append((rule.endpoint, ids, method))
    return found


def _url(app: Flask, endpoint: str, ids: list[str], number: int) -> str:
    (rule,) = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    values = {}
    for name, converter in rule._converters.items():
        if name in ids:
            values[name] = number
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = OTHER_PARTS[name]
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(endpoint, values, append_unknown=False)


@pytest.fixture
def everyone(plain_app_context, client):
    """A client signed in as a person holding every role, so that no role check stops a request before its id."""
    from portal.api.models import Scope
    from portal.api.services import create_token

    person = UserFactory(roles=list(Role))
    db.session.commit()
    # The API's routes take a token, not the session: one with every scope, so that they too reach their ids.
    secret = create_token(person, "every scope", [scope.value for scope in Scope], 30).secret
    db.session.commit()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return sign_in(client, person)


def test_the_walk_finds_the_routes_with_ids(app):
    routes = _routes_with_ids(app)
    assert len(routes) >= 60
    assert ("applications.download_document", ["document_id"], "GET") in routes
    assert ("referees.letter", ["invitation_id"], "POST") in routes


@pytest.mark.parametrize("number", [*OUT_OF_RANGE, LARGEST_ID], ids=["2^31", "2^63", "10^30", "largest-id"])
def test_every_route_with_an_id_answers_404_for_an_id_that_no_record_has(app, everyone, number):
    answers = {}
    for endpoint, ids, method in _routes_with_ids(app):
        response = everyone.open(_url(app, endpoint, ids, number), method=method)
        answers[f"{method} {endpoint}"] = response.status_code
    assert {route: code for route, code in answers.items() if code != 404} == {}


def test_a_route_still_takes_the_largest_id(app):
    adapter = app.url_map.bind("localhost")
    endpoint, values = adapter.match(f"/application/documents/{LARGEST_ID}")
    assert (endpoint, values) == ("applications.download_document", {"document_id": LARGEST_ID})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        (str(LARGEST_ID), LARGEST_ID),
        (str(LARGEST_ID + 1), None),
        ("0", None),
        ("-3", None),
        ("²", None),
        ("٣", None),
        ("1e3", None),
        ("", None),
        (None, None),
        (str(10**30), None),
    ],
)
def test_parse_id_accepts_only_ids_a_record_can_have(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("number", OUT_OF_RANGE, ids=["2^31", "2^63", "10^30"])
def test_ids_in_forms_and_query_strings_are_refused_without_a_query(app, everyone, number):
    huge = str(number)
    intake = IntakeRoundFactory()
    application = judged(intake)
    decided = judged(intake)
    add_decision(decided)
    member = UserFactory(roles=[Role.COMMITTEE])
    draft = ApplicationFactory(intake_round=intake, applicant=UserFactory(roles=[Role.APPLICANT]))
    db.session.commit()
    requests = [
        (
            "POST",
            f"/review/rounds/{intake.id}/assignments/add",
            {"application_id": application.id, "reviewer_id": huge},
        ),
        ("POST", f"/review/rounds/{intake.id}/assignments/add", {"application_id": huge, "reviewer_id": member.id}),
        ("POST", f"/review/rounds/{intake.id}/assignments/proposal", {"pairs": f"{application.id}:{huge}"}),
        ("POST", f"/review/rounds/{intake.id}/assignments/proposal", {"pairs": f"{huge}:{member.id}"}),
        ("POST", f"/review/rounds/{intake.id}/release", {"application_ids": huge, "confirm": "1"}),
        ("POST", "/coordination/mail", {"round_id": huge, "recipients": "all", "subject": "Hello", "body": "Text"}),
        ("GET", f"/coordination/applications/?round={huge}", None),
        ("GET", f"/coordination/outbox?page={huge}", None),
        ("GET", f"/review/rounds/{intake.id}/ranking?page={huge}", None),
        ("POST", f"/application/{draft.id}/supervisors", {"german_supervisor": huge, "chinese_supervisor": huge}),
    ]
    answers = {
        f"{method} {url} {data}": everyone.open(url, method=method, data=data).status_code
        for method, url, data in requests
    }
    assert {request: code for request, code in answers.items() if code >= 500} == {}
    assert db.session.query(ReviewAssignment).count() == 0
    assert db.session.query(Decision).filter(Decision.released_at.is_not(None)).count() == 0
