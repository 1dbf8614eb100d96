"""The joint research plan, its versions (each with the sha256 of its content), comments and approvals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import db
from portal.accounts.models import User
from portal.applications.models import Application
from portal.core.timeutil import utcnow

MAX_MONTHS = 48  # the longest stay on one side a doctorate in the programme plans for


class JointPlan(db.Base):
    """One application's joint research plan; its content lives in its versions, the last one is current."""

    __tablename__ = "joint_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    # Optimistic locking: every change (a new version, an approval) updates the row and bumps it, so that an edit
    # or an approval from an older page is refused.
    version: Mapped[int] = mapped_column(default=1)

    application: Mapped[Application] = relationship()
    versions: Mapped[list[PlanVersion]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanVersion.number"
    )
    approvals: Mapped[list[PlanApproval]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanApproval.approved_at"
    )
    comments: Mapped[list[PlanComment]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanComment.created_at"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def current(self) -> PlanVersion:
        return self.versions[-1]

    @property
    def active_approvals(self) -> list[PlanApproval]:
        """The approvals of the current version that were not withdrawn."""
        return [a for a in self.approvals if a.withdrawn_at is None and a.sha256 == self.current.sha256]


class PlanVersion(db.Base):
    """The plan as saved once: never changed afterwards, identified by the sha256 of its content."""

    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("plan_id", "number"),
        CheckConstraint(f"months_germany BETWEEN 0 AND {MAX_MONTHS}", name="months_germany_range"),
        CheckConstraint(f"months_china BETWEEN 0 AND {MAX_MONTHS}", name="months_china_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("joint_plans.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    work_packages: Mapped[str] = mapped_column(Text)
    months_germany: Mapped[int]
    months_china: Mapped[int]
    milestones: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)

    plan: Mapped[JointPlan] = relationship(back_populates="versions")

    @property
    def months_total(self) -> int:
        return self.months_germany + self.months_china


class PlanApproval(db.Base):
    """A chosen supervisor's approval of the exact version whose sha256 it records; withdrawn by a later edit."""

    __tablename__ = "plan_approvals"
    __table_args__ = (
        UniqueConstraint("version_id", "supervisor_id"),
        CheckConstraint("side IN ('DE', 'CN')", name="side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("joint_plans.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id", ondelete="CASCADE"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(2))
    sha256: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(db.UTCDateTime)

    plan: Mapped[JointPlan] = relationship(back_populates="approvals")
    version: Mapped[PlanVersion] = relationship()
    supervisor: Mapped[User] = relationship()


class PlanComment(db.Base):
    """A supervisor's (or the applicant's) comment on the plan, noting which version it was about."""

    __tablename__ = "plan_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("joint_plans.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(db.UTCDateTime, default=utcnow)

    plan: Mapped[JointPlan] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship()
