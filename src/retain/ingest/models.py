"""Store tables of the ingest domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base


class ImportRun(Base):
    """One finished import: what was read and what it changed."""

    __tablename__ = "import_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(1024))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_inserted: Mapped[int] = mapped_column(Integer)
    rows_unchanged: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)


class IdempotentRequest(Base):
    """An intake request by ``Idempotency-Key``: replayed, not repeated, when the key returns."""

    __tablename__ = "idempotent_request"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # Keys are per caller: two shops may pick the same key without colliding.
    caller: Mapped[str] = mapped_column(String(160), primary_key=True)
    body_digest: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
