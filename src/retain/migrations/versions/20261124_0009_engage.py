"""Engagement: playbooks and enrollments (treated or held out).

Revision ID: 20261124_0009
Revises: 20261124_0008
Create Date: 2026-11-24 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_0009"
down_revision: str | None = "20261124_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "playbook",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("built_in", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("triggered_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "playbook_enrollment",
        sa.Column("enrollment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("playbook", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("entry_key", sa.String(length=256), nullable=False),
        sa.Column("held_out", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.Column("converted_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("enrollment_id"),
        sa.UniqueConstraint("entry_key"),
    )
    op.create_index("ix_playbook_enrollment_due", "playbook_enrollment", ["status", "next_run_at"])
    op.create_index(
        "ix_playbook_enrollment_customer", "playbook_enrollment", ["playbook", "customer_id"]
    )


def downgrade() -> None:
    op.drop_table("playbook_enrollment")
    op.drop_table("playbook")
