"""Churn: scores with reasons, usage alerts, health history and tasks for owners.

Revision ID: 20261124_0005
Revises: 20261124_0004
Create Date: 2026-11-24 14:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_0005"
down_revision: str | None = "20261124_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "churn_score",
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index("ix_churn_score_probability", "churn_score", ["probability"])
    op.create_index("ix_churn_score_scored_at", "churn_score", ["scored_at"])
    op.create_table(
        "usage_alert",
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("detected_on", sa.Date(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("drop", sa.Float(), nullable=False),
        sa.Column("recent_per_week", sa.Float(), nullable=False),
        sa.Column("expected_per_week", sa.Float(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "detected_on"),
    )
    op.create_index("ix_usage_alert_severity", "usage_alert", ["severity"])
    op.create_table(
        "health_score",
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("scored_on", sa.Date(), nullable=False),
        sa.Column("segment", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("usage", sa.Float(), nullable=True),
        sa.Column("risk", sa.Float(), nullable=True),
        sa.Column("support", sa.Float(), nullable=True),
        sa.Column("nps", sa.Float(), nullable=True),
        sa.Column("payment", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("customer_id", "scored_on"),
    )
    op.create_table(
        "customer_task",
        sa.Column("task_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("open_key", sa.String(length=192), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("task_id"),
        sa.UniqueConstraint("open_key"),
    )
    op.create_index("ix_customer_task_customer_id", "customer_task", ["customer_id"])
    op.create_index("ix_customer_task_owner", "customer_task", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_customer_task_owner", table_name="customer_task")
    op.drop_index("ix_customer_task_customer_id", table_name="customer_task")
    op.drop_table("customer_task")
    op.drop_table("health_score")
    op.drop_index("ix_usage_alert_severity", table_name="usage_alert")
    op.drop_table("usage_alert")
    op.drop_index("ix_churn_score_scored_at", table_name="churn_score")
    op.drop_index("ix_churn_score_probability", table_name="churn_score")
    op.drop_table("churn_score")
