"""`make bench`: the portal over HTTP (gunicorn, 2 sync workers) under wrk, with its own seeded database.

Seeds or reuses the database (tests/bench/seed.py), starts gunicorn on a free port of 127.0.0.1, signs each role in
through the login form, downloads each export once on fresh workers, checks every route once, then measures the
routes of ROUTES with wrk in ROUNDS interleaved rounds (A B C … A B C …). Prints a table and writes
bench/results/latest.json. Speed is measured here, never by timed assertions in the tests.

    .venv/bin/python -m tests.bench.run      (BENCH_DATABASE_URL, BENCH_APPLICATIONS, BENCH_DURATION: see settings.py)
"""

from __future__ import annotations

import datetime as dt
import math
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, func, pool, select

from tests.bench import exports, load, report, seed
from tests.bench.portal_refs import LIST_PER_PAGE
from tests.bench.server import Client, Server, sign_in
from tests.bench.settings import (
    CEILING_PATH,
    CONNECTIONS,
    QUERY_HEADER,
    RENDER_LIMIT_PATH,
    RESULTS_FILE,
    ROUNDS,
    THREADS,
    Settings,
)


@dataclass(frozen=True)
class Route:
    """A measured page: its path ({current}, {previous}, {application} filled in), who asks, how it is paged."""

    name: str
    path: str
    role: str | None  # a key of SeedInfo.accounts; None sends no cookie
    pages: str = ""  # a key of page_counts(): wrk asks for a random page from 1 to the last
    missing_note: str = ""  # a page that may not exist yet: skipped with this note while it answers 404


ROUTES = (
    Route("list", "/coordination/applications/?round={current}", "coordinator", pages="round"),
    Route("list_by_name", "/coordination/applications/?round={current}&sort=name", "coordinator", pages="round"),
    Route("list_filtered", "/coordination/applications/?round={current}&nationality=IN", "coordinator",
          pages="nationality_in"),
    Route("list_search", "/coordination/applications/?round={current}&q=zhou", "coordinator", pages="search_zhou"),
    Route("ranking", "/review/rounds/{previous}/ranking", "coordinator"),
    Route("reviewer_assigned", "/review/", "reviewer"),
    Route("supervisor_dashboard", "/supervise/", "supervisor"),
    Route("applicant_dashboard", "/dashboard", "applicant"),
    Route("staff_record", "/staff/applications/{application}", "coordinator",
          missing_note="skipped: answers 404 (issue 10 adds the staff record; confirm its path)"),
    Route("ceiling", CEILING_PATH, None),
    Route("render_limit", RENDER_LIMIT_PATH, "coordinator"),
)  # fmt: skip

EXPORTS = (
    ("export_csv", "/coordination/applications/export.csv?round={current}", exports.csv_rows, ""),
    ("export_xlsx", "/coordination/applications/export.xlsx?round={current}", exports.xlsx_rows, ""),
    ("dossier_pdf", "/coordination/applications/{application}/dossier.pdf", exports.pdf_pages,
     "rows = pages; six ~1 MB documents"),
)  # fmt: skip


def page_counts(settings: Settings, info: seed.SeedInfo) -> dict[str, int]:
    """The number of list pages for each paged route (from the seeded rows, LIST_PER_PAGE rows a page)."""
    from portal.applications.models import Application

    in_round = Application.round_id == info.current_round
    conditions = {
        "round": [in_round],
        "nationality_in": [in_round, Application.nationality == "IN"],
        "search_zhou": [in_round, func.lower(Application.family_name).contains("zhou")],
    }
    engine = create_engine(settings.database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            counts = {
                key: connection.scalar(select(func.count(Application.id)).where(*where)) or 0
                for key, where in conditions.items()
            }
    finally:
        engine.dispose()
    return {key: max(1, math.ceil(count / LIST_PER_PAGE)) for key, count in counts.items()}


def fill_in(path: str, info: seed.SeedInfo) -> str:
    """The path with the seeded ids in place of {current}, {previous} and {application}."""
    return path.format(current=info.current_round, previous=info.previous_round, application=info.dossier_application)


def probe(client: Client, path: str, name: str) -> tuple[int, int | None, int]:
    """One request as the role: (status, SQL statements, bytes)."""
    answer = client.get(path)
    queries = answer.header(QUERY_HEADER)
    if answer.status == 200 and answer.header("Set-Cookie"):
        print(f"   note: {name} sets a cookie on every response (the load sends the one it has)")
    return answer.status, int(queries) if queries is not None else None, len(answer.body)


def measure_exports(info: seed.SeedInfo, server: Server, cookie: str, notes: dict[str, str]) -> list[dict[str, Any]]:
    """Each download once, on fresh workers (before any page has been measured)."""
    done = []
    for number, (name, path, count_rows, note) in enumerate(EXPORTS, start=1):
        last = number == len(EXPORTS)  # the pages do not need fresh workers: the last serving one is kept
        result = exports.measure_export(server, name, fill_in(path, info), cookie, count_rows, replace=not last)
        print(
            f"   {name:<22}{result.seconds:>9.2f} s  first byte {result.first_byte_ms:.0f} ms  "
            f"+{result.peak_heap_mb_above_idle} MB"
        )
        notes[name] = note
        done.append({key: getattr(result, key) for key in report.EXPORT_KEYS})
    return done


def probe_routes(
    settings: Settings, info: seed.SeedInfo, server: Server, clients: dict[str, Client], notes: dict[str, str]
) -> tuple[list[tuple[Route, str, int]], dict[str, tuple[int | None, int | None]]]:
    """Check every route once (and the last page of the paged ones): what to measure, with queries and bytes."""
    pages = page_counts(settings, info)
    active: list[tuple[Route, str, int]] = []
    facts: dict[str, tuple[int | None, int | None]] = {}
    for route in ROUTES:
        path = fill_in(route.path, info)
        client = clients[route.role] if route.role else Client(server.port)
        status, queries, size = probe(client, path, route.name)
        if status == 404 and route.missing_note:
            notes[route.name] = route.missing_note
            continue
        if status != 200:
            raise RuntimeError(f"{route.name}: {path} answered {status} (signed in as {route.role})")
        last = pages.get(route.pages, 0)
        if last:
            separator = "&" if "?" in path else "?"
            _status, last_queries, _size = probe(client, f"{path}{separator}page={last}", route.name)
            notes[route.name] = f"pages 1–{last}; queries on the last: {last_queries}"
        facts[route.name] = (queries, size)
        active.append((route, path, last))
    return active, facts


def measure(
    settings: Settings, info: seed.SeedInfo, server: Server, wrk: str, spent: dict[str, float]
) -> tuple[dict[str, Any], dict]:
    """Sign in, the exports, then every route in interleaved rounds; returns the results and notes per name."""
    clock = time.perf_counter()
    clients = {role: sign_in(server.port, email) for role, email in info.accounts.items()}
    notes: dict[str, str] = {}
    done = measure_exports(info, server, clients["coordinator"].cookie_header(), notes)
    spent["sign-in and exports"], clock = time.perf_counter() - clock, time.perf_counter()
    active, facts = probe_routes(settings, info, server, clients, notes)
    spent["checks"] = time.perf_counter() - clock
    runs: dict[str, list[load.WrkResult]] = {route.name: [] for route in ROUTES}
    base = f"http://127.0.0.1:{server.port}"
    for number in range(1, ROUNDS + 1):
        for route, path, last in active:
            clock = time.perf_counter()
            server.wait_idle()
            spent["draining"] = spent.get("draining", 0.0) + time.perf_counter() - clock
            cookie = clients[route.role].cookie_header() if route.role else ""
            clock = time.perf_counter()
            result = load.run_wrk(wrk, base + path, cookie, last, settings.duration)
            spent["wrk"] = spent.get("wrk", 0.0) + time.perf_counter() - clock
            runs[route.name].append(result)
            print(
                f"   round {number}/{ROUNDS}  {route.name:<22}{result.rps:>9.1f} req/s  p50 {result.p50_ms:>8.1f} ms"
                f"{f'  {result.errors} errors' if result.errors else ''}"
            )
    for name, results in runs.items():
        errors = sum(result.errors for result in results)
        if errors:
            notes[name] = f"{notes.get(name, '')}; {errors} errors or answers >= 400".lstrip("; ")
    routes = [
        report.route_entry(
            route.name, fill_in(route.path, info), runs[route.name], *facts.get(route.name, (None, None))
        )
        for route in ROUTES
    ]
    report.add_ratios(routes)
    results = {
        "machine": report.machine(),
        "database": report.database(settings.database_url),
        "routes": routes,
        "exports": done,
    }
    return results, notes


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    """Seed or reuse, serve, measure, report; the exit status (130 when interrupted)."""
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started with SIGINT ignored (a background job)
    started = time.perf_counter()
    settings = Settings.from_env()
    info = seed.ensure(settings)
    wrk = load.ensure_wrk()
    seeded = time.perf_counter()
    server = Server(settings, info.current_round, info.accounts["coordinator"])
    try:
        print(
            f"== gunicorn (2 sync workers) on 127.0.0.1:{server.port}; wrk -t{THREADS} -c{CONNECTIONS} "
            f"-d{settings.duration}, {ROUNDS} interleaved rounds"
        )
        clock = time.perf_counter()
        server.start()
        spent: dict[str, float] = {"start": time.perf_counter() - clock}
        results, notes = measure(settings, info, server, wrk, spent)
    except KeyboardInterrupt:
        print("\ninterrupted: gunicorn and wrk are stopped", file=sys.stderr)
        return 130
    finally:
        server.stop()
    report.write(results, RESULTS_FILE)
    header = (
        f"make bench · {dt.date.today().isoformat()} · {settings.applications} applications in the list's round "
        f"(+{settings.applications // 10} last year) · medians of {ROUNDS} rounds of wrk -t{THREADS} "
        f"-c{CONNECTIONS} -d{settings.duration}"
    )
    print()
    print(report.table(results, notes, header))
    elapsed = time.perf_counter() - seeded
    phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in spent.items())
    print(
        f"\nwritten to {RESULTS_FILE.relative_to(RESULTS_FILE.parents[2])} · measured in {elapsed:.0f} s ({phases}; "
        f"seeding or reuse before: {seeded - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
