"""Loyalty: members, the points ledger and its lot allocations, tiers, rewards, referrals.

Revision ID: 20261124_0006
Revises: 20261124_0005
Create Date: 2026-11-24 14:11:35
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_0006"
down_revision: str | None = "20261124_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loyalty_campaign",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("points_awarded", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "loyalty_export",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_entry_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "loyalty_member",
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("tier", sa.String(length=64), nullable=True),
        sa.Column("tier_since", sa.DateTime(), nullable=True),
        sa.Column("tier_reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("below_tier_since", sa.DateTime(), nullable=True),
        sa.Column("referral_code", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("device", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
        sa.UniqueConstraint("referral_code"),
    )
    op.create_table(
        "loyalty_ruleset",
        sa.Column(
            "version",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "loyalty_entry",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=256), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("available_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("campaign", sa.String(length=64), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["loyalty_member.customer_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_loyalty_entry_customer", "loyalty_entry", ["customer_id", "id"])
    op.create_index("ix_loyalty_entry_reference", "loyalty_entry", ["reference"])

    op.create_table(
        "loyalty_referral",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("referrer_id", sa.String(length=128), nullable=False),
        sa.Column("friend_id", sa.String(length=128), nullable=False),
        sa.Column("friend_email", sa.String(length=320), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("device", sa.String(length=128), nullable=True),
        sa.Column("referred_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=True),
        sa.Column("reward_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["referrer_id"],
            ["loyalty_member.customer_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_loyalty_referral_friend_id", "loyalty_referral", ["friend_id"])
    op.create_index("ix_loyalty_referral_referrer_id", "loyalty_referral", ["referrer_id"])

    op.create_table(
        "loyalty_tier_change",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("from_tier", sa.String(length=64), nullable=True),
        sa.Column("to_tier", sa.String(length=64), nullable=True),
        sa.Column("qualifying_value", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["loyalty_member.customer_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_loyalty_tier_change_customer_id", "loyalty_tier_change", ["customer_id"])

    op.create_table(
        "loyalty_allocation",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["loyalty_entry.id"],
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["loyalty_entry.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_loyalty_allocation_entry_id", "loyalty_allocation", ["entry_id"])
    op.create_index("ix_loyalty_allocation_lot_id", "loyalty_allocation", ["lot_id"])

    op.create_table(
        "loyalty_redemption",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("reward", sa.String(length=64), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reserved_at", sa.DateTime(), nullable=False),
        sa.Column("hold_until", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["loyalty_member.customer_id"],
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["loyalty_entry.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_loyalty_redemption_customer_id", "loyalty_redemption", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_loyalty_redemption_customer_id", table_name="loyalty_redemption")

    op.drop_table("loyalty_redemption")
    op.drop_index("ix_loyalty_allocation_lot_id", table_name="loyalty_allocation")
    op.drop_index("ix_loyalty_allocation_entry_id", table_name="loyalty_allocation")

    op.drop_table("loyalty_allocation")
    op.drop_index("ix_loyalty_tier_change_customer_id", table_name="loyalty_tier_change")

    op.drop_table("loyalty_tier_change")
    op.drop_index("ix_loyalty_referral_referrer_id", table_name="loyalty_referral")
    op.drop_index("ix_loyalty_referral_friend_id", table_name="loyalty_referral")

    op.drop_table("loyalty_referral")
    op.drop_index("ix_loyalty_entry_reference", table_name="loyalty_entry")
    op.drop_index("ix_loyalty_entry_customer", table_name="loyalty_entry")

    op.drop_table("loyalty_entry")
    op.drop_table("loyalty_ruleset")
    op.drop_table("loyalty_member")
    op.drop_table("loyalty_export")
    op.drop_table("loyalty_campaign")
