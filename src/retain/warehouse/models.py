"""The store table of the outbox: how far each append-only source reached the warehouse."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base


class WarehouseExport(Base):
    """The last store row of one source copied to its warehouse table (the source's cursor)."""

    __tablename__ = "warehouse_export"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
