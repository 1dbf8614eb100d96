"""Every list page costs the same number of SQL statements for 5 rows as for 50, and on its last page as on its first
(issue 13): a list that loads something per row fails here, whatever the speed of the machine."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import event

from portal import db
from portal.accounts.models import User
from portal.core.roles import Role
from portal.review.models import StatementAnswer
from tests.conftest import sign_in
from tests.factories import (
    IntakeRoundFactory,
    UserFactory,
    add_review,
    add_statement,
    committee_member,
    judged,
    supervisor,
)

FEW, MANY = 5, 55  # MANY fills a first page of 50 and leaves a second page of 5
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass(frozen=True)
class World:
    """A round of a few applications and a round of many, each with its own reviewer and supervisor."""

    rounds: dict[str, int]
    reviewers: dict[str, int]
    supervisors: dict[str, int]
    coordinator: int


def _round_of(size: int, name: str) -> tuple[int, int, int]:
    intake = IntakeRoundFactory(name=name)
    reviewer = committee_member("ZZU", name=f"Reviewer {name}")
    german, chinese = supervisor("TUC"), supervisor("TONGJI")
    for index in range(size):
        application = judged(intake, family=f"{name}{index:03d}", german=german, chinese=chinese)
        add_review(application, 4, reviewer=reviewer)
        add_review(application, (3, 4, 5, 2, 1))
        add_statement(application, german, StatementAnswer.WILLING)
    return intake.id, reviewer.id, german.user.id


@pytest.fixture
def world(app) -> World:
    # Built in an application context of its own: the requests then load the signed-in user as in production.
    with app.app_context():
        few = _round_of(FEW, "Few")
        many = _round_of(MANY, "Many")
        coordinator = UserFactory(roles=[Role.COORDINATOR])
        db.session.commit()
        return World(
            rounds={"few": few[0], "many": many[0]},
            reviewers={"few": few[1], "many": many[1]},
            supervisors={"few": few[2], "many": many[2]},
            coordinator=coordinator.id,
        )


def _signed_in(app, user_id: int):
    """A new client, signed in as the user."""
    client = app.test_client()
    with app.app_context():
        sign_in(client, db.session.get(User, user_id))
    return client


@pytest.fixture
def statements(app):
    """Call with a client and an address: how many SQL statements its GET sends (transaction control such as
    SAVEPOINT left out, as the benchmark counts them)."""
    engine_of = db.get_engine

    def run(client, url: str) -> int:
        seen: list[str] = []

        def note(_conn, _cursor, statement, *_args) -> None:
            if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
                seen.append(statement)

        engine = engine_of(app)
        event.listen(engine, "before_cursor_execute", note)
        try:
            response = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert response.status_code == 200, url
        return len(seen)

    return run


# (name, who signs in, the address of the list for a round, the most statements it may cost; None: constant only)
COORDINATOR_LISTS = [
    ("applications", "/coordination/applications/?round={round}", 4),
    ("applications by name", "/coordination/applications/?round={round}&sort=name&direction=desc", 4),
    ("applications filtered", "/coordination/applications/?round={round}&university=TUC&q=e", 4),
    ("applications by name, counted apart", "/coordination/applications/?round={round}&sort=name", 4),
    ("applications searched", "/coordination/applications/?round={round}&q=0", 4),
    ("applications by nationality", "/coordination/applications/?round={round}&nationality=CN&sort=nationality", 4),
    ("ranking", "/review/rounds/{round}/ranking", 4),
    ("ranking by spread", "/review/rounds/{round}/ranking?sort=spread", 4),
    ("ranking by name", "/review/rounds/{round}/ranking?sort=name", 4),
    ("pairing", "/coordination/pairing/?round={round}", None),
    ("office list", "/coordination/office/TUC/?round={round}", None),
    ("decisions", "/review/rounds/{round}/decisions", None),
]


def test_every_list_costs_the_same_for_few_and_many_rows_and_on_its_last_page(app, statements, world):
    found = []
    coordinator = _signed_in(app, world.coordinator)
    coordinator.get("/coordination/")  # the first request of the session: warm up
    for name, address, most in COORDINATOR_LISTS:
        few = statements(coordinator, address.format(round=world.rounds["few"]))
        many = statements(coordinator, address.format(round=world.rounds["many"]))
        separator = "&" if "?" in address else "?"
        last = statements(coordinator, address.format(round=world.rounds["many"]) + f"{separator}page=2")
        if not few == many == last or (most is not None and many > most):
            found.append(f"{name}: {few} statements for {FEW} rows, {many} for 50, {last} on the last page")
    for who, address in (("reviewers", "/review/"), ("supervisors", "/supervise/")):
        counts = []
        for size in ("few", "many"):
            client = _signed_in(app, getattr(world, who)[size])
            client.get(address)  # warm up
            counts.append(statements(client, address))
        if counts[0] != counts[1]:
            found.append(f"{address} for {who}: {counts[0]} statements for {FEW} rows, {counts[1]} for {MANY}")
    assert found == []
