"""The results: the machine and database, medians of the rounds, the printed table and bench/results/latest.json."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, pool, text

TOP_KEYS = ("machine", "database", "routes", "exports")
ROUTE_KEYS = ("name", "path", "rps", "p50_ms", "p99_ms", "queries", "bytes", "ratio_to_render_limit")
EXPORT_KEYS = ("name", "rows", "seconds", "first_byte_ms", "peak_heap_mb_above_idle")
REFERENCE_ROUTES = ("ceiling", "render_limit")


def machine() -> str:
    """CPU model, cores and memory, e.g. "AMD EPYC 7B13, 2 cores, 23.6 GiB"."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores{memory}"


def database(url: str) -> str:
    """The dialect and the server's version, e.g. "sqlite 3.40.1" or "postgresql 15.20"."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                version = connection.scalar(text("select sqlite_version()"))
            else:
                version = connection.scalar(text("show server_version"))
    finally:
        engine.dispose()
    return f"{engine.dialect.name} {str(version).split()[0]}"


def median(values: list[float]) -> float | None:
    """The median of the measured values (None when nothing was measured)."""
    finite = [value for value in values if value is not None and not math.isnan(value)]
    return round(statistics.median(finite), 2) if finite else None


def route_entry(name: str, path: str, runs: list[Any], queries: int | None, size: int | None) -> dict[str, Any]:
    """One route's entry: the medians of its rounds (runs are WrkResults; none when it was skipped)."""
    return {
        "name": name,
        "path": path,
        "rps": median([run.rps for run in runs]),
        "p50_ms": median([run.p50_ms for run in runs]),
        "p99_ms": median([run.p99_ms for run in runs]),
        "queries": queries,
        "bytes": size,
        "ratio_to_render_limit": None,
    }


def add_ratios(routes: list[dict[str, Any]]) -> None:
    """ratio_to_render_limit = the route's requests/s over the render limit's."""
    limit = next((route["rps"] for route in routes if route["name"] == "render_limit"), None)
    for route in routes:
        if limit and route["rps"] is not None:
            route["ratio_to_render_limit"] = round(route["rps"] / limit, 3)


def problems(results: dict[str, Any]) -> list[str]:
    """Where results differ from the agreed shape (empty when they match)."""
    found = []
    if tuple(results) != TOP_KEYS:
        found.append(f"top-level keys {tuple(results)} != {TOP_KEYS}")
    if not isinstance(results.get("machine"), str) or not isinstance(results.get("database"), str):
        found.append("machine and database must be text")
    for route in results.get("routes", []):
        if tuple(route) != ROUTE_KEYS:
            found.append(f"route keys {tuple(route)} != {ROUTE_KEYS}")
    for export in results.get("exports", []):
        if tuple(export) != EXPORT_KEYS:
            found.append(f"export keys {tuple(export)} != {EXPORT_KEYS}")
    names = {route.get("name") for route in results.get("routes", [])}
    found += [f"reference route {name} missing" for name in REFERENCE_ROUTES if name not in names]
    return found


def write(results: dict[str, Any], path: Path) -> None:
    """Write the results as JSON (after checking their shape)."""
    wrong = problems(results)
    if wrong:
        raise ValueError("; ".join(wrong))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _cell(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def table(results: dict[str, Any], notes: dict[str, str], header: str) -> str:
    """The printed table: routes (medians of the rounds), then exports; notes per name (skips, errors, depth)."""
    lines = [header, f"{results['machine']} · {results['database']}", ""]
    lines.append(f"{'route':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'queries':>9}{'KB':>9}{'× render':>10}  note")
    for route in results["routes"]:
        size = route["bytes"] / 1024 if route["bytes"] is not None else None
        lines.append(
            f"{route['name']:<22}{_cell(route['rps']):>9}{_cell(route['p50_ms']):>9}{_cell(route['p99_ms']):>9}"
            f"{_cell(route['queries']):>9}{_cell(size):>9}{_cell(route['ratio_to_render_limit'], 3):>10}"
            f"  {notes.get(route['name'], '')}".rstrip()
        )
    lines += ["", f"{'export':<22}{'rows':>9}{'seconds':>9}{'1st byte ms':>13}{'heap MB':>9}  note"]
    for export in results["exports"]:
        lines.append(
            f"{export['name']:<22}{_cell(export['rows']):>9}{_cell(export['seconds'], 2):>9}"
            f"{_cell(export['first_byte_ms']):>13}{_cell(export['peak_heap_mb_above_idle']):>9}"
            f"  {notes.get(export['name'], '')}".rstrip()
        )
    return "\n".join(lines)
