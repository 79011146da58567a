"""The warehouse outbox: one cursor table, old cursors carried over, the worker's export job."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from retain.loyalty.events import SOURCE as LOYALTY_SOURCE
from retain.loyalty.events import export_events
from retain.loyalty.models import LoyaltyEntry
from retain.models import Base
from retain.settings import Settings
from retain.store import alembic_config, ensure_store, get_engine, session_scope, upgrade_store
from retain.warehouse import connect, outbox
from retain.warehouse.models import WarehouseExport
from retain.warehouse.outbox import export_pending
from tests.helpers import warehouse_count
from tests.warehouse.helpers import add_loyalty_entries

BEFORE = "20261203_0014"


def test_each_entry_reaches_the_warehouse_once_and_the_cursor_remembers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "CHUNK", 2)  # several chunks, each one moving the cursor
    ensure_store(settings.storage.store_url)
    add_loyalty_entries(settings.storage.store_url, 3)
    backend = connect(settings.storage.resolved_warehouse_url)
    try:
        assert export_events(store_url=settings.storage.store_url, backend=backend) == 3
        assert export_events(store_url=settings.storage.store_url, backend=backend) == 0
        add_loyalty_entries(settings.storage.store_url, 5)
        # In the caller's transaction too, where the cursor is only flushed between chunks.
        with session_scope(settings.storage.store_url) as session:
            exported = outbox.export_to_warehouse(
                session=session, backend=backend, sources=[LOYALTY_SOURCE]
            )
        assert exported == {"loyalty_event": 5}
    finally:
        backend.disconnect()
    with session_scope(settings.storage.store_url) as session:
        last_entry = session.scalar(select(sa.func.max(LoyaltyEntry.id)))
        cursor = session.get(WarehouseExport, "loyalty_event")
        assert cursor is not None and cursor.position == last_entry
    assert warehouse_count(settings, "loyalty_event") == 8


def test_an_idle_export_leaves_the_warehouse_closed(settings: Settings) -> None:
    ensure_store(settings.storage.store_url)
    # Connecting to this URL would raise: with no new rows, nothing connects.
    exported = export_pending(
        store_url=settings.storage.store_url,
        warehouse_url="unsupported://nowhere",
        sources=[LOYALTY_SOURCE],
    )
    assert exported == {"loyalty_event": 0}


def test_upgrade_carries_the_old_cursors_over_and_downgrade_brings_them_back(
    settings: Settings,
) -> None:
    url = settings.storage.store_url
    upgrade_store(url, BEFORE)
    old = {"loyalty_export": 17, "ticket_export": 5, "return_export": 2}
    columns = {
        "loyalty_export": "last_entry_id",
        "ticket_export": "last_event_id",
        "return_export": "last_id",
    }
    names = {
        "loyalty_export": "loyalty_event",
        "ticket_export": "ticket_event",
        "return_export": "return_event",
    }
    engine = get_engine(url)
    with engine.begin() as connection:
        for table, position in old.items():
            connection.execute(
                sa.text(f"INSERT INTO {table} (name, {columns[table]}) VALUES (:name, :position)"),
                {"name": names[table], "position": position},
            )
    upgrade_store(url)
    with session_scope(url) as session:
        moved = {row.name: row.position for row in session.scalars(select(WarehouseExport))}
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert moved == {"loyalty_event": 17, "ticket_event": 5, "return_event": 2}
    assert not tables & set(old)
    assert [change for change in differences if "warehouse_export" in str(change)] == []

    command.downgrade(alembic_config(url), BEFORE)
    with engine.connect() as connection:
        back = {
            table: connection.execute(sa.text(f"SELECT {columns[table]} FROM {table}")).scalar()
            for table in old
        }
        assert "warehouse_export" not in sa.inspect(connection).get_table_names()
    assert back == old
