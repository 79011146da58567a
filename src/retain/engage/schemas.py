"""Request and response bodies of the playbook routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PlaybookWrite(BaseModel):
    """A playbook's YAML, as a file would hold it."""

    yaml: str = Field(min_length=1, max_length=100_000)


class PlaybookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    enabled: bool
    built_in: bool
    updated_at: datetime
    triggered_until: datetime | None
    definition: str


class PlaybookSwitch(BaseModel):
    enabled: bool


class RunRequest(BaseModel):
    at: datetime | None = None
    names: list[str] | None = Field(default=None, max_length=100)


class RunRead(BaseModel):
    playbook: str
    entered: int
    held_out: int
    steps: dict[str, int]
    converted: int
    finished: int


class IntervalRead(BaseModel):
    estimate: float
    low: float
    high: float


class LiftRead(BaseModel):
    outcome: str
    treated: int
    treated_converted: int
    held_out: int
    held_out_converted: int
    absolute: IntervalRead | None
    relative: IntervalRead | None


class StatsRead(BaseModel):
    """Entries, sends by step and status, and the lift with 95% intervals."""

    playbook: str
    entered: int
    treated: int
    held_out: int
    statuses: dict[str, int]
    sends: dict[str, dict[str, int]]
    lifts: list[LiftRead]
    incremental_revenue_90: IntervalRead | None
