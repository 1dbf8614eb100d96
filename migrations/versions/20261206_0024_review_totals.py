"""the applications' review totals (number of submitted reviews, sum of their score totals, gap between the highest and
the lowest), kept on write, so that the ranking orders a round by mean or spread without summing every review

Revision ID: 0024_review_totals
Revises: 0023_referee_emails
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0024_review_totals"
down_revision: str | None = "0023_referee_emails"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCORES = ("score_academic", "score_proposal", "score_fit", "score_language", "score_references")
assignments = sa.table("review_assignments", sa.column("id", sa.Integer), sa.column("application_id", sa.Integer))
reviews = sa.table(
    "reviews",
    sa.column("assignment_id", sa.Integer),
    sa.column("submitted_at", sa.DateTime),
    *(sa.column(name, sa.Integer) for name in SCORES),
)
totals = sa.table(
    "review_totals",
    sa.column("application_id", sa.Integer),
    sa.column("submitted", sa.Integer),
    sa.column("total", sa.Integer),
    sa.column("gap", sa.Integer),
)


def _fill() -> None:
    """The totals of every application with submitted reviews, as portal/review/totals.py computes them on write."""
    total = sum((reviews.c[name] for name in SCORES[1:]), reviews.c[SCORES[0]])
    sums = (
        sa.select(
            assignments.c.application_id, sa.func.count(), sa.func.sum(total), sa.func.max(total) - sa.func.min(total)
        )
        .join(reviews, reviews.c.assignment_id == assignments.c.id)
        .where(reviews.c.submitted_at.is_not(None))
        .group_by(assignments.c.application_id)
    )
    op.execute(totals.insert().from_select(["application_id", "submitted", "total", "gap"], sums))


def upgrade() -> None:
    op.create_table(
        "review_totals",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("submitted", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("gap", sa.Integer(), nullable=False),
        sa.CheckConstraint("submitted > 0 AND gap >= 0", name=op.f("ck_review_totals_counted")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_review_totals_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_review_totals")),
    )
    if not context.is_offline_mode():
        _fill()


def downgrade() -> None:
    op.drop_table("review_totals")
