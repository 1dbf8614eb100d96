"""The REST API v1: bearer tokens (bad ones refused with a problem document), scopes, the pages' permissions, cursor
pages with the list's filters in a fixed number of queries, the throttle, each use audited, the OpenAPI document."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal import db
from portal.api import services
from portal.api.models import ApiToken, Scope
from portal.applications.models import ApplicationState, DecisionOutcome
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.conftest import sign_in
from tests.factories import IntakeRoundFactory, UserFactory, light_application, supervisor

pytestmark = pytest.mark.usefixtures("plain_app_context")
PROBLEM = "application/problem+json"
ALL_SCOPES = [scope.value for scope in Scope]


def make_token(user, scopes=None, days=90) -> str:
    """A new token of user (committed); its secret."""
    created = services.create_token(user, "integration", ALL_SCOPES if scopes is None else scopes, days)
    db.session.commit()
    return created.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def coordinator():
    user = UserFactory(roles=[Role.COORDINATOR])
    db.session.commit()
    return user


@pytest.fixture
def intake():
    """A round with three submitted applications (one of them decided) and a draft."""
    round_ = IntakeRoundFactory(name="Intake 2027")
    tuc = supervisor("TUC")
    light_application(round_, family="Wang", native="王小明", nationality="CN", german=tuc)
    light_application(round_, family="Li", nationality="CN", decision=DecisionOutcome.ADMIT, released=True)
    light_application(round_, family="Schmidt", given="Anna", nationality="DE")
    light_application(round_, family="Draft", state=ApplicationState.DRAFT)
    db.session.commit()
    return round_


def test_without_a_token_the_api_answers_401_with_a_problem_document_not_the_login_page(client, intake):
    response = client.get(f"/api/v1/rounds/{intake.id}/applications")
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert response.json["status"] == 401 and response.json["title"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Location" not in response.headers


def test_a_signed_in_browser_session_does_not_open_the_api(client, coordinator, intake):
    sign_in(client, coordinator)
    response = client.get("/api/v1/rounds")
    assert response.status_code == 401 and response.mimetype == PROBLEM


def test_a_browser_session_waiting_for_its_second_step_does_not_divert_a_token_request(client, coordinator, intake):
    sign_in(client, coordinator, second_factor=False)  # a staff session that would be sent to the second step
    response = client.get("/api/v1/rounds", headers=bearer(make_token(coordinator)))
    assert response.status_code == 200 and response.json["items"][0]["name"] == "Intake 2027"


def _expired(user) -> str:
    secret = make_token(user)
    token = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    token.created_at, token.expires_at = utcnow() - dt.timedelta(days=91), utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    return secret


def _revoked(user) -> str:
    secret = make_token(user)
    services.revoke_token(db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first())
    db.session.commit()
    return secret


def _wrong_secret(user) -> str:
    return make_token(user)[:-4] + "AAAA"


def _deactivated(user) -> str:
    secret = make_token(user)
    user.active = False
    db.session.commit()
    return secret


BAD_TOKENS = {
    "expired": _expired,
    "revoked": _revoked,
    "wrong secret": _wrong_secret,
    "account deactivated": _deactivated,
    "not a token": lambda user: "hello",
    "unknown id": lambda user: "pat_999999_" + "x" * 43,
}


@pytest.mark.parametrize("kind", list(BAD_TOKENS))
def test_bad_tokens_are_refused_with_401_and_change_nothing(client, coordinator, intake, kind):
    secret = BAD_TOKENS[kind](coordinator)
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    response = client.get("/api/v1/rounds", headers=bearer(secret))
    assert response.status_code == 401
    assert response.mimetype == PROBLEM
    assert "personal access token" in response.json["detail"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/api/v1/rounds", Scope.ROUNDS),
        ("/api/v1/rounds/{round}/applications", Scope.APPLICATIONS),
        ("/api/v1/rounds/{round}/decisions", Scope.DECISIONS),
        ("/api/v1/people", Scope.PEOPLE),
    ],
)
def test_a_token_without_the_scope_gets_403_and_with_it_200(client, coordinator, intake, path, scope):
    url = path.format(round=intake.id)
    others = [value for value in ALL_SCOPES if value != scope.value]
    refused = client.get(url, headers=bearer(make_token(coordinator, others)))
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    assert refused.json["required_scope"] == scope.value
    assert client.get(url, headers=bearer(make_token(coordinator, [scope.value]))).status_code == 200


# Role X may not: the same roles as the pages (applications, decisions and rounds: coordinators; people: staff).
ROLE_TABLE = {
    #        rounds applications decisions people
    Role.APPLICANT: (403, 403, 403, 403),
    Role.SUPERVISOR: (403, 403, 403, 403),
    Role.COMMITTEE: (403, 403, 403, 403),
    Role.ADMIN: (403, 403, 403, 200),
    Role.COORDINATOR: (200, 200, 200, 200),
}


@pytest.mark.parametrize("role", list(ROLE_TABLE))
def test_role_x_may_not_read_what_its_pages_do_not_show(client, intake, role):
    user = UserFactory(roles=[role])
    db.session.commit()
    secret = make_token(user)  # a token whose account never had (or lost) the role
    paths = ["/api/v1/rounds", f"/api/v1/rounds/{intake.id}/applications", f"/api/v1/rounds/{intake.id}/decisions"]
    answers = tuple(client.get(path, headers=bearer(secret)).status_code for path in [*paths, "/api/v1/people"])
    assert answers == ROLE_TABLE[role]


def test_a_token_follows_its_account_when_the_role_is_taken_away(client, coordinator, intake):
    secret = make_token(coordinator)
    assert client.get("/api/v1/rounds", headers=bearer(secret)).status_code == 200
    coordinator.roles.clear()
    db.session.commit()
    response = client.get("/api/v1/rounds", headers=bearer(secret))
    assert response.status_code == 403 and response.mimetype == PROBLEM


def _all_pages(client, url: str, secret: str) -> list[dict]:
    items, cursor = [], None
    while True:
        response = client.get(
            url, query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=bearer(secret)
        )
        assert response.status_code == 200, response.json
        items += response.json["items"]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return items


def test_applications_come_in_cursor_pages_with_the_lists_filters(client, coordinator, intake):
    secret = make_token(coordinator)
    url = f"/api/v1/rounds/{intake.id}/applications"
    every = _all_pages(client, url, secret)
    assert [item["family_name"] for item in every] == ["Wang", "Li", "Schmidt", "Draft"]
    assert every[0]["native_name"] == "王小明" and every[0]["german_supervisor"]["university"]
    assert every[1]["decision"] == "admit" and every[0]["state"] == "submitted"
    submitted = client.get(url, query_string={"state": "submitted", "nationality": "cn"}, headers=bearer(secret))
    assert [item["family_name"] for item in submitted.json["items"]] == ["Wang", "Li"]
    found = client.get(url, query_string={"q": "王小明"}, headers=bearer(secret))
    assert [item["family_name"] for item in found.json["items"]] == ["Wang"]
    decided = client.get(url, query_string={"decision": "none", "state": "submitted"}, headers=bearer(secret))
    assert [item["family_name"] for item in decided.json["items"]] == ["Wang", "Schmidt"]


@pytest.mark.parametrize(
    "query",
    [{"state": "finished"}, {"cursor": "nonsense"}, {"limit": 0}, {"limit": 1000}, {"nationality": "XX"}],
)
def test_invalid_parameters_get_422_with_the_field_named(client, coordinator, intake, query):
    response = client.get(
        f"/api/v1/rounds/{intake.id}/applications", query_string=query, headers=bearer(make_token(coordinator))
    )
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert set(response.json["errors"]["query"]) == set(query)


def test_unknown_rounds_and_paths_answer_404_problems_and_writes_405(client, coordinator):
    secret = make_token(coordinator)
    for path in ("/api/v1/rounds/999999/applications", "/api/v1/nothing/here", "/api/v1/applications/999999"):
        response = client.get(path, headers=bearer(secret))
        assert (response.status_code, response.mimetype) == (404, PROBLEM), path
    response = client.post("/api/v1/rounds", headers=bearer(secret))
    assert (response.status_code, response.mimetype) == (405, PROBLEM)


def test_one_application_as_its_staff_record_allows(client, coordinator, intake):
    secret = make_token(coordinator)
    listed = client.get(f"/api/v1/rounds/{intake.id}/applications", headers=bearer(secret)).json["items"]
    response = client.get(f"/api/v1/applications/{listed[0]['id']}", headers=bearer(secret))
    assert response.status_code == 200 and response.json == listed[0]
    assert response.headers["Cache-Control"] == "no-store"


def test_decisions_people_and_rounds(client, coordinator, intake):
    secret = make_token(coordinator)
    decisions = client.get(f"/api/v1/rounds/{intake.id}/decisions", headers=bearer(secret)).json
    assert [(d["outcome"], d["released_at"] is not None) for d in decisions["items"]] == [("admit", True)]
    people = client.get("/api/v1/people", query_string={"role": "coordinator"}, headers=bearer(secret)).json
    assert [person["email"] for person in people["items"]] == [coordinator.email]
    assert people["items"][0]["roles"] == ["coordinator"]
    rounds = client.get(f"/api/v1/rounds/{intake.id}", headers=bearer(secret)).json
    assert rounds["name"] == "Intake 2027" and rounds["closes_at"].endswith("+00:00")


def test_a_page_of_applications_takes_the_same_few_queries_for_4_or_40(client, coordinator, intake, count_queries):
    secret = make_token(coordinator)
    url = f"/api/v1/rounds/{intake.id}/applications?limit=200"
    client.get(url, headers=bearer(secret))  # the minute's audited use: the next ones are counted without it
    few = count_queries(lambda: client.get(url, headers=bearer(secret)))
    for number in range(36):
        light_application(intake, family=f"Many{number}", german=supervisor("LUH"), letters=1)
    db.session.commit()
    many = count_queries(lambda: client.get(url, headers=bearer(secret)))
    assert many == few <= 6  # token and account, roles, round, the page (and the test's savepoint and release)


def test_each_use_is_audited_at_most_once_a_minute_and_the_throttle_answers_429(client, app, coordinator, intake):
    secret = make_token(coordinator)
    app.config["API_TOKEN_LIMIT"] = "3 per minute"
    try:
        answers = [client.get("/api/v1/rounds", headers=bearer(secret)) for _ in range(4)]
    finally:
        app.config["API_TOKEN_LIMIT"] = "120 per minute"
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    last = answers[-1]
    assert last.mimetype == PROBLEM and "Retry-After" in last.headers
    db.session.expire_all()
    used = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_token.used")).all()
    assert len(used) == 1 and used[0].actor_id == coordinator.id and used[0].details["path"] == "/api/v1/rounds"
    assert db.session.scalars(select(ApiToken)).one().last_used_at is not None


def test_the_throttle_counts_per_token(client, app, coordinator, intake):
    first, second = make_token(coordinator), make_token(coordinator)
    app.config["API_TOKEN_LIMIT"] = "1 per minute"
    try:
        assert client.get("/api/v1/rounds", headers=bearer(first)).status_code == 200
        assert client.get("/api/v1/rounds", headers=bearer(first)).status_code == 429
        assert client.get("/api/v1/rounds", headers=bearer(second)).status_code == 200
    finally:
        app.config["API_TOKEN_LIMIT"] = "120 per minute"


def test_the_openapi_document_and_the_documentation_page(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/rounds/{round_id}/applications" in spec["paths"]
    assert "/api/v1/{anything}" not in spec["paths"]
    assert spec["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "/api/v1/people" in text and "applications:read" in text
    assert "http://" not in text.replace("http://portal.test", "") and "https://" not in text  # nothing from elsewhere


def test_an_unexpected_fault_answers_a_500_problem_without_details(client, coordinator, intake, monkeypatch):
    from portal.api import queries

    def broken(*args):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(queries, "rounds_page", broken)
    response = client.get("/api/v1/rounds", headers=bearer(make_token(coordinator)))
    assert (response.status_code, response.mimetype) == (500, PROBLEM)
    assert "secret internals" not in response.get_data(as_text=True)
