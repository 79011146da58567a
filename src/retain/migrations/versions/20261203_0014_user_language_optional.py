"""A user's dashboard language becomes optional: without one, the dashboard follows the browser.

"en" was the default every user got without choosing, so it is read as "no choice": a user
with a Chinese browser then sees Chinese after signing in. "zh-CN" was always chosen, and stays.

Revision ID: 20261203_0014
Revises: 20261124_0013
Create Date: 2026-12-03 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_0014"
down_revision: str | None = "20261124_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as table:
        table.alter_column("language", existing_type=sa.String(length=16), nullable=True)
    op.execute("UPDATE app_user SET language = NULL WHERE language = 'en'")


def downgrade() -> None:
    op.execute("UPDATE app_user SET language = 'en' WHERE language IS NULL")
    with op.batch_alter_table("app_user") as table:
        table.alter_column("language", existing_type=sa.String(length=16), nullable=False)
