"""Customer predictions: the latest lifetime-value prediction per customer.

Revision ID: 20261124_0003
Revises: 20261124_0002
Create Date: 2026-11-24 09:46:49.110069
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_0003"
down_revision: str | None = "20261124_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_prediction",
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("model", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("probability_alive", sa.Float(), nullable=False),
        sa.Column("expected_purchases", sa.Float(), nullable=False),
        sa.Column("expected_spend", sa.Float(), nullable=False),
        sa.Column("clv", sa.Float(), nullable=False),
        sa.Column("next_order_at", sa.DateTime(), nullable=True),
        sa.Column("predicted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index("ix_customer_prediction_predicted_at", "customer_prediction", ["predicted_at"])


def downgrade() -> None:
    op.drop_index("ix_customer_prediction_predicted_at", table_name="customer_prediction")
    op.drop_table("customer_prediction")
