"""The load: Debian's wrk (installed when missing and root), its Lua script, and reading its report."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.bench.settings import CONNECTIONS, THREADS, USER_AGENT

LUA_SCRIPT = Path(__file__).with_name("bench.lua")
# A request slower than this counts as a timeout in wrk (and is missing from its latencies): far above any page.
TIMEOUT = "60s"
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
DURATION = re.compile(r"^\s*([\d.]+)\s*(us|ms|s|m|h)\s*$")


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors (connect, read, write, timeout) and answers >= 400


def ensure_wrk() -> str:
    """The path of wrk; installed from Debian with apt-get when missing and running as root, else explained."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("== installing wrk from Debian (the load generator of the benchmark)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
            subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL)  # noqa: S603
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit(
        "wrk is not installed and could not be installed here (apt-get needs root).\n"
        "Install it with: sudo apt-get install wrk   (Debian's package), then run `make bench` again."
    )


def milliseconds(value: str) -> float:
    """A wrk duration such as 218.53ms, 1.07s or 640.00us, in milliseconds."""
    match = DURATION.match(value)
    if not match:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match[1]) * UNITS_MS[match[2]]


def parse_wrk(output: str) -> WrkResult:
    """Requests/sec, the 50th and 99th percentiles of the latency distribution (--latency), requests and errors."""
    rps = re.search(r"^Requests/sec:\s*([\d.]+)", output, re.MULTILINE)
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    if not (rps and total):
        raise ValueError(f"wrk printed no result:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    errors += int(non_2xx[1]) if non_2xx else 0
    requests = int(total[1])
    # Without a completed request wrk prints no distribution: nothing was measured.
    return WrkResult(
        rps=float(rps[1]),
        p50_ms=milliseconds(p50[1]) if p50 and requests else float("nan"),
        p99_ms=milliseconds(p99[1]) if p99 and requests else float("nan"),
        requests=requests,
        errors=errors,
    )


def run_wrk(wrk: str, url: str, cookie: str, pages: int, duration: str) -> WrkResult:
    """One measurement: wrk -t2 -c8 -d<duration> --latency with the Lua script; ended with its group if interrupted."""
    command = [
        wrk,
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{duration}",
        "--latency",
        "--timeout",
        TIMEOUT,
        "-s",
        str(LUA_SCRIPT),
        url,
    ]
    env = {**os.environ, "BENCH_COOKIE": cookie, "BENCH_PAGES": str(pages), "BENCH_USER_AGENT": USER_AGENT}
    process = subprocess.Popen(  # noqa: S603
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = process.communicate()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}")
    return parse_wrk(output)
