"""Gunicorn for the benchmark (2 sync workers on 127.0.0.1), a small HTTP client, signing in, the workers' memory."""

from __future__ import annotations

import contextlib
import functools
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pyotp

from tests.bench.settings import (
    CEILING_PATH,
    PASSWORD,
    ROOT,
    SECRET_KEY,
    SERVER_LOG,
    TOTP_SECRET,
    USER_AGENT,
    Settings,
)

WORKERS = 2
START_TIMEOUT = 90.0
CSRF_FIELD = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")


@dataclass
class Response:
    """A whole response as the client received it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    seconds: float

    def header(self, name: str) -> str | None:
        """The first header of that name (any case), if any."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


@dataclass
class Client:
    """Requests to the server, one connection each (gunicorn's sync workers close them), keeping the cookies."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def cookie_header(self) -> str:
        """The cookies as a Cookie header's value."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        """Send one request (a form is sent url-encoded) and read the whole answer."""
        headers = {"User-Agent": USER_AGENT}
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            result = Response(response.status, response.getheaders(), content, time.perf_counter() - started)
        finally:
            connection.close()
        self.keep_cookies(result.headers)
        return result

    def get(self, path: str) -> Response:
        """GET path."""
        return self.request("GET", path)

    def keep_cookies(self, headers: list[tuple[str, str]]) -> None:
        """Keep what Set-Cookie headers set, forget what they delete."""
        for key, value in headers:
            if key.lower() != "set-cookie":
                continue
            pair, _sep, attributes = value.partition(";")
            name, _eq, content = pair.strip().partition("=")
            if not content or "expires=thu, 01 jan 1970" in attributes.lower() or "max-age=0" in attributes.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = content


def _csrf_token(client: Client, path: str) -> str:
    """The CSRF token of the form on the page at path."""
    page = client.get(path)
    tag = CSRF_FIELD.search(page.body.decode("utf-8", "replace"))
    token = VALUE.search(tag.group(0)) if tag else None
    if page.status != 200 or token is None:
        raise RuntimeError(f"{path} answered {page.status} without a CSRF token")
    return token[1]


def _second_step(client: Client) -> Response:
    """The code of the seeded authenticator app (TOTP_SECRET) at the second step; a code is accepted once, so when a
    run signed in within the same 30 seconds the next step's code is waited for."""
    totp = pyotp.TOTP(TOTP_SECRET)
    for _attempt in range(2):
        token = _csrf_token(client, "/account/login/code")
        answer = client.request("POST", "/account/login/code", {"code": totp.now(), "csrf_token": token})
        if answer.status == 302:
            return answer
        time.sleep(totp.interval - time.time() % totp.interval + 0.5)
    raise RuntimeError(f"the second step refused the code: {answer.status}")


def sign_in(port: int, email: str) -> Client:
    """A client signed in through the login form (its CSRF token read from the page), as a browser would, through the
    second step for staff."""
    client = Client(port)
    token = _csrf_token(client, "/account/login")
    answer = client.request("POST", "/account/login", {"email": email, "password": PASSWORD, "csrf_token": token})
    target = answer.header("Location") or ""
    if answer.status == 302 and target.endswith("/account/login/code"):
        answer = _second_step(client)
        target = answer.header("Location") or ""
    if answer.status != 302 or "/account/login" in target:
        raise RuntimeError(f"signing in as {email} failed: {answer.status} {target}")
    client.get(target.removeprefix(f"http://127.0.0.1:{port}"))  # the page after signing in, as a browser follows
    return client


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """Gunicorn with WORKERS sync workers serving tests.bench.wsgi:app; stop() ends it and its workers."""

    def __init__(self, settings: Settings, list_round: int, coordinator: str) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
        SERVER_LOG.write_text("")
        self.env = {
            **os.environ,
            "BENCH_DATABASE_URL": settings.database_url,
            "BENCH_DATA_DIR": str(settings.data_dir),
            "BENCH_SECRET_KEY": SECRET_KEY,
            "BENCH_LIST_ROUND": str(list_round),
            "BENCH_COORDINATOR": coordinator,
        }

    def start(self) -> None:
        """Start gunicorn and wait until both workers are up and answer."""
        command = [
            sys.executable, "-m", "gunicorn",
            "--workers", str(WORKERS), "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}",
            *control_socket_flags(),
            "--timeout", "300", "--graceful-timeout", "5",
            "--error-logfile", str(SERVER_LOG),
            "tests.bench.wsgi:app",
        ]  # fmt: skip
        with open(SERVER_LOG, "a") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start-up; see {SERVER_LOG}:\n{_tail(SERVER_LOG)}")
            if len(self.worker_pids()) == WORKERS and self._answers():
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT:.0f} s; see {SERVER_LOG}")

    def _answers(self) -> bool:
        try:
            return Client(self.port).get(CEILING_PATH).status == 200
        except OSError:
            return False

    def stop(self) -> None:
        """Terminate gunicorn's process group (master and workers); kill what is left after a few seconds."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def worker_pids(self) -> list[int]:
        """Gunicorn's workers: the processes whose parent is the master."""
        if self.process is None:
            return []
        return children_of(self.process.pid)

    def replace_workers(self, pids: list[int]) -> None:
        """End these workers and wait until gunicorn has booted their successors and they are idle."""
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            current = self.worker_pids()
            if len(current) == WORKERS and not set(current) & set(pids):
                break
            time.sleep(0.1)
        self.wait_idle(quiet_samples=6)

    def wait_idle(self, quiet_samples: int = 2, interval: float = 0.05, limit: float = 300.0) -> None:
        """Wait until no worker uses CPU any more (requests wrk left queued are drained before the next measurement)."""
        deadline, previous, quiet = time.monotonic() + limit, None, 0
        while time.monotonic() < deadline and quiet < quiet_samples:
            now = tuple(cpu_ticks(pid) for pid in self.worker_pids())
            quiet = quiet + 1 if now == previous else 0
            previous = now
            time.sleep(interval)


@functools.cache
def control_socket_flags() -> tuple[str, ...]:
    """--no-control-socket where this gunicorn has the option (older releases open no control socket at all)."""
    command = [sys.executable, "-m", "gunicorn", "--help"]
    shown = subprocess.run(command, capture_output=True, text=True, check=False).stdout  # noqa: S603
    if "--no-control-socket" in shown:
        return ("--no-control-socket",)
    print("   note: this gunicorn has no --no-control-socket option (and so no control socket to turn off)")
    return ()


def children_of(parent: int) -> list[int]:
    """The processes whose parent is parent (from /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            pids.append(int(entry.name))
    return sorted(pids)


def cpu_ticks(pid: int) -> int:
    """User and system time of a process, in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])


def rss_anon_kb(pid: int) -> int:
    """The process's anonymous resident memory (RssAnon in /proc/PID/status), in KiB; -1 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
