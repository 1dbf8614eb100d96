"""`flask portal backup DIR` and `flask portal restore DIR` on the suite's database: the demo data backed up, restored
into a fresh database and folder, compared table by table and file by file, then used: sign in, download a document.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, Document
from portal.demo import DEMO_PASSWORD
from tests.factories import complete_application

pytestmark = pytest.mark.committing

QUEUE_FILES = ("huey.sqlite3", "huey.sqlite3-wal", "huey.sqlite3-shm", "huey.sqlite3-journal")


def checksums(folder: Path) -> dict[str, str]:
    """Every file under a data folder (the background jobs' queue and scratch space aside) with its SHA-256."""
    found = {}
    for here, directories, files in os.walk(folder):
        directories[:] = [d for d in directories if not (Path(here) == folder and d == "tmp")]
        for name in files:
            if name not in QUEUE_FILES:
                path = Path(here) / name
                found[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def row_counts(url: str) -> dict[str, int]:
    """Every table of the portal's schema with its number of rows, read afresh."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                t.name: connection.scalar(select(func.count()).select_from(t)) for t in db.Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


@pytest.fixture
def empty_installation(app, tmp_path) -> Iterator[tuple[str, Path]]:
    """A database with no tables and an empty data folder, beside the suite's database."""
    suite_url = make_url(db.get_engine(app).url.render_as_string(hide_password=False))
    if suite_url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "restored-data"
        return
    name = f"{suite_url.database.removeprefix('test_')}_restore"  # test_infra: infra_restore; test: test_restore
    server = create_engine(suite_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield suite_url.set(database=name).render_as_string(hide_password=False), tmp_path / "restored-data"
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def invoke(application, *arguments: str):
    return application.test_cli_runner().invoke(args=["portal", *arguments])


def test_the_demo_data_survives_a_backup_and_a_restore_into_a_fresh_installation(
    app, other_app, empty_installation, tmp_path
):
    assert invoke(app, "seed-demo").exit_code == 0
    suite_url = db.get_engine(app).url.render_as_string(hide_password=False)
    source_data = Path(app.config["PORTAL_DATA_DIR"])
    backup = tmp_path / "backups" / "2026-12-05"

    made = invoke(app, "backup", str(backup))
    assert made.exit_code == 0, made.output
    assert "Backup written to" in made.output
    manifest = json.loads((backup / "manifest.json").read_text())
    before = row_counts(suite_url)
    files_before = checksums(source_data)
    assert before["applications"] >= 40 and before["documents"] >= 40 and len(files_before) >= 40
    assert {name: manifest["database"]["tables"][name] for name in before} == before
    assert {f"data/{name}": digest for name, digest in files_before.items()} == {
        name: entry["sha256"] for name, entry in manifest["files"].items() if name.startswith("data/")
    }
    assert (Path(backup).stat().st_mode & 0o077) == 0  # the folder is its owner's alone

    restored_url, restored_data = empty_installation
    restored = other_app(DATABASE_URL=restored_url, PORTAL_DATA_DIR=str(restored_data))
    done = invoke(restored, "restore", str(backup))
    assert done.exit_code == 0, done.output
    assert "verified" in done.output
    assert row_counts(restored_url) == before
    assert checksums(restored_data) == files_before
    # A second restore into what is now a working installation is refused and changes nothing.
    again = invoke(restored, "restore", str(backup))
    assert again.exit_code != 0
    assert "not empty" in again.output
    assert row_counts(restored_url) == before

    client = restored.test_client()
    signed_in = client.post("/account/login", data={"email": "applicant@example.org", "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302
    with restored.app_context():
        document = db.session.scalars(
            select(Document).join(Application).join(User).where(User.email == "applicant@example.org")
        ).first()
        assert document is not None
        document_id, expected = document.id, document.sha256
    with client.get(f"/application/documents/{document_id}") as downloaded:  # closed, as a server would
        content = downloaded.get_data()
    assert downloaded.status_code == 200
    assert hashlib.sha256(content).hexdigest() == expected


def test_a_damaged_backup_is_refused_before_anything_is_restored(app, other_app, empty_installation, tmp_path):
    with app.app_context():
        complete_application()
        db.session.commit()
    backup = tmp_path / "backup"
    assert invoke(app, "backup", str(backup)).exit_code == 0
    victim = next(path for path in (backup / "data" / "files").rglob("*.pdf"))
    victim.write_bytes(victim.read_bytes()[:-1] + b"#")
    restored_url, restored_data = empty_installation
    restored = other_app(DATABASE_URL=restored_url, PORTAL_DATA_DIR=str(restored_data))

    refused = invoke(restored, "restore", str(backup))
    assert refused.exit_code != 0
    assert "damaged" in refused.output and "checksum differs: data/files/" in refused.output
    engine = create_engine(restored_url)
    with engine.connect() as connection:
        assert inspect(connection).get_table_names() == []
    engine.dispose()
    assert not restored_data.exists() or not any(restored_data.rglob("*"))


def test_a_backup_needs_a_new_folder_and_a_restore_needs_a_backup(app, tmp_path):
    used = tmp_path / "used"
    used.mkdir()
    (used / "something").write_text("x")
    refused = invoke(app, "backup", str(used))
    assert refused.exit_code != 0 and "not empty" in refused.output
    assert sorted(p.name for p in used.iterdir()) == ["something"]
    not_a_backup = invoke(app, "restore", str(used))
    assert not_a_backup.exit_code != 0 and "manifest.json" in not_a_backup.output
