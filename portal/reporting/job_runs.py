"""Running a background export in the worker: claim the job, run its kind, store the file, mark it done or failed.

A worker commits its own transactions: progress as it goes, the outcome at the end. It writes to the job's row only
while the row still carries the attempt it claimed, so a run that was given up as stale and retried can never
overwrite the newer one (JobSuperseded).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from flask_babel import force_locale
from sqlalchemy import select, update

from portal import db
from portal.accounts.models import User
from portal.core import storage
from portal.core.timeutil import utcnow
from portal.reporting.job_kinds import KINDS, JobOutput
from portal.reporting.models import ExportJob, JobState
from portal.reporting.permissions import may_access

log = logging.getLogger(__name__)

# Progress is written (and committed) at most this often, and whenever a caller insists.
PROGRESS_INTERVAL_SECONDS = 1.0
# Finished jobs and their files are removed after this time (they hold personal data).
RESULT_LIFETIME = dt.timedelta(days=7)
ERROR_MAX_CHARS = 2000


class JobSuperseded(Exception):
    """The job was started again (or removed) while this run was working on it: this run stops without a word."""


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
        with tempfile.NamedTemporaryFile(
            dir=_temporary_folder(), prefix="job-", suffix=".part", delete=False
        ) as target:
            temporary = Path(target.name)
            output = _run_kind(job, context, target)
        _finish(job, context, output, temporary)
        return JobState.DONE
    except JobSuperseded:
        db.session.rollback()
        log.warning("Export job %s was started again meanwhile; this run (attempt %s) stops", job_id, attempt)
        return None
    except Exception as error:
        log.exception("Export job %s (attempt %s) failed", job_id, attempt)
        return _fail(context, error)
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _temporary_folder() -> Path:
    folder = storage.data_dir() / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _run_kind(job: ExportJob, context: JobContext, target: IO[bytes]) -> JobOutput:
    """Write the job's file to target, in its owner's language; the kind's output."""
    kind = KINDS.get(job.kind)
    if kind is None:
        raise LookupError(f"unknown kind of job: {job.kind!r}")
    if not may_access(job.user, job):
        raise PermissionError("the owner may no longer run this export")
    with force_locale(job.user.language or "en"):
        output = kind.run(context, target)
    target.flush()
    os.fsync(target.fileno())
    return output


def _finish(job: ExportJob, context: JobContext, output: JobOutput, temporary: Path) -> None:
    """Record what the kind left to record, store the file and mark the job done, in one transaction."""
    _begin_writing()
    with force_locale(job.user.language or "en"):
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
    log.info("Export job %s (%s) is done: %s, %d bytes", job.id, job.kind, output.filename, size)


def _fail(context: JobContext, error: Exception) -> JobState | None:
    """Mark the job failed with the error (None when another run has taken it meanwhile)."""
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
