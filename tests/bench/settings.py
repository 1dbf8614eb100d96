"""Where the benchmark keeps its database, files and results, and what it reads from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "bench"
RESULTS_FILE = BENCH_DIR / "results" / "latest.json"
SERVER_LOG = BENCH_DIR / "results" / "gunicorn.log"

# Every account the benchmark signs in with has this password (the database is throw-away).
PASSWORD = "bench-password-2026"
SECRET_KEY = "bench-only-secret-key-" + "x" * 24
# The coordinator's authenticator app (staff sign in with a second factor).
TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCH23"
USER_AGENT = "portal-bench"

# The reference routes tests/bench/wsgi.py mounts, and its header with the number of SQL statements of a request.
CEILING_PATH = "/_bench/ceiling"
RENDER_LIMIT_PATH = "/_bench/render-limit"
QUERY_HEADER = "X-Bench-Queries"

# The load: wrk's threads, connections and duration of one measurement; rounds of interleaved measurements.
THREADS, CONNECTIONS = 2, 8
ROUNDS = 3


@dataclass(frozen=True)
class Settings:
    """One run's choices: the database, the number of applications, the duration of each wrk measurement."""

    database_url: str
    applications: int
    duration: str

    @classmethod
    def from_env(cls) -> Settings:
        """BENCH_DATABASE_URL (else a SQLite file under bench/), BENCH_APPLICATIONS (20000), BENCH_DURATION (10s)."""
        url = os.environ.get("BENCH_DATABASE_URL", "").strip() or f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}"
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return cls(
            database_url=url,
            applications=int(os.environ.get("BENCH_APPLICATIONS", "20000")),
            duration=os.environ.get("BENCH_DURATION", "10s"),
        )

    @property
    def dialect(self) -> str:
        """sqlite or postgresql."""
        return "sqlite" if self.database_url.startswith("sqlite") else "postgresql"

    @property
    def data_dir(self) -> Path:
        """The uploaded files of this database's seed (PORTAL_DATA_DIR of the served portal)."""
        return BENCH_DIR / "data" / self.dialect
