"""The `flask portal` commands: seed-demo, create-user, sync-universities."""

from __future__ import annotations

from sqlalchemy import func, select

from portal import db
from portal.accounts.models import User
from portal.applications.models import IntakeRound
from portal.core.timeutil import utcnow
from portal.demo import DEMO_PASSWORD
from portal.supervisors.models import SupervisorProfile, University


def counts() -> tuple[int, int, int, int]:
    return (
        db.session.scalar(select(func.count(University.id))),
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(SupervisorProfile.id))),
        db.session.scalar(select(func.count(IntakeRound.id))),
    )


def test_seed_demo_is_idempotent_and_complete(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["portal", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "applicant@example.org" in first.output and DEMO_PASSWORD in first.output
    after_first = counts()
    assert runner.invoke(args=["portal", "seed-demo"]).exit_code == 0
    assert counts() == after_first

    universities, _users, supervisors, rounds = after_first
    assert universities == 9 and supervisors >= 20 and rounds == 1
    covered = db.session.scalar(select(func.count(func.distinct(SupervisorProfile.university_id))))
    assert covered == 9
    intake = db.session.scalars(select(IntakeRound)).one()
    assert intake.is_open(utcnow())

    expected = {
        "applicant@example.org": "applicant",
        "supervisor.de@example.org": "supervisor",
        "supervisor.cn@example.org": "supervisor",
        "committee@example.org": "committee",
        "coordinator@example.org": "coordinator",
        "admin@example.org": "admin",
    }
    for email, role in expected.items():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        assert user.has_role(role) and user.check_password(DEMO_PASSWORD)
    de = db.session.scalars(select(SupervisorProfile).join(User).where(User.email == "supervisor.de@example.org")).one()
    cn = db.session.scalars(select(SupervisorProfile).join(User).where(User.email == "supervisor.cn@example.org")).one()
    assert (de.university.code, cn.university.code) == ("TUC", "TONGJI")


def test_seed_demo_refuses_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    result = app.test_cli_runner().invoke(args=["portal", "seed-demo"])
    assert result.exit_code != 0
    assert "refuses to run in production" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_create_user_asks_for_the_password(app):
    result = app.test_cli_runner().invoke(
        args=["portal", "create-user", "Office@Example.org", "--name", "Office", "--role", "coordinator"],
        input="Kolleg-Winter-Semester-2027\nKolleg-Winter-Semester-2027\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.email == "office@example.org")).one()
    assert user.has_role("coordinator") and user.check_password("Kolleg-Winter-Semester-2027")


def test_create_user_refuses_a_weak_password_and_a_supervisor_without_university(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=["portal", "create-user", "a@example.org", "--name", "A", "--role", "admin"], input="password\npassword\n"
    )
    assert weak.exit_code != 0 and "at least 12 characters" in weak.output
    no_uni = runner.invoke(args=["portal", "create-user", "b@example.org", "--name", "B", "--role", "supervisor"])
    assert no_uni.exit_code != 0 and "university" in no_uni.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_create_supervisor_gets_a_profile(app):
    result = app.test_cli_runner().invoke(
        args=[
            "portal",
            "create-user",
            "prof@example.org",
            "--name",
            "Prof",
            "--role",
            "supervisor",
            "--university",
            "tongji",
        ],
        input="Kolleg-Winter-Semester-2027\nKolleg-Winter-Semester-2027\n",
    )
    assert result.exit_code == 0, result.output
    profile = db.session.scalars(select(SupervisorProfile)).one()
    assert profile.university.code == "TONGJI"
