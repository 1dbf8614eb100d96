"""While the database cannot be reached every page answers 503 in the person's language with Retry-After, made without
the database; the portal serves again by itself as soon as the database is back.

On PostgreSQL the connections are really cut: the app talks to the server through a TCP proxy that the test stops
(closing every connection and refusing new ones) and starts again. On SQLite, a file, the outage is the one it can
have: another process holds the database's exclusive lock for longer than the portal waits for it.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.roles import Role
from tests.conftest import sign_in
from tests.factories import ApplicationFactory, IntakeRoundFactory, UserFactory

pytestmark = pytest.mark.committing


class ConnectionCutter:
    """A TCP proxy from a local port to the database server; stop() closes every connection and refuses new ones
    until start()."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        probe = socket.create_server(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._acceptor: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        self._stopping.clear()
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.1)
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._acceptor is not None:
            self._acceptor.join()  # the acceptor closes its listener: the port refuses connections from here on
            self._acceptor = None
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while not self._stopping.is_set():
                try:
                    client, _address = listener.accept()
                except TimeoutError:
                    continue
                self._forward(client)

    def _forward(self, client: socket.socket) -> None:
        server = socket.create_connection(self.target)
        client.settimeout(None)
        with self._lock:
            self._sockets.update((client, server))
        for source, sink in ((client, server), (server, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


class Outage:
    """Makes the test database unreachable for the app under test, and reachable again."""

    def __init__(self, suite_url: str, tmp_path) -> None:
        self.suite_url = suite_url
        self.tmp_path = tmp_path
        self._cutter: ConnectionCutter | None = None
        self._holder: sqlite3.Connection | None = None

    def app_config(self) -> dict:
        url = make_url(self.suite_url)
        config = {"PORTAL_DATA_DIR": str(self.tmp_path / "data")}
        if url.get_backend_name() == "postgresql":
            self._cutter = ConnectionCutter(url.host or "127.0.0.1", url.port or 5432)
            self._cutter.start()
            config["DATABASE_URL"] = url.set(host="127.0.0.1", port=self._cutter.port).render_as_string(False)
            return config
        from portal.db import make_engine

        engine = make_engine(self.suite_url)
        # The portal waits 10 s for a lock; the test need not wait that long to see what happens after.
        event.listen(engine, "connect", lambda connection, _record: connection.execute("PRAGMA busy_timeout=50"))
        return {**config, "DATABASE_URL": self.suite_url, "DATABASE_ENGINE": engine}

    def begin(self, *, at_commit: bool = False) -> None:
        """Cut the database off. On SQLite, at a commit the portal already holds the write lock: a reader then keeps
        the commit from finishing, at any other time the exclusive lock keeps everyone out."""
        if self._cutter is not None:
            self._cutter.stop()
            return
        self._holder = sqlite3.connect(make_url(self.suite_url).database, isolation_level=None)
        self._holder.execute("BEGIN" if at_commit else "BEGIN EXCLUSIVE")
        self._holder.execute("SELECT count(*) FROM users").fetchall()

    def end(self) -> None:
        if self._cutter is not None:
            self._cutter.start()
        elif self._holder is not None:
            self._holder.execute("ROLLBACK")
            self._holder.close()
            self._holder = None

    def close(self) -> None:
        if self._cutter is not None:
            self._cutter.stop()
        else:
            self.end()


@pytest.fixture
def outage(app, tmp_path) -> Iterator[Outage]:
    planned = Outage(str(db.get_engine(app).url.render_as_string(False)), tmp_path)
    yield planned
    planned.close()


@pytest.fixture
def portal(outage, other_app):
    """The portal under test, reaching the database in a way the test can interrupt; errors are handled as in
    production (a test app would pass those raised after the view, at the commit, on to the test)."""
    return other_app(**outage.app_config(), PROPAGATE_EXCEPTIONS=False)


@contextmanager
def database_down(outage: Outage) -> Iterator[None]:
    outage.begin()
    try:
        yield
    finally:
        outage.end()


def unavailable(response, *texts: str) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    for text in texts:
        assert text in page
    assert "Traceback" not in page


def test_every_page_answers_503_in_the_persons_language_and_serves_again_once_the_database_is_back(portal, outage):
    with portal.app_context():
        person = UserFactory(roles=[Role.APPLICANT, Role.COORDINATOR], language="de", name="Lena Vogel")
        intake = IntakeRoundFactory()
        draft = ApplicationFactory(applicant=person, intake_round=intake)
        db.session.commit()
        people_before = db.session.scalar(select(func.count(User.id)))
        draft_url = f"/application/{draft.id}/personal"
    signed_in = sign_in(portal.test_client(), person)
    assert signed_in.get("/dashboard").status_code == 200  # the session now knows the person's language
    anonymous_zh = portal.test_client()

    with database_down(outage):
        for url in ("/dashboard", "/", draft_url, "/coordination/applications/", "/account/settings"):
            answer = signed_in.get(url)
            unavailable(answer, 'lang="de"', "Das Portal ist kurz nicht erreichbar")
            assert "Lena Vogel" not in answer.get_data(as_text=True)  # no account lookup: nothing of the person shown
        sent = signed_in.post(draft_url, data={"family_name": "Vogel"})
        unavailable(sent, "Das Portal ist kurz nicht erreichbar")
        unavailable(
            anonymous_zh.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}), 'lang="zh"', "门户暂时无法访问"
        )
        unavailable(anonymous_zh.post("/account/login", data={"email": "a@example.org", "password": "x"}))
        health = anonymous_zh.get("/healthz")
        assert health.status_code == 503
        assert health.get_json() == {"status": "error", "database": "unreachable"}
        assert int(health.headers["Retry-After"]) > 0
        json_answer = signed_in.get("/dashboard", headers={"Accept": "application/json"})
        assert json_answer.status_code == 503
        assert "Retry-After" in json_answer.headers

    # The very first requests after the database's return succeed: no restart, no waiting.
    assert anonymous_zh.get("/healthz").status_code == 200
    assert signed_in.get("/dashboard").status_code == 200
    assert signed_in.get(draft_url).status_code == 200
    with portal.app_context():
        assert db.session.scalar(select(func.count(User.id))) == people_before


def test_a_database_restart_while_the_portal_is_idle_costs_no_request(portal, outage):
    with portal.app_context():
        person = UserFactory(roles=[Role.APPLICANT])
        db.session.commit()
    client = sign_in(portal.test_client(), person)
    assert client.get("/dashboard").status_code == 200  # a connection waits in the pool
    with database_down(outage):
        pass  # every pooled connection is cut while no request comes
    # The pool notices a dead connection before it hands it out (pool_pre_ping), instead of failing the request.
    assert client.get("/dashboard").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_a_request_whose_commit_is_cut_off_saves_nothing_and_answers_503(portal, outage):
    with portal.app_context():
        person = UserFactory(roles=[Role.APPLICANT], language="en")
        draft = ApplicationFactory(applicant=person, intake_round=IntakeRoundFactory(), family_name="Before")
        db.session.commit()
        url, version = f"/application/{draft.id}/personal", draft.version
    client = sign_in(portal.test_client(), person)
    armed = [True]

    def cut_before_the_commit(_connection) -> None:
        if armed.pop() if armed else False:
            outage.begin(at_commit=True)

    event.listen(db.get_engine(portal), "commit", cut_before_the_commit)
    try:
        answer = client.post(url, data={"family_name": "After", "version": version, "save": "1"})
    finally:
        outage.end()
        event.remove(db.get_engine(portal), "commit", cut_before_the_commit)
    assert armed == []  # the cut really came at the commit
    unavailable(answer, "The portal is briefly unavailable")
    with portal.app_context():
        saved = db.session.get(Application, draft.id)
        assert (saved.family_name, saved.version) == ("Before", version)
    assert client.get(url).status_code == 200
