"""Background exports, the web side: start a job, see one's jobs, retry a failed or lost one, open the result; and
the worker's tasks that run them (on the queue of portal/core/jobs.py).

A page that starts a job adds an ExportJob row (services only flush) and the job is queued once the request has
committed, so that the worker always finds the row. The worker claims the row, runs the job kind's function, stores
the file under PORTAL_DATA_DIR and marks the row done, or failed with the error (job_runs.py). A job interrupted by
a shutdown is queued again; a job whose worker died without a word (its heartbeat stops) can be retried by its owner,
and a late report from the lost run is refused (`attempts`). The kinds are in job_kinds.py and background.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import IO, Any

from flask_babel import gettext as _
from huey import crontab
from huey.signals import SIGNAL_INTERRUPTED
from sqlalchemy import select

from portal import db
from portal.accounts.models import User
from portal.core import audit, storage
from portal.core.jobs import app_context, enqueue_after_commit, huey
from portal.core.rules import RuleViolation
from portal.core.timeutil import utcnow
from portal.reporting.job_kinds import KINDS
from portal.reporting.job_runs import (
    RESULT_LIFETIME,
    purge_finished_jobs,
    purge_temporary_files,
    requeue_interrupted,
    run_job,
)
from portal.reporting.models import ExportJob, JobState
from portal.reporting.permissions import may_access

log = logging.getLogger(__name__)

# A job whose worker has not reported for this long is taken for lost: its owner may start it again.
STALE_AFTER = dt.timedelta(minutes=10)

JOB_CREATED = "coordination.export_job_created"
JOB_RETRIED = "coordination.export_job_retried"
JOB_DOWNLOADED = "coordination.export_job_downloaded"


class JobError(RuleViolation):
    """A job cannot be started or retried; the message is for the user."""

    category = "warning"


# --- The worker's tasks --------------------------------------------------------------------------------------------


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


# --- Starting, seeing and retrying jobs ----------------------------------------------------------------------------


def create_job(owner: User, kind: str, parameters: dict[str, Any], *, total: int = 0) -> ExportJob:
    """Add a queued job; it is sent to the worker once the current transaction has committed.

    A job that could not be queued stays waiting; once it counts as stale, its owner can start it again.
    """
    if kind not in KINDS:
        raise LookupError(f"unknown kind of job: {kind!r}")
    job = ExportJob(user_id=owner.id, kind=kind, parameters=parameters, progress_total=total, state=JobState.QUEUED)
    db.session.add(job)
    db.session.flush()
    audit.record(JOB_CREATED, job, details={"kind": kind, "total": total})
    enqueue_after_commit(run_export_job, job.id)
    return job


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
    enqueue_after_commit(run_export_job, job.id)


def result_expires_at(job: ExportJob) -> dt.datetime | None:
    return job.finished_at + RESULT_LIFETIME if job.finished_at else None


def open_result(job: ExportJob) -> IO[bytes]:
    """The finished job's file, opened for sending; the download is audited. FileNotFoundError if it is gone."""
    if job.state != JobState.DONE or not job.result_key:
        raise FileNotFoundError(f"job {job.id} has no result")
    handle = storage.open_file(job.result_key)
    audit.record(JOB_DOWNLOADED, job, details={"kind": job.kind, "file_name": job.file_name})
    return handle
