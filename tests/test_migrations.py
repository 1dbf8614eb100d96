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
