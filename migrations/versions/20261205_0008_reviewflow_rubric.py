"""review rubric per round, the same-university conflict (a round setting and a reason)

Revision ID: 0008_reviewflow_rubric
Revises: 0007_record_outbox_application
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_reviewflow_rubric'
down_revision: str | None = '0007_record_outbox_application'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _reasons(*values: str) -> sa.Enum:
    return sa.Enum(*values, name='reason', native_enum=False, create_constraint=True, length=25)


OLD_REASONS = _reasons('chosen_supervisor', 'referee', 'declared')
NEW_REASONS = _reasons('chosen_supervisor', 'referee', 'same_university', 'declared')


def upgrade() -> None:
    op.create_table('rubrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['intake_rounds.id'], name=op.f('fk_rubrics_round_id_intake_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_rubrics_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubrics')),
    sa.UniqueConstraint('round_id', name=op.f('uq_rubrics_round_id'))
    )
    op.create_table('rubric_levels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rubric_id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('text_en', sa.String(length=200), nullable=False),
    sa.Column('text_de', sa.String(length=200), nullable=False),
    sa.Column('text_zh', sa.String(length=200), nullable=False),
    sa.CheckConstraint("criterion IN ('score_academic', 'score_proposal', 'score_fit', 'score_language', 'score_references')", name=op.f('ck_rubric_levels_known_criterion')),
    sa.CheckConstraint("text_en <> ''", name=op.f('ck_rubric_levels_english_given')),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_rubric_levels_score_range')),
    sa.ForeignKeyConstraint(['rubric_id'], ['rubrics.id'], name=op.f('fk_rubric_levels_rubric_id_rubrics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubric_levels')),
    sa.UniqueConstraint('rubric_id', 'criterion', 'score', name=op.f('uq_rubric_levels_rubric_id_criterion_score'))
    )
    with op.batch_alter_table('rubric_levels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rubric_levels_rubric_id'), ['rubric_id'], unique=False)

    with op.batch_alter_table('intake_rounds', schema=None) as batch_op:
        # On by default, for the rounds that exist already too.
        batch_op.add_column(sa.Column('same_university_conflict', sa.Boolean(), server_default=sa.true(), nullable=False))

    # A new reason of a conflict (derived, never stored, but the column's CHECK lists every reason).
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.alter_column('reason', existing_type=OLD_REASONS, type_=NEW_REASONS, existing_nullable=False)



def downgrade() -> None:
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.alter_column('reason', existing_type=NEW_REASONS, type_=OLD_REASONS, existing_nullable=False)

    with op.batch_alter_table('intake_rounds', schema=None) as batch_op:
        batch_op.drop_column('same_university_conflict')

    with op.batch_alter_table('rubric_levels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rubric_levels_rubric_id'))

    op.drop_table('rubric_levels')
    op.drop_table('rubrics')
