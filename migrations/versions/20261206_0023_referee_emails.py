"""referees' email addresses in their canonical lower-case form, as the portal writes them, so that a conflict of
interest is found by comparing them with the index instead of lower-casing every row

Revision ID: 0023_referee_emails
Revises: 0022_speed
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0023_referee_emails"
down_revision: str | None = "0022_speed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

referees = sa.table("referee_invitations", sa.column("id", sa.Integer), sa.column("email", sa.String))


def upgrade() -> None:
    # Lower-cased in Python (SQLite's own lower() leaves non-ASCII letters alone), only where it changes anything.
    if context.is_offline_mode():
        return
    connection = op.get_bind()
    rows = [
        {"row_id": id_, "lowered": email.lower()}
        for id_, email in connection.execute(sa.select(referees.c.id, referees.c.email))
        if email != email.lower()
    ]
    if rows:
        update = referees.update().where(referees.c.id == sa.bindparam("row_id"))
        connection.execute(update.values(email=sa.bindparam("lowered")), rows)


def downgrade() -> None:
    """Nothing to undo: the lower-case form is the same address."""
