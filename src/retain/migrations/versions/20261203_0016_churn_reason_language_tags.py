"""Churn reasons keep their Chinese words under the BCP 47 tag ``zh-CN``, not ``zh``.

The pages read a reason's words under the page's language tag; scores stored before hold
them under ``zh`` until the next scoring, so they are renamed here.

Revision ID: 20261203_0016
Revises: 20261203_0015
Create Date: 2026-12-03 10:05:00
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_0016"
down_revision: str | None = "20261203_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

churn_score = sa.table(
    "churn_score", sa.column("customer_id", sa.String), sa.column("reasons", sa.JSON)
)


def _rename(old: str, new: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda reason: {(new if key == old else key): words for key, words in reason.items()}


def _rewrite(rename: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    connection = op.get_bind()
    for customer_id, reasons in connection.execute(sa.select(churn_score)).all():
        connection.execute(
            churn_score.update()
            .where(churn_score.c.customer_id == customer_id)
            .values(reasons=[rename(reason) for reason in reasons or []])
        )


def upgrade() -> None:
    _rewrite(_rename("zh", "zh-CN"))


def downgrade() -> None:
    _rewrite(_rename("zh-CN", "zh"))
