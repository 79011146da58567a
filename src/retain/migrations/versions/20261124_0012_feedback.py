"""Feedback: reviews and mentions, surveys, invitations and answers.

Revision ID: 20261124_0012
Revises: 20261124_0009
Create Date: 2026-11-24 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_0012"
down_revision: str | None = "20261124_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_item",
        sa.Column("item_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=1024), nullable=True),
        sa.Column("author", sa.String(length=256), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("handle", sa.String(length=256), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("posted_at", sa.DateTime(), nullable=False),
        sa.Column("product_id", sa.String(length=128), nullable=True),
        sa.Column("customer_id", sa.String(length=128), nullable=True),
        sa.Column("url_key", sa.String(length=64), nullable=True),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("sentiment", sa.String(length=16), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("aspects", sa.JSON(), nullable=True),
        sa.Column("analyzed_at", sa.DateTime(), nullable=True),
        sa.Column("followed_up_at", sa.DateTime(), nullable=True),
        sa.Column("exported_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("item_id"),
        sa.UniqueConstraint("dedup_key"),
        sa.UniqueConstraint("url_key"),
    )
    op.create_index("ix_feedback_item_posted_at", "feedback_item", ["posted_at"])
    op.create_index("ix_feedback_item_product_id", "feedback_item", ["product_id"])
    op.create_index("ix_feedback_item_customer_id", "feedback_item", ["customer_id"])
    op.create_table(
        "survey",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("question_en", sa.Text(), nullable=False),
        sa.Column("question_zh", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=True),
        sa.Column("min_gap_days", sa.Integer(), nullable=False),
        sa.Column("remind_after_days", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "survey_invitation",
        sa.Column("invitation_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("survey_name", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["survey_name"], ["survey.name"]),
        sa.PrimaryKeyConstraint("invitation_id"),
        sa.UniqueConstraint("survey_name", "customer_id", "sent_at"),
    )
    op.create_index("ix_survey_invitation_survey_name", "survey_invitation", ["survey_name"])
    op.create_index("ix_survey_invitation_customer_id", "survey_invitation", ["customer_id"])
    op.create_table(
        "survey_answer",
        sa.Column("response_id", sa.String(length=64), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("survey_name", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("exported_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["invitation_id"], ["survey_invitation.invitation_id"]),
        sa.PrimaryKeyConstraint("response_id"),
        sa.UniqueConstraint("invitation_id"),
    )
    op.create_index("ix_survey_answer_survey_name", "survey_answer", ["survey_name"])
    op.create_index("ix_survey_answer_customer_id", "survey_answer", ["customer_id"])


def downgrade() -> None:
    op.drop_table("survey_answer")
    op.drop_table("survey_invitation")
    op.drop_table("survey")
    op.drop_table("feedback_item")
