"""the applications' stored name and search keys (issue 13), filled for existing rows; indexes for the list's orders and filters

Revision ID: 0022_speed
Revises: 0021_words
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from portal.applications import keys

revision: str = "0022_speed"
down_revision: str | None = "0021_words"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

applications = sa.table(
    "applications",
    sa.column("id", sa.Integer),
    sa.column("applicant_id", sa.Integer),
    sa.column("reference", sa.String),
    sa.column("family_name", sa.String),
    sa.column("given_names", sa.String),
    sa.column("native_name", sa.String),
    sa.column("name_key", sa.Text),
    sa.column("search_key", sa.Text),
)
users = sa.table("users", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("email", sa.String))


def _fill() -> None:
    """Every existing application's keys, computed as the portal computes them on write (portal/applications/keys.py)."""
    connection = op.get_bind()
    a = applications.c
    query = sa.select(
        a.id, a.reference, a.family_name, a.given_names, a.native_name, users.c.name, users.c.email
    ).join_from(applications, users, users.c.id == a.applicant_id)
    rows = [
        {
            "row_id": id_,
            "name_key": keys.name_key(family or "", given or "", name),
            "search_key": keys.search_key(reference, family or "", given or "", native or "", name, email),
        }
        for id_, reference, family, given, native, name, email in connection.execute(query)
    ]
    update = applications.update().where(a.id == sa.bindparam("row_id"))
    update = update.values(name_key=sa.bindparam("name_key"), search_key=sa.bindparam("search_key"))
    for start in range(0, len(rows), BATCH):
        connection.execute(update, rows[start : start + BATCH])


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("search_key", sa.Text(), server_default="", nullable=False))
    if not context.is_offline_mode():
        _fill()
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_round_reference", ["round_id", "reference", "id"], unique=False)
        batch_op.create_index("ix_applications_round_name_key", ["round_id", "name_key", "reference", "id"], unique=False)
        batch_op.create_index("ix_applications_round_nationality", ["round_id", "nationality"], unique=False)
        batch_op.create_index("ix_applications_round_search_key", ["round_id", "search_key", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_round_search_key")
        batch_op.drop_index("ix_applications_round_nationality")
        batch_op.drop_index("ix_applications_round_name_key")
        batch_op.drop_index("ix_applications_round_reference")
        batch_op.drop_column("search_key")
        batch_op.drop_column("name_key")
