"""supervisor statement version

Revision ID: 0006_statement_version
Revises: 0005_referee_language
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_statement_version'
down_revision: str | None = '0005_referee_language'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Statements get an optimistic lock like reviews: existing statements start at version 1.
    with op.batch_alter_table('supervisor_statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('supervisor_statements', schema=None) as batch_op:
        batch_op.drop_column('version')
