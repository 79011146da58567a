"""Returns: requests, lines, history, policy versions, store credit, shop instructions, export.

Revision ID: 20261124_0013
Revises: 20261124_0009
Create Date: 2026-11-24 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_0013"
down_revision: str | None = "20261124_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "return_order_lock",
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("touched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_table(
        "return_export",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "return_outbox_event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("return_id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("returned_at", sa.DateTime(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("return_id"),
    )
    op.create_table(
        "return_policy",
        sa.Column(
            "version",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "return_request",
        sa.Column("return_id", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=256), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("state_since", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("photos", sa.Text(), nullable=False),
        sa.Column("wanted", sa.String(length=16), nullable=False),
        sa.Column("exchange_for", sa.String(length=128), nullable=True),
        sa.Column("auto_approved", sa.Boolean(), nullable=False),
        sa.Column("decline_reason", sa.String(length=16), nullable=True),
        sa.Column("decline_note", sa.Text(), nullable=True),
        sa.Column("items_value", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("fees", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("bonus", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("return_id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("return_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_request_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_return_request_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_return_request_state", ["state", "due_at"], unique=False)

    op.create_table(
        "return_webhook",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=256), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "store_credit_account",
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "return_instruction",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("return_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmation", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["return_request.return_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("return_instruction", schema=None) as batch_op:
        batch_op.create_index(
            "ix_return_instruction_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_return_instruction_return_id"), ["return_id"], unique=False
        )

    op.create_table(
        "return_line",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("return_id", sa.String(length=32), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=128), nullable=True),
        sa.Column("category", sa.String(length=128), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("condition", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["return_request.return_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("return_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_line_return_id"), ["return_id"], unique=False)

    op.create_table(
        "return_transition",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("return_id", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["return_request.return_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("return_transition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_transition_return_id"), ["return_id"], unique=False
        )

    op.create_table(
        "store_credit_entry",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=256), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["store_credit_account.customer_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("store_credit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_store_credit_entry_customer", ["customer_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("return_order_lock")
    with op.batch_alter_table("store_credit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_store_credit_entry_customer")

    op.drop_table("store_credit_entry")
    with op.batch_alter_table("return_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_transition_return_id"))

    op.drop_table("return_transition")
    with op.batch_alter_table("return_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_line_return_id"))

    op.drop_table("return_line")
    with op.batch_alter_table("return_instruction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_instruction_return_id"))
        batch_op.drop_index("ix_return_instruction_due")

    op.drop_table("return_instruction")
    op.drop_table("store_credit_account")
    op.drop_table("return_webhook")
    with op.batch_alter_table("return_request", schema=None) as batch_op:
        batch_op.drop_index("ix_return_request_state")
        batch_op.drop_index(batch_op.f("ix_return_request_order_id"))
        batch_op.drop_index(batch_op.f("ix_return_request_customer_id"))

    op.drop_table("return_request")
    op.drop_table("return_policy")
    op.drop_table("return_outbox_event")
    op.drop_table("return_export")
