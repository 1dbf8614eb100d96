"""The Alembic migrations build the same schema as the models, both ways, with the nine universities."""

from __future__ import annotations

import os

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from portal.config import PROJECT_ROOT
from portal.supervisors.universities import UNIVERSITIES


@pytest.fixture
def alembic_config(tmp_path, monkeypatch):
    # Migrations are checked on a fresh SQLite file here; .ci/run does the same against PostgreSQL.
    url = f"sqlite:///{tmp_path}/migrations.sqlite3"
    monkeypatch.setenv("DATABASE_URL", url)
    config = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    return config, url


def test_upgrade_check_downgrade(alembic_config):
    config, url = alembic_config
    command.upgrade(config, "head")
    command.check(config)  # raises when models and migrations differ
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = (
            connection.execute(
                text("SELECT code, country, city, name_de, name_en, name_zh FROM universities ORDER BY id")
            )
            .mappings()
            .all()
        )
    assert [dict(row) for row in rows] == list(UNIVERSITIES)
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    engine.dispose()


def test_database_url_is_read_from_the_environment(monkeypatch):
    from portal.config import database_url

    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"
    monkeypatch.delenv("DATABASE_URL")
    assert database_url().startswith("sqlite:///") and database_url().endswith("instance/portal.sqlite3")
    assert "DATABASE_URL" not in os.environ


def test_a_database_with_data_upgrades_through_the_batch_migrations_on_sqlite(alembic_config):
    # A batch migration rebuilds a table (intake_rounds gains reviews_required in 0019) while rows of other tables
    # refer to it: SQLite's foreign keys must not refuse the rebuild, and every reference must hold afterwards.
    config, url = alembic_config
    command.upgrade(config, "0018_interviews")
    engine = create_engine(url)
    with engine.begin() as connection:
        insert_round(connection)
        connection.execute(
            text(
                "INSERT INTO offer_settings (id, round_id, updated_at, version) VALUES (1, 1, '2026-12-01 00:00:00', 1)"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT reviews_required FROM intake_rounds")).scalar_one() == 2
        assert connection.execute(text("SELECT round_id FROM offer_settings")).scalar_one() == 1
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []


def test_the_speed_migration_fills_the_keys_of_existing_applications(alembic_config):
    # 0022 adds the stored name and search keys: applications already there get them as the portal computes them.
    config, url = alembic_config
    command.upgrade(config, "0021_words")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, name, language, timezone, active, created_at) VALUES "
                "(1, 'anna@example.org', 'Anna Account', 'de', 'Europe/Berlin', 1, '2026-10-01 00:00:00'), "
                "(2, 'li@example.org', 'Li Account', 'zh', 'Asia/Shanghai', 1, '2026-10-01 00:00:00')"
            )
        )
        insert_round(connection)
        insert_drafts(connection, [1, 2])
        connection.execute(
            text(
                "UPDATE applications SET state = 'submitted', reference = 'IPK-2027-0001', family_name = 'Straße', "
                "given_names = 'Jürgen', native_name = '施特劳斯' WHERE id = 1"
            )
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        keys = connection.execute(text("SELECT name_key, search_key FROM applications ORDER BY id")).all()
    engine.dispose()
    assert [tuple(row) for row in keys] == [
        ("strasse\x1fjürgen", "ipk-2027-0001 strasse jürgen 施特劳斯 anna account anna@example.org"),
        ("li account\x1f", "li account li@example.org"),  # a draft without a name: the account's
    ]


def test_the_referee_emails_migration_lowers_the_addresses_already_there(alembic_config):
    # 0023: conflicts compare referees' addresses as stored, so older rows take the canonical lower-case form.
    config, url = alembic_config
    command.upgrade(config, "0022_speed")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, name, language, timezone, active, created_at) VALUES "
                "(1, 'anna@example.org', 'Anna', 'de', 'Europe/Berlin', 1, '2026-10-01 00:00:00')"
            )
        )
        insert_round(connection)
        insert_drafts(connection, [1])
        connection.execute(
            text(
                "INSERT INTO referee_invitations (id, application_id, position, name, email, institution, relation, "
                "language, created_at, invitations_sent) VALUES "
                "(:id, 1, :id, 'Prof. Wang', :email, 'Tongji', 'supervisor', 'en', '2026-11-02 00:00:00', 0)"
            ),
            [{"id": 1, "email": "Prof.Wang@Tongji.EDU.cn"}, {"id": 2, "email": "li@example.org"}],
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        emails = connection.execute(text("SELECT email FROM referee_invitations ORDER BY id")).scalars().all()
    engine.dispose()
    assert emails == ["prof.wang@tongji.edu.cn", "li@example.org"]


def test_the_review_totals_migration_fills_the_totals_of_the_reviews_already_there(alembic_config):
    # 0024: the ranking orders by totals kept on write; the reviews already there are summed once.
    config, url = alembic_config
    command.upgrade(config, "0023_referee_emails")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, name, language, timezone, active, created_at) VALUES "
                "(:id, :email, 'Someone', 'de', 'Europe/Berlin', 1, '2026-10-01 00:00:00')"
            ),
            [{"id": n, "email": f"user{n}@example.org"} for n in (1, 2, 3)],
        )
        insert_round(connection)
        insert_drafts(connection, [1, 2])
        connection.execute(
            text(
                "INSERT INTO review_assignments (id, application_id, reviewer_id, assigned_at) VALUES "
                "(:id, 1, :reviewer, '2026-11-03 00:00:00')"
            ),
            [{"id": 1, "reviewer": 2}, {"id": 2, "reviewer": 3}, {"id": 3, "reviewer": 1}],
        )
        connection.execute(
            text(
                "INSERT INTO reviews (id, assignment_id, score_academic, score_proposal, score_fit, score_language, "
                "score_references, recommendation, comment, created_at, updated_at, submitted_at, version) VALUES "
                "(:id, :id, :s, :s, :s, :s, :last, :recommendation, '', '2026-11-04 00:00:00', "
                "'2026-11-04 00:00:00', :submitted, 1)"
            ),
            [
                {"id": 1, "s": 4, "last": 5, "recommendation": "admit", "submitted": "2026-11-04 00:00:00"},
                {"id": 2, "s": 2, "last": 2, "recommendation": "reject", "submitted": "2026-11-04 00:00:00"},
                {"id": 3, "s": 5, "last": 5, "recommendation": None, "submitted": None},  # a draft
            ],
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT application_id, submitted, total, gap FROM review_totals")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [(1, 2, 31, 11)]


def insert_round(connection) -> None:
    """Round 1, as the migrations of these tests find it."""
    connection.execute(
        text(
            "INSERT INTO intake_rounds (id, name, opens_at, closes_at, created_at, same_university_conflict) "
            "VALUES (1, 'Intake 2027', '2026-11-01 00:00:00', '2027-04-15 00:00:00', '2026-10-01 00:00:00', 1)"
        )
    )


def insert_drafts(connection, ids: list[int]) -> None:
    """Empty drafts of round 1, each of the account with its own id (the columns every revision since 0021 has)."""
    connection.execute(
        text(
            "INSERT INTO applications (id, round_id, applicant_id, state, version, created_at, updated_at, "
            "family_name, given_names, native_name, nationality, address, phone, english_certificate, "
            "german_certificate, chinese_certificate, proposal_title, abstract, keywords, "
            "supervisor_motivation) VALUES (:id, 1, :id, 'draft', 1, '2026-11-02 00:00:00', "
            "'2026-11-02 00:00:00', '', '', '', '', '', '', '', '', '', '', '', '', '')"
        ),
        [{"id": id_} for id_ in ids],
    )
