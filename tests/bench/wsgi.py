"""The portal as gunicorn serves it in `make bench`, with the two reference routes and a count of SQL statements.

Only here, never in the portal: /_bench/ceiling answers "ok" (what a bare route costs), /_bench/render-limit renders the
coordinators' list template from 50 rows read once at start-up (what rendering alone costs), and every response
carries X-Bench-Queries, the number of SQL statements the request ran before its headers were sent (transaction
control such as BEGIN left out, so that SQLite and PostgreSQL count alike).

A request whose client has already hung up is not run: when wrk stops, the requests still queued for the two workers
would otherwise be worked off for nobody, delaying the next measurement (see client_gone).

    gunicorn tests.bench.wsgi:app   (with BENCH_DATABASE_URL, BENCH_DATA_DIR, BENCH_SECRET_KEY, BENCH_LIST_ROUND,
                                     BENCH_COORDINATOR set by tests/bench/run.py)
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, g, render_template, request
from sqlalchemy import event, select
from sqlalchemy.orm import selectinload

from portal import create_app
from tests.bench.portal_refs import LIST_TEMPLATE, list_context, list_state, ref
from tests.bench.settings import CEILING_PATH, QUERY_HEADER, RENDER_LIMIT_PATH

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class QueryCounter:
    """Counts the SQL statements of the request in progress (one per worker thread) and reports them in a header."""

    def __init__(self) -> None:
        self.local = threading.local()

    def listen(self, engine: Any) -> None:
        """Count the statements this engine runs."""
        event.listen(engine, "before_cursor_execute", self.count)

    def count(self, _connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """One statement more for the request in progress (transaction control left out)."""
        if getattr(self.local, "active", False) and not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.local.queries += 1

    def middleware(self, wsgi_app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        """Wrap the WSGI application: start counting with the request, add the header when the response starts."""

        def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if client_gone(environ):
                start_response("499 Client Closed Request", [("Content-Length", "0")])
                return [b""]
            self.local.active, self.local.queries = True, 0

            def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                headers.append((QUERY_HEADER, str(self.local.queries)))
                self.local.active = False
                return start_response(status, headers, exc_info)

            return wsgi_app(environ, start)

        return counted


def client_gone(environ: dict[str, Any]) -> bool:
    """Whether the client closed its connection before the request was run (gunicorn's sync workers only)."""
    connection = environ.get("gunicorn.socket")
    if connection is None:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True


def ceiling() -> str:
    """The bare route: what a request costs without any work."""
    return "ok"


def render_limit_view(app: Flask, round_id: int, coordinator_email: str) -> Callable[[], str]:
    """The list template rendered from the first page of the round, read now, as the coordinator sees it."""
    from portal.accounts.models import User

    with app.test_request_context(f"/coordination/applications/?round={round_id}"):
        session = ref("db_session")
        # Roles loaded now: the page asks for them after this session has ended (they load on access otherwise).
        query = select(User).where(User.email == coordinator_email).options(selectinload(User.roles))
        coordinator = session.scalars(query).one()
        g._login_user = coordinator  # Flask-Login's current user, without reading it from the database again
        state = list_state(round_id)

    def render_limit() -> str:
        g._login_user = coordinator
        return render_template(LIST_TEMPLATE, **list_context(state, request.args))

    return render_limit


def build() -> Flask:
    """The portal configured from the environment, with the reference routes and the statement count."""
    app = create_app(
        {
            "DATABASE_URL": os.environ["BENCH_DATABASE_URL"],
            "PORTAL_DATA_DIR": os.environ["BENCH_DATA_DIR"],
            "SECRET_KEY": os.environ["BENCH_SECRET_KEY"],
        }
    )
    counter = QueryCounter()
    counter.listen(ref("get_engine")(app))
    app.add_url_rule(CEILING_PATH, "bench_ceiling", ceiling)
    view = render_limit_view(app, int(os.environ["BENCH_LIST_ROUND"]), os.environ["BENCH_COORDINATOR"])
    app.add_url_rule(RENDER_LIMIT_PATH, "bench_render_limit", view)
    app.wsgi_app = counter.middleware(app.wsgi_app)  # type: ignore[method-assign]
    return app


app = build()
