"""Long work in the background: the Huey queue, the generic export job, and its kinds (a ZIP of dossiers, the
applications list as an Excel workbook).

A page that starts a job adds an ExportJob row (services only flush) and the job is queued once the request has
committed, so that the worker always finds the row. The worker (`huey_consumer portal.coordination.jobs.huey`)
claims the row, runs the job kind's function, which writes the result to a temporary file and reports progress,
stores the file with portal.core.storage under PORTAL_DATA_DIR and marks the row done, or failed with the error. A
worker commits its own transactions: progress as it goes, the outcome at the end.

The queue is persisted (SQLite under PORTAL_DATA_DIR, or Redis when HUEY_REDIS_URL is set), so queued jobs survive
a restart of the worker; a job interrupted by a shutdown is queued again; a job whose worker died without a word
(its heartbeat stops) can be retried by its owner, and a late report from the lost run is refused (`attempts`).

Adding a kind of export: write `run(context, target) -> JobOutput` (read, write the file to target, call
`context.progress(done, total)` between units of work, and leave database writes such as audit events to the
output's `on_done`) and `register_kind(name, label, run, roles=...)` it here, so that the worker knows it; start it
with `create_job(owner, name, parameters, total=...)`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from flask import g, has_app_context, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from huey import Huey, crontab
from huey.signals import SIGNAL_INTERRUPTED
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application, IntakeRound
from portal.config import load_config
from portal.coordination import dossiers, exports, listing
from portal.coordination.listing import ListFilter
from portal.coordination.models import ExportJob, JobState
from portal.core import audit, storage
from portal.core.exports import XLSX_MIMETYPE, safe_filename, write_xlsx
from portal.core.roles import Role
from portal.core.rules import RuleViolation
from portal.core.timeutil import utcnow

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

QUEUE_NAME = "portal"
SQLITE_QUEUE_FILE = "huey.sqlite3"
# A job whose worker has not reported for this long is taken for lost: its owner may start it again.
STALE_AFTER = dt.timedelta(minutes=10)
# Progress is written (and committed) at most this often, and whenever a caller insists.
PROGRESS_INTERVAL_SECONDS = 1.0
# Finished jobs and their files are removed after this time (they hold personal data).
RESULT_LIFETIME = dt.timedelta(days=7)
ERROR_MAX_CHARS = 2000

JOB_CREATED = "coordination.export_job_created"
JOB_RETRIED = "coordination.export_job_retried"
JOB_DOWNLOADED = "coordination.export_job_downloaded"
DOSSIER_ZIP = "dossier_zip"
APPLICATIONS_XLSX = "applications_xlsx"


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
    worker_app()  # a worker with a broken configuration fails when it starts, not at its first job
    # huey_consumer gives the "huey" logger a handler of its own; the factory's logging set-up would print it twice.
    logging.getLogger("huey").propagate = False


# --- Kinds of jobs -------------------------------------------------------------------------------------------------


class JobError(RuleViolation):
    """A job cannot be started or retried; the message is for the user."""


class JobSuperseded(Exception):
    """The job was started again (or removed) while this run was working on it: this run stops without a word."""


@dataclass(frozen=True)
class JobOutput:
    """What a job kind produced: the file it wrote to its target is offered under filename.

    A kind writes nothing to the database while it runs (it only reads); what it has to record (audit events) it does
    in on_done, which runs in the transaction that marks the job done.
    """

    filename: str
    mimetype: str
    on_done: Callable[[], None] | None = None


@dataclass
class JobContext:
    """What a running job knows: its owner, its parameters, and where to report progress."""

    job_id: int
    attempt: int
    owner: User
    parameters: dict[str, Any]
    done: int = 0
    total: int = 0
    _reported_at: float = field(default=0.0, repr=False)

    def progress(self, done: int, total: int | None = None, *, force: bool = False) -> None:
        """Record progress; written and committed when forced, or at most every PROGRESS_INTERVAL_SECONDS.

        This commits the job's session: call it between units of work, never while a streamed query is being read.
        Raises JobSuperseded when the job was started again meanwhile.
        """
        self.done = done
        if total is not None:
            self.total = total
        moment = time.monotonic()
        if not force and moment - self._reported_at < PROGRESS_INTERVAL_SECONDS:
            return
        self._reported_at = moment
        _begin_writing()
        _guarded_update(self, progress_done=self.done, progress_total=self.total, heartbeat_at=utcnow())
        db.session.commit()


JobRun = Callable[[JobContext, IO[bytes]], JobOutput]


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Any  # a lazy text
    run: JobRun
    roles: frozenset[str]  # the roles needed to start the job and, later, to download its result


KINDS: dict[str, JobKind] = {}


def register_kind(name: str, label: Any, run: JobRun, *, roles: Iterable[Role | str] = (Role.COORDINATOR,)) -> JobKind:
    """Make a kind of job known (to the web server and the worker alike)."""
    kind = JobKind(name, label, run, frozenset(str(role) for role in roles))
    KINDS[name] = kind
    return kind


def kind_label(job: ExportJob) -> str:
    kind = KINDS.get(job.kind)
    return str(kind.label) if kind else job.kind


# --- Starting, seeing and retrying jobs (the web side) ---------------------------------------------------------------


def create_job(owner: User, kind: str, parameters: dict[str, Any], *, total: int = 0) -> ExportJob:
    """Add a queued job; it is sent to the worker once the current transaction has committed."""
    if kind not in KINDS:
        raise LookupError(f"unknown kind of job: {kind!r}")
    job = ExportJob(user_id=owner.id, kind=kind, parameters=parameters, progress_total=total, state=JobState.QUEUED)
    db.session.add(job)
    db.session.flush()
    audit.record(JOB_CREATED, job, details={"kind": kind, "total": total})
    enqueue_after_commit(job.id)
    return job


def may_access(user: User, job: ExportJob) -> bool:
    """Only the job's owner, and only while they still hold a role the job's kind needs."""
    kind = KINDS.get(job.kind)
    roles = kind.roles if kind else frozenset({str(Role.COORDINATOR)})
    return job.user_id == user.id and any(user.has_role(role) for role in roles)


def job_for(user: User, job_id: int) -> ExportJob | None:
    """The job if the user may see it (None otherwise: others must not learn that it exists)."""
    job = db.session.get(ExportJob, job_id)
    return job if job is not None and may_access(user, job) else None


def jobs_of(user: User, limit: int = 50) -> list[ExportJob]:
    """The user's jobs, newest first."""
    query = (
        select(ExportJob)
        .where(ExportJob.user_id == user.id)
        .order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
        .limit(limit)
    )
    return [job for job in db.session.scalars(query) if may_access(user, job)]


def is_stale(job: ExportJob, now: dt.datetime) -> bool:
    """Whether a waiting or running job has not been heard of for STALE_AFTER (its worker is probably gone)."""
    if job.state not in {JobState.QUEUED, JobState.RUNNING}:
        return False
    return (job.heartbeat_at or job.created_at) < now - STALE_AFTER


def can_retry(job: ExportJob, now: dt.datetime) -> bool:
    return job.state == JobState.FAILED or is_stale(job, now)


def retry(job: ExportJob, now: dt.datetime) -> None:
    """Queue a failed or lost job again; it starts over (a lost run that reports later is ignored)."""
    if not can_retry(job, now):
        raise JobError(_("This export is still in progress; it can only be started again if it stops."))
    job.state = JobState.QUEUED
    job.progress_done, job.error, job.finished_at, job.heartbeat_at = 0, None, None, now
    db.session.flush()
    audit.record(JOB_RETRIED, job, details={"kind": job.kind, "attempts": job.attempts})
    enqueue_after_commit(job.id)


def result_expires_at(job: ExportJob) -> dt.datetime | None:
    return job.finished_at + RESULT_LIFETIME if job.finished_at else None


def open_result(job: ExportJob) -> IO[bytes]:
    """The finished job's file, opened for sending; the download is audited. FileNotFoundError if it is gone."""
    if job.state != JobState.DONE or not job.result_key:
        raise FileNotFoundError(f"job {job.id} has no result")
    handle = storage.open_file(job.result_key)
    audit.record(JOB_DOWNLOADED, job, details={"kind": job.kind, "file_name": job.file_name})
    return handle


# --- Queueing after the commit -------------------------------------------------------------------------------------

_PENDING = "portal_jobs_pending"
_DEFERRED = "portal_jobs_deferred"


def enqueue_after_commit(job_id: int) -> None:
    """Send the job to the worker once the current transaction commits (never if it rolls back)."""
    session = db.session()
    if not session.in_transaction():
        session.begin()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, job_id))


def _enqueue(job_id: int) -> None:
    try:
        run_export_job(job_id)
    except Exception:
        # The row stays queued; once it counts as stale, its owner can start it again from its page.
        log.exception("Could not queue export job %s", job_id)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: its jobs now belong to the enclosing transaction
    for _transaction, job_id in session.info.pop(_PENDING, []):
        if huey.immediate:
            # Immediate mode (tests) runs the job right here, which is not possible inside a commit: after the request.
            if has_request_context():
                g.setdefault(_DEFERRED, []).append(job_id)
            else:
                log.warning("Immediate mode outside a request: call run_export_job(%s) yourself", job_id)
        else:
            _enqueue(job_id)


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


def run_deferred_jobs() -> None:
    """Immediate mode: run the jobs the request committed (called when the request is torn down)."""
    for job_id in g.pop(_DEFERRED, []) if has_app_context() else []:
        run_export_job(job_id)


# --- Running a job (the worker side) ---------------------------------------------------------------------------------


def _begin_writing() -> None:
    """End the reading transaction and begin a writing one.

    On SQLite (development) a transaction that has read cannot wait for another writer to finish: it fails at once
    with "database is locked". A fresh transaction that takes the write lock first (BEGIN IMMEDIATE) waits instead.
    """
    db.session.commit()
    db.session.connection(execution_options={db.IMMEDIATE: True})


def _guarded_update(context: JobContext, **values: Any) -> None:
    """Write to the job's row only while it is still this run's (running, with the attempt this run claimed)."""
    statement = (
        update(ExportJob)
        .where(
            ExportJob.id == context.job_id,
            ExportJob.attempts == context.attempt,
            ExportJob.state == JobState.RUNNING,
        )
        .values(**values)
    )
    result = db.session.execute(statement, execution_options={"synchronize_session": False})
    if result.rowcount != 1:
        raise JobSuperseded(context.job_id)


def _claim(job_id: int) -> int | None:
    """Take a queued job for this run (only one run can); the attempt's number, or None if it is not to be run."""
    _begin_writing()
    now = utcnow()
    statement = (
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.state == JobState.QUEUED)
        .values(
            state=JobState.RUNNING,
            attempts=ExportJob.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            progress_done=0,
            error=None,
            finished_at=None,
        )
    )
    if db.session.execute(statement, execution_options={"synchronize_session": False}).rowcount != 1:
        db.session.rollback()
        return None
    attempt = db.session.scalar(select(ExportJob.attempts).where(ExportJob.id == job_id))
    db.session.commit()
    return attempt


def _error_text(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip()
    return text[:ERROR_MAX_CHARS]


def _store(path: Path, filename: str) -> tuple[str, int]:
    """Move the finished file into the storage under a fresh key; (key, size in bytes)."""
    suffix = Path(filename).suffix.lstrip(".").lower() or "bin"
    reserved = storage.save_bytes(b"", suffix=suffix)  # a fresh random key on the same file system
    target = storage.path_of(reserved.key)
    os.replace(path, target)
    return reserved.key, target.stat().st_size


def run_job(job_id: int) -> JobState | None:
    """Run a queued job to its end: DONE with its file, or FAILED with the error; None when it was not this run's."""
    attempt = _claim(job_id)
    if attempt is None:
        log.info("Export job %s is not waiting to be run (already taken, finished or removed)", job_id)
        return None
    job = db.session.get(ExportJob, job_id, populate_existing=True)
    assert job is not None
    context = JobContext(job.id, attempt, job.user, dict(job.parameters or {}), total=job.progress_total)
    temporary: Path | None = None
    try:
        kind = KINDS.get(job.kind)
        if kind is None:
            raise LookupError(f"unknown kind of job: {job.kind!r}")
        if not may_access(job.user, job):
            raise PermissionError("the owner may no longer run this export")
        folder = storage.data_dir() / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        with force_locale(job.user.language or "en"):
            with tempfile.NamedTemporaryFile(dir=folder, prefix="job-", suffix=".part", delete=False) as target:
                temporary = Path(target.name)
                output = kind.run(context, target)
                target.flush()
                os.fsync(target.fileno())
            _begin_writing()
            if output.on_done is not None:
                output.on_done()
            key, size = _store(temporary, output.filename)
            storage.forget_if_rolled_back(key)
        now = utcnow()
        done = max(context.done, context.total)
        _guarded_update(
            context,
            state=JobState.DONE,
            progress_done=done,
            progress_total=done,
            result_key=key,
            file_name=output.filename,
            mimetype=output.mimetype,
            size_bytes=size,
            finished_at=now,
            heartbeat_at=now,
        )
        db.session.commit()
        log.info("Export job %s (%s) is done: %s, %d bytes", job_id, job.kind, output.filename, size)
        return JobState.DONE
    except JobSuperseded:
        db.session.rollback()
        log.warning("Export job %s was started again meanwhile; this run (attempt %s) stops", job_id, attempt)
        return None
    except Exception as error:
        log.exception("Export job %s (attempt %s) failed", job_id, attempt)
        db.session.rollback()
        try:
            _begin_writing()
            now = utcnow()
            _guarded_update(context, state=JobState.FAILED, error=_error_text(error), finished_at=now, heartbeat_at=now)
            db.session.commit()
        except JobSuperseded:
            db.session.rollback()
            return None
        return JobState.FAILED
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def requeue_interrupted(job_id: int) -> bool:
    """A job whose run was interrupted by a shutdown of the worker waits again (the next run starts over)."""
    _begin_writing()
    statement = (
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.state == JobState.RUNNING)
        .values(state=JobState.QUEUED, heartbeat_at=utcnow())
    )
    requeued = db.session.execute(statement, execution_options={"synchronize_session": False}).rowcount == 1
    db.session.commit()
    return requeued


def purge_temporary_files(now: dt.datetime) -> int:
    """Remove what runs killed with their worker left in the temporary folder (older than a day)."""
    folder = storage.data_dir() / "tmp"
    removed = 0
    for path in folder.glob("job-*.part") if folder.is_dir() else []:
        try:
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            if modified < now - dt.timedelta(days=1):
                path.unlink()
                removed += 1
        except OSError:
            log.warning("Could not remove the temporary file %s", path, exc_info=True)
    return removed


def purge_finished_jobs(now: dt.datetime) -> int:
    """Remove the jobs finished more than RESULT_LIFETIME ago, with their files (once the deletion commits)."""
    query = select(ExportJob).where(ExportJob.finished_at < now - RESULT_LIFETIME)
    old = list(db.session.scalars(query))
    for job in old:
        if job.result_key:
            storage.delete_after_commit(job.result_key)
        db.session.delete(job)
    db.session.flush()
    return len(old)


@huey.task()
def run_export_job(job_id: int) -> None:
    """The worker's task: run the export job (in the worker's application)."""
    with app_context():
        run_job(job_id)


@huey.signal(SIGNAL_INTERRUPTED)
def _requeue_on_shutdown(signal: str, task: Any, *args: Any, **kwargs: Any) -> None:
    if not isinstance(task, run_export_job.task_class) or not task.args:
        return
    job_id = task.args[0]
    try:
        with app_context():
            requeued = requeue_interrupted(job_id)
        if requeued:
            huey.enqueue(run_export_job.s(job_id))
    except Exception:
        log.exception("Could not queue the interrupted export job %s again", job_id)


@huey.periodic_task(crontab(minute="23", hour="3"))
def purge_old_results() -> None:
    """Every night: remove old finished jobs and their files."""
    with app_context():
        now = utcnow()
        removed = purge_finished_jobs(now)
        db.session.commit()
        leftovers = purge_temporary_files(now)
    log.info("Removed %d finished export jobs and %d temporary files", removed, leftovers)


# --- The kinds: a ZIP of dossiers ------------------------------------------------------------------------------------


def start_dossier_zip(owner: User, intake: IntakeRound, filters: ListFilter) -> ExportJob:
    """Queue the ZIP of the dossiers of the applications the list shows with these filters (as they are now)."""
    ids = [row.id for row in listing.iter_applications(filters)]
    if not ids:
        raise JobError(_("No application matches these filters."))
    parameters = {"round_id": intake.id, "filters": filters.query_args(), "application_ids": ids}
    return create_job(owner, DOSSIER_ZIP, parameters, total=len(ids))


def _dossier_zip(context: JobContext, target: IO[bytes]) -> JobOutput:
    ids = [int(value) for value in context.parameters.get("application_ids", [])]
    intake = db.session.get(IntakeRound, context.parameters.get("round_id"))
    context.progress(0, len(ids), force=True)
    position = 0

    def applications() -> Iterator[Application]:
        nonlocal position
        for application_id in ids:
            application = db.session.get(Application, application_id)
            if application is None:  # deleted since the job was queued
                position += 1
                continue
            yield application

    def after_each(_application: Application) -> None:
        nonlocal position
        position += 1
        context.progress(position)

    result = dossiers.write_dossier_zip(context.owner, applications(), target, after_each=after_each)
    context.done = len(ids)

    def record() -> None:
        for dossier in result.dossiers:
            audit.record(
                dossiers.DOSSIER_EXPORTED,
                db.session.get(Application, dossier.application_id),
                actor_id=context.owner.id,
                details={"job_id": context.job_id, **dossier.audit_details()},
            )

    name = intake.name if intake else ""
    filename = safe_filename("dossiers", name, utcnow().strftime("%Y%m%d"), extension="zip")
    return JobOutput(filename, dossiers.ZIP_MIMETYPE, on_done=record)


# --- The kinds: the applications list as an Excel workbook -----------------------------------------------------------


def start_applications_xlsx(owner: User, intake: IntakeRound, filters: ListFilter) -> ExportJob:
    """Queue the Excel workbook of the applications list with these filters (for lists too long to wait for)."""
    total = listing.count_applications(filters)
    return create_job(owner, APPLICATIONS_XLSX, {"round_id": intake.id, "filters": filters.query_args()}, total=total)


def _applications_xlsx(context: JobContext, target: IO[bytes]) -> JobOutput:
    intake = db.session.get(IntakeRound, context.parameters.get("round_id"))
    if intake is None:
        raise LookupError("the intake round no longer exists")
    filters = ListFilter.from_args(context.parameters.get("filters") or {}, intake.id)
    context.progress(0, listing.count_applications(filters), force=True)
    columns = exports.APPLICATION_COLUMNS
    # The rows are streamed from the database while the workbook is written: no progress commit in between.
    rows = ([column.value(row) for column in columns] for row in listing.iter_applications(filters))
    written = write_xlsx(
        target,
        [str(column.title) for column in columns],
        rows,
        title=_("Applications"),
        column_widths=[column.width for column in columns],
    )
    context.done = written

    def record() -> None:
        details = {"format": "xlsx", "filters": filters.audit_details(), "rows": written, "job_id": context.job_id}
        audit.record(exports.APPLICATIONS_EXPORTED, intake, actor_id=context.owner.id, details=details)

    filename = safe_filename("applications", intake.name, utcnow().strftime("%Y%m%d"), extension="xlsx")
    return JobOutput(filename, XLSX_MIMETYPE, on_done=record)


register_kind(DOSSIER_ZIP, _l("Dossiers (ZIP)"), _dossier_zip)
register_kind(APPLICATIONS_XLSX, _l("Applications list (Excel)"), _applications_xlsx)
