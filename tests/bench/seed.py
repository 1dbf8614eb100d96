"""The benchmark's own database: schema by `alembic upgrade head`, realistic rows by bulk inserts, reused when there.

A marker row (table bench_seed, outside the portal's metadata) and a marker file in the data directory record the seed
parameters and a stamp; both must match for the data to be reused. Otherwise the database is emptied (the SQLite file
removed; on PostgreSQL the public schema of a database whose name contains "bench" dropped) and seeded anew.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, Text, create_engine, insert, inspect, pool, select, text

from portal.review import totals as review_totals
from tests.bench import pdfs
from tests.bench.portal_refs import ref
from tests.bench.seed_applications import (
    account_rows,
    application_rows,
    document_rows,
    education_rows,
    plan_applications,
    referee_rows,
    round_rows,
    rounds,
)
from tests.bench.seed_people import KNOWN, staff_and_supervisors
from tests.bench.seed_review import decision_rows, outbox_rows, review_rows, statement_rows
from tests.bench.settings import ROOT, SECRET_KEY, TOTP_SECRET, Settings

SEED_VERSION = 8
BATCH = 5000
MARKER = Table("bench_seed", MetaData(), Column("params", Text))
MARKER_FILE = "seed.json"


@dataclass(frozen=True)
class SeedInfo:
    """What the benchmark needs to know about the seeded data."""

    current_round: int
    previous_round: int
    dossier_application: int
    accounts: dict[str, str]  # role -> email


def ensure(settings: Settings) -> SeedInfo:
    """Reuse the seeded database when its marker matches the settings, else seed it; migrate it in either case."""
    params = {"version": SEED_VERSION, "applications": settings.applications}
    if settings.dialect == "sqlite":
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(settings.database_url, poolclass=pool.NullPool)
    try:
        found = _read_marker(engine)
        file_marker = settings.data_dir / MARKER_FILE
        on_disk = json.loads(file_marker.read_text()) if file_marker.is_file() else None
        if found is not None and found["params"] == params and on_disk == found:
            print(f"== reusing the seeded {settings.dialect} database ({settings.applications} applications)")
            migrate(settings.database_url)
            return SeedInfo(**found["info"])
        print(f"== seeding the {settings.dialect} database with {settings.applications} applications")
        _empty(engine, settings)
    finally:
        engine.dispose()
    migrate(settings.database_url)
    info = fill(settings)
    marker = {"params": params, "info": asdict(info), "stamp": uuid.uuid4().hex}
    engine = create_engine(settings.database_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            MARKER.create(connection, checkfirst=True)
            connection.execute(MARKER.delete())
            connection.execute(insert(MARKER), {"params": json.dumps(marker)})
    finally:
        engine.dispose()
    (settings.data_dir / MARKER_FILE).write_text(json.dumps(marker))
    return info


def _read_marker(engine: Engine) -> dict[str, Any] | None:
    try:
        if not inspect(engine).has_table(MARKER.name):
            return None
        with engine.connect() as connection:
            value = connection.scalar(select(MARKER.c.params))
    except Exception as error:  # an unreachable or broken database is reported when it is used
        print(f"   (no usable marker: {error.__class__.__name__})")
        return None
    return json.loads(value) if value else None


def _empty(engine: Engine, settings: Settings) -> None:
    """Remove every table (and the uploaded files) so that the schema is built from the migrations alone."""
    if settings.dialect == "sqlite":
        path = Path(settings.database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        name = engine.url.database or ""
        if "bench" not in name:
            raise SystemExit(
                f"BENCH_DATABASE_URL names the database {name!r}: the benchmark only empties one "
                "whose name contains 'bench'."
            )
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    shutil.rmtree(settings.data_dir, ignore_errors=True)


def migrate(url: str) -> None:
    """`alembic upgrade head` on the benchmark's database (the indexes are the migrations' own)."""
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "-m", "alembic", "upgrade", "head"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise SystemExit(f"alembic upgrade head failed:\n{done.stdout}\n{done.stderr}")


def fill(settings: Settings) -> SeedInfo:
    """Insert every row in batches, then the files; returns the ids the benchmark uses."""
    from portal import create_app

    started = time.perf_counter()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {"DATABASE_URL": settings.database_url, "PORTAL_DATA_DIR": str(settings.data_dir), "SECRET_KEY": SECRET_KEY}
    )
    with app.app_context():
        ref("sync_universities")()
        ref("db_session").commit()
    engine = ref("get_engine")(app)
    tables = _tables()
    table = tables["universities"]
    with engine.connect() as connection:
        query = select(table.c.id, table.c.country).order_by(table.c.country.desc(), table.c.id)
        universities = [dict(row._mapping) for row in connection.execute(query)]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rng = random.Random(2026)
    people = staff_and_supervisors(universities, now, rng)
    seeded = rounds(now, settings.applications)
    plans = plan_applications(seeded, people, rng)
    small = pdfs.small_pdf()
    scans = [pdfs.scan_pdf(n, f"Scanned document {n + 1}") for n in range(6)]
    facts = [(len(content), hashlib.sha256(content).hexdigest()) for content in (small, *scans)]
    accounts: dict[str, list[dict[str, Any]]] = {"users": [], "user_roles": []}
    for name, row in account_rows(plans, people, now):
        accounts[name].append(row)
    with engine.begin() as connection:
        load = _Loader(connection, tables)
        for name in ("users", "user_roles"):
            load.rows(name, people.rows[name] + accounts[name])
        for name in ("supervisor_profiles", "supervisor_fields", "committee_members"):
            load.rows(name, people.rows[name])
        for name, rows in round_rows(seeded, now).items():
            load.rows(name, rows)
        load.rows("applications", application_rows(plans))
        load.rows("education", education_rows(plans))
        load.rows("documents", document_rows(plans, facts[0], facts[1:]))
        load.rows("referee_invitations", referee_rows(plans))
        load.rows("supervisor_statements", statement_rows(plans))
        load.mixed(
            review_rows(plans, people, people.coordinator), ("review_assignments", "reviews", "review_revisions")
        )
        review_totals.refresh(connection, None)  # as the portal keeps them on write
        load.rows("decisions", decision_rows(plans, people.coordinator))
        load.rows("outbox_emails", outbox_rows(plans))
        load.rows("second_factors", [second_factor_row(app, people.coordinator, now)])
        if connection.dialect.name == "postgresql":
            _advance_sequences(connection, tables)
    # The planner's statistics, as a running portal has them (PostgreSQL's autovacuum; on SQLite `flask portal daily`).
    with engine.begin() as connection:  # a transaction of its own: the portal's SQLite engine begins one anyway
        connection.execute(text("ANALYZE"))
    files = _write_files(settings.data_dir, plans, small, scans)
    engine.dispose()
    print(f"   {load.count} rows and {files} files in {time.perf_counter() - started:.1f} s")
    return SeedInfo(
        current_round=seeded[0].id, previous_round=seeded[1].id, dossier_application=1, accounts=dict(KNOWN)
    )


def second_factor_row(app: Any, user_id: int, now: dt.datetime) -> dict[str, Any]:
    """The coordinator's authenticator app (TOTP_SECRET, encrypted as the portal does): staff sign in with a code."""
    with app.app_context():
        secret = ref("encrypt")(TOTP_SECRET, ref("totp_purpose"))
    return {"id": 1, "user_id": user_id, "secret": secret, "enabled_at": now, "last_step": 0}


def _tables() -> dict[str, Table]:
    """The portal's tables by name (the models register them on one metadata)."""
    from portal.accounts.models import User
    from portal.applications.models import Application  # noqa: F401
    from portal.core.outbox import OutboxEmail  # noqa: F401
    from portal.review.models import Review  # noqa: F401
    from portal.supervisors.models import University  # noqa: F401

    return dict(User.metadata.tables)


class _Loader:
    """Bulk inserts (Core insert() with lists of dicts) in batches of BATCH rows."""

    def __init__(self, connection: Any, tables: dict[str, Table]) -> None:
        self.connection, self.tables, self.count = connection, tables, 0

    def rows(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self._insert(name, batch)
                batch = []
        self._insert(name, batch)

    def mixed(self, rows: Iterable[tuple[str, dict[str, Any]]], order: tuple[str, ...]) -> None:
        """Rows of several tables; all buffers are written in order (parents first) whenever one is full."""
        buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in order}
        for name, row in rows:
            buffers[name].append(row)
            if len(buffers[name]) >= BATCH:
                for each in order:
                    self._insert(each, buffers[each])
                    buffers[each] = []
        for each in order:
            self._insert(each, buffers[each])

    def _insert(self, name: str, batch: list[dict[str, Any]]) -> None:
        if batch:
            self.connection.execute(insert(self.tables[name]), batch)
            self.count += len(batch)


def _advance_sequences(connection: Any, tables: dict[str, Table]) -> None:
    """PostgreSQL: move each id sequence past the ids inserted explicitly."""
    for name, table in tables.items():
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:name, 'id')"), {"name": name})
        if sequence:
            query = f"SELECT setval('{sequence}', (SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"  # noqa: S608
            connection.execute(text(query))


def _write_files(data_dir: Path, plans: list[Any], small: bytes, scans: list[bytes]) -> int:
    """Each document's own file under its storage key: small ones hard links to one PDF, the scans written out."""
    files = data_dir / "files"
    source = data_dir / "small.pdf"
    source.write_bytes(small)
    count, folders = 0, set()
    for plan in plans:
        scan_number = 0
        for _doc_id, key, scan in plan.documents:
            path = files / key
            if path.parent not in folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                folders.add(path.parent)
            if scan:
                path.write_bytes(scans[scan_number])
                scan_number += 1
            else:
                try:
                    os.link(source, path)
                except OSError:
                    shutil.copyfile(source, path)
            count += 1
    return count
