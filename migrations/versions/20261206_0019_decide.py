"""decision guardrails: the reviews a round requires before deciding, a personal note to the applicant

Revision ID: 0019_decide
Revises: 0018_interviews
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019_decide'
down_revision: str | None = '0018_interviews'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_rounds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviews_required", sa.Integer(), server_default="2", nullable=False))
        batch_op.create_check_constraint("reviews_required_range", "reviews_required BETWEEN 0 AND 10")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("personal_note", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("personal_note")
    with op.batch_alter_table("intake_rounds", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_intake_rounds_reviews_required_range"), type_="check")
        batch_op.drop_column("reviews_required")
