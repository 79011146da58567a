"""Assistant: conversations with their messages and CSAT, evaluation runs.

Revision ID: 20261124_0011
Revises: 20261124_0010
Create Date: 2026-11-24 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_0011"
down_revision: str | None = "20261124_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "assistant_conversation",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_message_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assistant_conversation_started", "assistant_conversation", ["started_at"])
    op.create_table(
        "assistant_message",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=36), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("intent", sa.String(length=128), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("article_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["assistant_conversation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_assistant_message_conversation", "assistant_message", ["conversation_id", "id"]
    )
    op.create_table(
        "assistant_evaluation",
        sa.Column("id", ROW_ID, autoincrement=True, nullable=False),
        sa.Column("evaluated_at", sa.DateTime(), nullable=False),
        sa.Column("examples_file", sa.String(length=512), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=False),
        sa.Column("coverage", sa.Float(), nullable=False),
        sa.Column("answered_accuracy", sa.Float(), nullable=False),
        sa.Column("escalation_rate", sa.Float(), nullable=False),
        sa.Column("oos_recall", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("assistant_evaluation")
    op.drop_index("ix_assistant_message_conversation", table_name="assistant_message")
    op.drop_table("assistant_message")
    op.drop_index("ix_assistant_conversation_started", table_name="assistant_conversation")
    op.drop_table("assistant_conversation")
