"""Support desk and knowledge base: tickets, messages, events, teams, canned replies, articles.

Revision ID: 20261124_0010
Revises: 20261124_0009
Create Date: 2026-11-24 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_0010"
down_revision: str | None = "20261124_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "canned_reply",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "kb_article",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("slug", sa.String(length=160), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "support_team",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "ticket_export",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "kb_article_use",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "article_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("visitor", sa.String(length=320), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["kb_article.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_article_updated", "kb_article", ["updated_at"])
    op.create_index("ix_kb_article_use_article_id", "kb_article_use", ["article_id"])
    op.create_index("ix_kb_article_use_visitor", "kb_article_use", ["visitor", "used_at"])

    op.create_table(
        "support_team_member",
        sa.Column("team", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team"],
            ["support_team.name"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("team", "user_id"),
    )
    op.create_table(
        "ticket",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("customer_id", sa.String(length=128), nullable=True),
        sa.Column("requester_email", sa.String(length=320), nullable=True),
        sa.Column("visitor", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("solved_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("first_response_due_at", sa.DateTime(), nullable=True),
        sa.Column("resolution_due_at", sa.DateTime(), nullable=True),
        sa.Column("first_response_warned_at", sa.DateTime(), nullable=True),
        sa.Column("first_response_breached_at", sa.DateTime(), nullable=True),
        sa.Column("resolution_warned_at", sa.DateTime(), nullable=True),
        sa.Column("resolution_breached_at", sa.DateTime(), nullable=True),
        sa.Column("rating_requested_at", sa.DateTime(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_customer", "ticket", ["customer_id"])
    op.create_index("ix_ticket_status", "ticket", ["status", "priority"])
    op.create_index("ix_ticket_visitor", "ticket", ["visitor", "created_at"])

    op.create_table(
        "ticket_event_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_event_log_ticket_id", "ticket_event_log", ["ticket_id"])

    op.create_table(
        "ticket_message",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=320), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("email_message_id", sa.String(length=512), nullable=True),
        sa.Column("emailed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["ticket.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email_message_id"),
    )
    op.create_index("ix_ticket_message_ticket_id", "ticket_message", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_message_ticket_id", table_name="ticket_message")

    op.drop_table("ticket_message")
    op.drop_index("ix_ticket_event_log_ticket_id", table_name="ticket_event_log")

    op.drop_table("ticket_event_log")
    op.drop_index("ix_ticket_visitor", table_name="ticket")
    op.drop_index("ix_ticket_status", table_name="ticket")
    op.drop_index("ix_ticket_customer", table_name="ticket")

    op.drop_table("ticket")
    op.drop_table("support_team_member")
    op.drop_index("ix_kb_article_use_visitor", table_name="kb_article_use")
    op.drop_index("ix_kb_article_use_article_id", table_name="kb_article_use")

    op.drop_table("kb_article_use")
    op.drop_table("ticket_export")
    op.drop_table("support_team")
    op.drop_index("ix_kb_article_updated", table_name="kb_article")
    op.drop_table("kb_article")
    op.drop_table("canned_reply")
