"""Segments: definitions (the RFM segments built in) and membership history.

Revision ID: 20261124_0007
Revises: 20261124_0006
Create Date: 2026-11-24 17:30:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_0007"
down_revision: str | None = "20261124_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A copy, not an import: a migration must not change when the code does.
RFM_SEGMENTS = {
    "champions": "Bought recently and often (R 5, F 4-5).",
    "loyal": "Buy often, fairly recently (R 3-4, F 4-5).",
    "potential_loyalists": "Recent buyers with a few orders (R 4-5, F 2-3).",
    "new": "Recent first-time buyers (R 4-5, F 1).",
    "hibernating": "Neither recent nor frequent (R 3, F 1-3).",
    "at_risk": "Used to buy often, not lately (R 1-2, F 3-4).",
    "cant_lose": "The most frequent buyers, gone quiet (R 1-2, F 5).",
    "lost": "Long gone, few orders (R 1-2, F 1-2).",
}


def upgrade() -> None:
    definition = op.create_table(
        "segment_definition",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("built_in", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "segment_membership",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("segment", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("exited_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_segment_membership_segment_customer",
        "segment_membership",
        ["segment", "customer_id"],
    )
    op.create_index(
        "ux_segment_membership_open",
        "segment_membership",
        ["segment", "customer_id"],
        unique=True,
        sqlite_where=sa.text("exited_at IS NULL"),
        postgresql_where=sa.text("exited_at IS NULL"),
    )
    op.create_index("ix_segment_membership_customer", "segment_membership", ["customer_id"])
    op.create_index("ix_segment_membership_entered_at", "segment_membership", ["entered_at"])
    op.create_index("ix_segment_membership_exited_at", "segment_membership", ["exited_at"])
    created = datetime(2026, 11, 24)
    op.bulk_insert(
        definition,
        [
            {
                "name": f"rfm:{name}",
                "rule": None,
                "description": description,
                "built_in": True,
                "created_at": created,
                "updated_at": created,
                "refreshed_at": None,
            }
            for name, description in RFM_SEGMENTS.items()
        ],
    )


def downgrade() -> None:
    op.drop_table("segment_membership")
    op.drop_table("segment_definition")
