"""forms kept for the page they came from when the session had ended or the form had expired

Revision ID: 0021_words
Revises: 0020_api
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021_words'
down_revision: str | None = '0020_api'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kept_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_posts")),
    )
    with op.batch_alter_table("kept_posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kept_posts_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kept_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kept_posts_created_at"))
    op.drop_table("kept_posts")
