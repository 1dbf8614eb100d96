"""outbox emails name the application they are about

Revision ID: 0007_record_outbox_application
Revises: 0006_statement_version
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_record_outbox_application'
down_revision: str | None = '0006_statement_version'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The staff record of an application lists the emails written about it; emails written before stay unlinked.
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_emails_application_id'), ['application_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_emails_application_id_applications'),
            'applications',
            ['application_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade() -> None:
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_emails_application_id_applications'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_emails_application_id'))
        batch_op.drop_column('application_id')
