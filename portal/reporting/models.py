"""Background exports: a job that runs in the worker (portal/reporting/jobs.py), its progress and its result file."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import db
from portal.accounts.models import User
from portal.core.enums import enum_column
from portal.core.i18n import translated
from portal.core.timeutil import utcnow


class JobState(enum.StrEnum):
    """Where a job stands: waiting in the queue, being worked on, finished with a file, or given up with an error."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return translated(JOB_STATE_LABELS[self])

    @property
    def finished(self) -> bool:
        return self in {JobState.DONE, JobState.FAILED}


JOB_STATE_LABELS = {
    JobState.QUEUED: _l("Waiting"),
    JobState.RUNNING: _l("In progress"),
    JobState.DONE: _l("Ready"),
    JobState.FAILED: _l("Failed"),
}


class ExportJob(db.Base):
    """A long export run in the background for one user, who alone may see it and download its result.

    `kind` names a job kind registered in portal.reporting.job_kinds (a plain string, so that a new kind needs no
    migration); `parameters` is what the kind needs to run again from scratch (a retry starts over). `attempts` counts
    the runs: a worker writes only while the row still carries the attempt it claimed, so a run that was given up as
    stale and retried can never overwrite the newer one. `heartbeat_at` moves with every progress report.
    """

    __tablename__ = "export_jobs"
    __table_args__ = (
        CheckConstraint("progress_done >= 0 AND progress_total >= 0", name="progress_not_negative"),
        CheckConstraint("state <> 'done' OR result_key IS NOT NULL", name="result_when_done"),
        Index("ix_export_jobs_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(enum_column(JobState, "state"), default=JobState.QUEUED)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    result_key: Mapped[str | None] = mapped_column(String(100))
    file_name: Mapped[str | None] = mapped_column(String(255))
    mimetype: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ExportJob {self.id} {self.kind} {self.state}>"

    @property
    def percent(self) -> int | None:
        """How far the job is, 0 to 100 (None while the amount of work is not known yet)."""
        if self.state == JobState.DONE:
            return 100
        if not self.progress_total:
            return None
        return min(100, self.progress_done * 100 // self.progress_total)
