"""Foundation: customer profiles and the import ledger.

Revision ID: 20261124_0001
Revises:
Create Date: 2026-11-24 08:17:33.566710
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_profile",
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("signup_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    with op.batch_alter_table("customer_profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_profile_email"), ["email"], unique=False)

    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_inserted", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("import_run")
    with op.batch_alter_table("customer_profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_profile_email"))

    op.drop_table("customer_profile")
