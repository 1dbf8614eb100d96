"""Copying the database out and back in: SQLite's online backup API, PostgreSQL's pg_dump and pg_restore.

Each copy is consistent on its own and its row counts are taken from the same state: on SQLite from the copy itself,
on PostgreSQL in a transaction whose snapshot pg_dump is handed (`--snapshot`), so that the counts a restore is
checked against are those of the dump, however busy the portal was meanwhile.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404 # pg_dump and pg_restore, by absolute path, with a list of arguments, no shell
from pathlib import Path

from sqlalchemy import Connection, Engine, column, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import URL

from portal.backups.manifest import BackupError

SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.dump"
TOOL_TIMEOUT_SECONDS = 6 * 60 * 60


def table_counts(connection: Connection) -> dict[str, int]:
    """Every table of the database with its number of rows (the migrations' own table included)."""
    names = sorted(inspect(connection).get_table_names())
    return {name: connection.scalar(select(func.count()).select_from(table(name))) or 0 for name in names}


def schema_revision(connection: Connection) -> str | None:
    """The Alembic revision the database is at (None for a schema made without the migrations)."""
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    return connection.scalar(select(column("version_num")).select_from(table("alembic_version")))


def is_empty(engine: Engine) -> bool:
    """Whether the database holds no table at all (a fresh, empty database)."""
    with engine.connect() as connection:
        return not inspect(connection).get_table_names()


# --- SQLite --------------------------------------------------------------------------------------------------------


def dump_sqlite(engine: Engine, target: Path) -> tuple[dict[str, int], str | None]:
    """Copy the live database into target with SQLite's online backup API; the copy's row counts and revision."""
    with engine.connect() as connection:
        source = connection.connection.driver_connection
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # type: ignore[union-attr]
        finally:
            copy.close()
    return _counted(f"sqlite:///{target}")


def load_sqlite(engine: Engine, source: Path) -> None:
    """Write the backup's database into the (empty) database of engine."""
    path = engine.url.database
    if not path or path == ":memory:":
        raise BackupError("The portal's DATABASE_URL names no SQLite file to restore into.")
    engine.dispose()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    backup, target = sqlite3.connect(source), sqlite3.connect(path)
    try:
        backup.backup(target)
    finally:
        backup.close()
        target.close()
    engine.dispose()


def _counted(url: str) -> tuple[dict[str, int], str | None]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return table_counts(connection), schema_revision(connection)
    finally:
        engine.dispose()


# --- PostgreSQL ----------------------------------------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found. Install the PostgreSQL client tools of the server's major version or newer "
            "(Debian: apt-get install postgresql-client)."
        )
    return path


def _major_version(tool: str) -> int:
    output = _run([tool, "--version"], dict(os.environ))
    found = re.search(r"\)\s*(\d+)", output) or re.search(r"(\d+)", output)
    if found is None:
        raise BackupError(f"Cannot tell the version of {tool} from {output!r}.")
    return int(found.group(1))


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The address for pg_dump and pg_restore, and an environment carrying the password (never on the command line,
    where other users of the machine could read it)."""
    address = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return address, environment


def _run(arguments: list[str], environment: dict[str, str]) -> str:
    """Run a PostgreSQL client tool (absolute path, arguments as a list, no shell); its output, or BackupError."""
    done = subprocess.run(  # noqa: S603 # nosec B603 # a client tool found by shutil.which, no shell, no user input
        arguments, capture_output=True, text=True, env=environment, check=False, timeout=TOOL_TIMEOUT_SECONDS
    )
    if done.returncode != 0:
        raise BackupError(f"{Path(arguments[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def dump_postgres(engine: Engine, target: Path) -> tuple[dict[str, int], str | None]:
    """pg_dump the database into target (custom format) from the snapshot the row counts are taken in."""
    pg_dump = _tool("pg_dump")
    address, environment = _libpq(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, connection.begin():
        server = int(connection.scalar(text("SHOW server_version_num")) or 0) // 10000
        if _major_version(pg_dump) < server:
            raise BackupError(
                f"{pg_dump} is older than the database server (PostgreSQL {server}): install the client tools of "
                f"version {server} or newer (Debian: apt-get install postgresql-client-{server})."
            )
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        counts, revision = table_counts(connection), schema_revision(connection)
        _run(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", f"--dbname={address}"],
            environment,
        )
    return counts, revision


def load_postgres(engine: Engine, source: Path) -> None:
    """pg_restore the archive into the (empty) database of engine, in one transaction: all of it or nothing."""
    pg_restore = _tool("pg_restore")
    address, environment = _libpq(engine.url)
    engine.dispose()
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={address}",
            str(source),
        ],
        environment,
    )
    engine.dispose()


DUMPERS = {"sqlite": (SQLITE_FILE, dump_sqlite), "postgresql": (POSTGRES_FILE, dump_postgres)}
LOADERS = {"sqlite": load_sqlite, "postgresql": load_postgres}
