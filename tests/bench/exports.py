"""Downloads over HTTP: total time, time to the first body byte, rows, and the serving worker's memory above idle.

The memory is RssAnon (/proc/PID/status) of every gunicorn worker, sampled every SAMPLE_SECONDS while the download
runs; the worker whose value rose most is the one that served it, and its rise above the value it had just before the
request is reported. Downloads run on fresh workers: before the pages are measured, and the worker that served one
download is replaced (gunicorn starts a new one) before the next, since a worker keeps the memory it once used and a
later download would reuse it unseen.
"""

from __future__ import annotations

import csv
import http.client
import io
import re
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from pypdf import PdfReader

from tests.bench.server import Server, rss_anon_kb
from tests.bench.settings import USER_AGENT

SAMPLE_SECONDS = 0.02
ROW_TAG = re.compile(rb"<row[\s>]")


@dataclass(frozen=True)
class ExportResult:
    """One download as measured."""

    name: str
    rows: int
    seconds: float
    first_byte_ms: float
    peak_heap_mb_above_idle: float


def csv_rows(body: bytes) -> int:
    """Data rows of a CSV download (the header left out)."""
    return max(0, sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1)


def xlsx_rows(body: bytes) -> int:
    """Data rows of the first worksheet of an XLSX download (the header row left out)."""
    with zipfile.ZipFile(io.BytesIO(body)) as workbook:
        sheets = sorted(name for name in workbook.namelist() if name.startswith("xl/worksheets/sheet"))
        return max(0, len(ROW_TAG.findall(workbook.read(sheets[0]))) - 1) if sheets else 0


def pdf_pages(body: bytes) -> int:
    """Pages of a PDF download (what "rows" means for the dossier)."""
    return len(PdfReader(io.BytesIO(body)).pages)


class MemorySampler:
    """Samples the workers' RssAnon in a thread; rise_mb() is the largest rise of one worker above its idle value."""

    def __init__(self, pids: list[int]) -> None:
        self.idle = {pid: rss_anon_kb(pid) for pid in pids}
        self.peak = dict(self.idle)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.is_set():
            self._sample()
            self.done.wait(SAMPLE_SECONDS)

    def _sample(self) -> None:
        for pid in self.peak:
            self.peak[pid] = max(self.peak[pid], rss_anon_kb(pid))

    def __enter__(self) -> MemorySampler:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.done.set()
        self.thread.join()
        self._sample()

    def rises(self) -> dict[int, int]:
        """Each worker's rise above its idle value, in KiB."""
        return {pid: self.peak[pid] - self.idle[pid] for pid in self.idle if self.idle[pid] >= 0}


def measure_export(
    server: Server, name: str, path: str, cookie: str, count_rows: Callable[[bytes], int], replace: bool = True
) -> ExportResult:
    """Download path once as the signed-in user: time, first byte, the serving worker's memory; then replace it."""
    server.wait_idle()
    headers = {"User-Agent": USER_AGENT, "Cookie": cookie}
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    with MemorySampler(server.worker_pids()) as sampler:
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            first = response.read(1)
            first_byte = time.perf_counter() - started
            body = first + response.read()
            seconds = time.perf_counter() - started
        finally:
            connection.close()
    if response.status != 200:
        raise RuntimeError(f"{name}: {path} answered {response.status}")
    rises = sampler.rises()
    served = max(rises, key=rises.__getitem__) if rises else None
    if replace:
        server.replace_workers([served] if served and rises[served] > 0 else list(rises))
    return ExportResult(
        name=name,
        rows=count_rows(body),
        seconds=round(seconds, 3),
        first_byte_ms=round(first_byte * 1000, 1),
        peak_heap_mb_above_idle=round(max(rises.values(), default=0) / 1024, 1),
    )
