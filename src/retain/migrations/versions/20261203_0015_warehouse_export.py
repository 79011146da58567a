"""One cursor table for every store → warehouse export: the warehouse outbox's ``warehouse_export``.

The loyalty, support and returns exports each kept their cursor in a table of their own. Their
positions move over unchanged, under the same names (the warehouse table each one fills), so an
upgraded store exports from exactly where it stopped: nothing twice, nothing lost.

Revision ID: 20261203_0015
Revises: 20261203_0014
Create Date: 2026-12-03 09:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_0015"
down_revision: str | None = "20261203_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each old cursor table, the column that held its position, and the one cursor it held.
OLD_CURSORS = (
    ("loyalty_export", "last_entry_id", "loyalty_event"),
    ("ticket_export", "last_event_id", "ticket_event"),
    ("return_export", "last_id", "return_event"),
)


def upgrade() -> None:
    op.create_table(
        "warehouse_export",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    for table, column, _ in OLD_CURSORS:
        op.execute(
            f"INSERT INTO warehouse_export (name, position) SELECT name, {column} FROM {table}"
        )
        op.drop_table(table)


def downgrade() -> None:
    for table, column, name in OLD_CURSORS:
        op.create_table(
            table,
            sa.Column("name", sa.String(length=32), nullable=False),
            sa.Column(column, sa.BigInteger(), nullable=False),
            sa.PrimaryKeyConstraint("name"),
        )
        op.execute(
            f"INSERT INTO {table} (name, {column}) "
            f"SELECT name, position FROM warehouse_export WHERE name = '{name}'"
        )
    op.drop_table("warehouse_export")
