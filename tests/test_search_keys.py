"""The applications' stored name and search keys (issue 13) are right after every way an application or its applicant's
account is written: starting, the personal step, submission, renaming the account, the demo seed, the benchmark's
bulk seed; the list sorts and searches by them."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select

from portal import db
from portal.applications import keys
from portal.applications.models import Application, ApplicationState
from portal.applications.services import save_step, start_application
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from tests.factories import IntakeRoundFactory, UserFactory, submitted_application
from tests.test_cli import seed


def stored(application_id: int) -> tuple[str, str]:
    """The keys as the database holds them (not as the session remembers them)."""
    db.session.expire_all()
    row = db.session.execute(
        select(Application.name_key, Application.search_key).where(Application.id == application_id)
    ).one()
    return row.name_key, row.search_key


def expected(application: Application) -> tuple[str, str]:
    a, account = application, application.applicant
    return (
        keys.name_key(a.family_name, a.given_names, account.name),
        keys.search_key(a.reference, a.family_name, a.given_names, a.native_name, account.name, account.email),
    )


def test_the_keys_fold_case_and_order_by_family_then_given_names():
    assert keys.name_key("Straße", "Ça", "Account") == "strasse\x1fça"
    assert keys.name_key("", "Wei", "Li Account") == "li account\x1fwei"
    assert sorted([keys.name_key("Lin", "An", ""), keys.name_key("Li", "Wei", "")]) == [
        keys.name_key("Li", "Wei", ""),
        keys.name_key("Lin", "An", ""),
    ]
    assert keys.search_key(None, "ÇELİK", "", "", "Ayşe Account", "a@example.org") == (
        "çeli̇k ayşe account a@example.org"
    )


@pytest.mark.usefixtures("app_context")
def test_starting_the_personal_step_and_submitting_write_the_keys():
    now = utcnow()
    user = UserFactory(name="Anna Account", email="anna.keys@example.org")
    intake = IntakeRoundFactory(opens_at=now - dt.timedelta(days=1))
    application = start_application(user, intake, now)
    assert stored(application.id) == ("anna account\x1f", "anna account anna.keys@example.org")

    data = {"family_name": "Straße", "given_names": "Jürgen", "native_name": "施特劳斯"}
    save_step(application, "personal", data, expected_version=application.version, now=now)
    assert stored(application.id) == expected(application)
    assert stored(application.id)[0] == "strasse\x1fjürgen"

    application.state, application.reference = ApplicationState.SUBMITTED, f"IPK-2027-{application.id:04d}"
    db.session.flush()
    _name_key, search_key = stored(application.id)
    assert search_key.startswith(f"ipk-2027-{application.id:04d} strasse jürgen 施特劳斯 anna account")


@pytest.mark.usefixtures("app_context")
def test_renaming_the_account_rewrites_its_applications_keys_without_moving_their_version():
    application = submitted_application()
    application.family_name = ""
    db.session.flush()
    version = db.session.scalar(select(Application.version).where(Application.id == application.id))
    account = application.applicant
    account.name, account.email = "Renamed Person", "renamed.keys@example.org"
    db.session.flush()
    name_key, search_key = stored(application.id)
    assert name_key == "renamed person\x1fxiaoming"
    assert "renamed person renamed.keys@example.org" in search_key
    assert (name_key, search_key) == expected(db.session.get(Application, application.id))
    assert db.session.scalar(select(Application.version).where(Application.id == application.id)) == version


@pytest.mark.usefixtures("plain_app_context")
def test_the_demo_seed_stores_every_applications_keys(app):
    seed(app)
    applications = db.session.scalars(select(Application)).all()
    assert applications
    for application in applications:
        assert (application.name_key, application.search_key) == expected(application), application.id


def test_the_benchmarks_bulk_seed_writes_the_keys_of_its_rows():
    from tests.bench.seed_applications import account_rows, application_rows, plan_applications, rounds
    from tests.bench.seed_people import staff_and_supervisors

    now = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    universities = [{"id": n, "country": "DE" if n <= 5 else "CN"} for n in range(1, 10)]
    rng = random.Random(2026)
    people = staff_and_supervisors(universities, now, rng)
    plans = plan_applications(rounds(now, 40), people, rng)
    accounts = {row["id"]: row for table, row in account_rows(plans, people, now) if table == "users"}
    rows = list(application_rows(plans))
    assert any(not row["family_name"] for row in rows)  # drafts without a name sort by the account's name
    for row in rows:
        account = accounts[row["applicant_id"]]
        assert row["name_key"] == keys.name_key(row["family_name"], row["given_names"], account["name"])
        assert row["search_key"] == keys.search_key(
            row["reference"], row["family_name"], row["given_names"], row["native_name"], account["name"],
            account["email"],
        )  # fmt: skip


@pytest.mark.usefixtures("plain_app_context")
def test_the_list_searches_and_sorts_by_the_stored_keys(client, login_as):
    intake = IntakeRoundFactory()
    strasse = submitted_application(intake_round=intake)
    strasse.family_name, strasse.given_names = "STRASSE", "Ömer"
    unnamed = submitted_application(intake_round=intake)
    unnamed.family_name, unnamed.given_names = "", ""
    unnamed.applicant.name, unnamed.applicant.email = "Aaron Account", "aaron.keys@example.org"
    db.session.commit()
    login_as(Role.COORDINATOR)

    def found(args: str) -> list[str]:
        page = client.get(f"/coordination/applications/?round={intake.id}&{args}").get_data(as_text=True)
        return [ref for ref in (strasse.reference, unnamed.reference) if ref in page]

    assert found("q=straße") == [strasse.reference]  # case folding: ß is ss
    assert found("q=ÖMER") == [strasse.reference]
    assert found("q=aaron") == [unnamed.reference]  # the account's name
    assert found("q=aaron.keys@") == [unnamed.reference]  # and its email
    assert found("q=100%25") == []  # a LIKE wildcard is a character like any other
    page = client.get(f"/coordination/applications/?round={intake.id}&sort=name").get_data(as_text=True)
    assert page.index(unnamed.reference) < page.index(strasse.reference)  # "aaron account" before "strasse"
