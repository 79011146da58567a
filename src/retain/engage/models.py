"""Store tables of the engagement engine: playbooks and each customer's way through one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from retain.store import Base


class PlaybookRecord(Base):
    """A playbook's YAML as last saved, and how far its triggers have been read."""

    __tablename__ = "playbook"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    definition: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    built_in: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # Triggers are read for (triggered_until, run time]; null until the first run.
    triggered_until: Mapped[datetime | None] = mapped_column(DateTime)


class Enrollment(Base):
    """One entry of a customer into a playbook: treated or held out, and where they stand."""

    __tablename__ = "playbook_enrollment"
    __table_args__ = (
        Index("ix_playbook_enrollment_due", "status", "next_run_at"),
        Index("ix_playbook_enrollment_customer", "playbook", "customer_id"),
    )

    enrollment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    playbook: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(128))
    entered_at: Mapped[datetime] = mapped_column(DateTime)
    # The entry's identity: a re-run of the same trigger finds it instead of entering twice.
    entry_key: Mapped[str] = mapped_column(String(256), unique=True)
    # "playbook" (this playbook's random holdout), "global" (the global control group) or null.
    held_out: Mapped[str | None] = mapped_column(String(16))
    # active, waiting steps; done, every step taken; converted, the goal met; held_out.
    status: Mapped[str] = mapped_column(String(16))
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    converted_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
