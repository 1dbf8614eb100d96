"""The background job queue, knowing no domain: the Huey instance and its storage, sending a task once the request's
transaction has committed, and the application a worker runs its tasks in.

A domain writes its tasks with `@huey.task()` (they open `app_context()`) and queues them with
`enqueue_after_commit(task, *args)`, so that a task never runs before the rows it reads are committed, and never when
the request rolls back. The worker (`huey_consumer portal.worker.huey`, see portal/worker.py) imports every domain's
tasks. The queue is persisted (SQLite under PORTAL_DATA_DIR, or Redis when HUEY_REDIS_URL is set), so queued tasks
survive a restart of the worker. In Huey's immediate mode (tests) a committed task runs when the request ends.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import g, has_app_context, has_request_context
from huey import Huey
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import db
from portal.config import load_config

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

QUEUE_NAME = "portal"
SQLITE_QUEUE_FILE = "huey.sqlite3"


# --- The queue -----------------------------------------------------------------------------------------------------


def make_storage(name: str):
    """The queue's storage, from the environment (so that web server and worker agree): Redis when HUEY_REDIS_URL is
    set, else a SQLite file under PORTAL_DATA_DIR (for one machine)."""
    config = load_config()
    redis_url = str(config.get("HUEY_REDIS_URL") or os.environ.get("HUEY_REDIS_URL") or "").strip()
    if redis_url:
        return RedisStorage(name, url=redis_url)
    path = Path(config["PORTAL_DATA_DIR"]) / SQLITE_QUEUE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteStorage(name, filename=str(path), fsync=True)


class DeferredStorage:
    """Creates the real storage on first use: importing this module opens no file and no connection."""

    def __init__(self, name: str, factory: Callable[[str], Any] = make_storage) -> None:
        self.name = name
        self._factory = factory
        self._storage: Any = None
        self._lock = threading.Lock()

    @property
    def storage(self) -> Any:
        if self._storage is None:
            with self._lock:
                if self._storage is None:
                    self._storage = self._factory(self.name)
        return self._storage

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.storage, attribute)


class PortalHuey(Huey):
    """Huey with its storage chosen when it is first used (immediate mode, for tests, keeps to memory)."""

    def get_storage(self, **kwargs: Any) -> DeferredStorage:
        return DeferredStorage(self.name)


huey = PortalHuey(QUEUE_NAME, results=False)


# --- The application inside the worker -----------------------------------------------------------------------------

_worker_app: Flask | None = None
_worker_app_lock = threading.Lock()


def worker_app() -> Flask:
    """The Flask application of the worker process, created on first use (once, whatever the number of threads)."""
    global _worker_app
    with _worker_app_lock:
        if _worker_app is None:
            from portal import create_app  # the worker's entry point stands on top of everything, as the factory does

            _worker_app = create_app()
    return _worker_app


@contextmanager
def app_context() -> Iterator[None]:
    """The current application context, or else (in the worker) one of the worker's application."""
    if has_app_context():
        yield
        return
    with worker_app().app_context():
        yield


@huey.on_startup()
def _create_app_on_startup() -> None:
    worker_app()  # a worker with a broken configuration fails when it starts, not at its first task
    # huey_consumer gives the "huey" logger a handler of its own; the factory's logging set-up would print it twice.
    logging.getLogger("huey").propagate = False


# --- Queueing after the commit -------------------------------------------------------------------------------------

_PENDING = "portal_tasks_pending"
_DEFERRED = "portal_tasks_deferred"

Task = Callable[..., Any]


def enqueue_after_commit(task: Task, *args: Any) -> None:
    """Send task(*args) to the worker once the current transaction commits (never if it rolls back)."""
    session = db.session()
    if not session.in_transaction():
        session.begin()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, task, args))


def _enqueue(task: Task, args: tuple[Any, ...]) -> None:
    try:
        task(*args)
    except Exception:
        # What the task would have done stays undone; the domain that queued it decides how to catch up.
        log.exception("Could not queue %s%r", getattr(task, "name", task), args)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: its tasks now belong to the enclosing transaction
    for _transaction, task, args in session.info.pop(_PENDING, []):
        if huey.immediate:
            # Immediate mode (tests) runs the task right here, which is not possible inside a commit: after the request.
            if has_request_context():
                g.setdefault(_DEFERRED, []).append((task, args))
            else:
                log.warning("Immediate mode outside a request: call %s%r yourself", getattr(task, "name", task), args)
        else:
            _enqueue(task, args)


def _inside(transaction: Any, outer: Any) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [item for item in pending if not _inside(item[0], previous_transaction)]


def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)  # ended without a commit taking the list: nothing is queued


event.listen(db.session, "after_commit", _after_commit)
event.listen(db.session, "after_soft_rollback", _after_soft_rollback)
event.listen(db.session, "after_transaction_end", _after_transaction_end)


def run_deferred_tasks(_error: BaseException | None = None) -> None:
    """Immediate mode: run the tasks the request committed (called when the request is torn down)."""
    for task, args in g.pop(_DEFERRED, []) if has_app_context() else []:
        task(*args)


def init_app(app: Flask) -> None:
    """Run, at the end of each request, the tasks it committed (only in immediate mode is there any)."""
    app.teardown_request(run_deferred_tasks)
