"""Response bodies of the ingest routes; the intake's request body is built from the import kinds
(``intake.EventBatch``)."""

from __future__ import annotations

from pydantic import BaseModel


class KindResult(BaseModel):
    kind: str
    received: int
    inserted: int
    unchanged: int


class IntakeResult(BaseModel):
    """What each kind of the batch changed in the warehouse."""

    results: list[KindResult]
