"""Event intake over HTTP: batches of rows of any import kind, validated and merged as imports are.

A batch is applied kind by kind in dependency order (customers before their orders), each kind all
or nothing. Merges never duplicate, so re-sending a whole batch after an error is always safe.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy.orm import Session

from retain.clock import utcnow
from retain.ingest.kinds import KINDS, Kind
from retain.ingest.models import IdempotentRequest
from retain.ingest.problems import IngestError, Problem
from retain.ingest.schemas import IntakeResult, KindResult
from retain.ingest.service import ingest_file
from retain.settings import Settings
from retain.warehouse.pool import pool_for

MAX_BATCH = 50_000
# A request that never finished (the process died) frees its key after this long.
ABANDONED_AFTER = timedelta(minutes=5)
# One writer per process: DuckDB admits one, and PostgreSQL merges of one table would contend.
_write_lock = threading.Lock()


def field_name(kind: Kind) -> str:
    """The body field holding rows of ``kind`` (``order-lines`` -> ``order_lines``)."""
    return kind.name.replace("-", "_")


Scalar = str | int | float | bool | None


def _row_model(kind: Kind) -> type[BaseModel]:
    fields: dict[str, Any] = {
        column.name: (Scalar, Field(default=None, description=column.description))
        for column in kind.columns
    }
    title = "".join(part.title() for part in kind.name.split("-")) + "Row"
    config = ConfigDict(extra="allow") if kind.extra_columns_into else ConfigDict(extra="forbid")
    return create_model(title, __config__=config, **fields)


def _batch_model() -> type[BaseModel]:
    fields: dict[str, Any] = {
        field_name(kind): (
            list[_row_model(kind)],  # type: ignore[misc]
            Field(default_factory=list, max_length=MAX_BATCH, description=kind.description),
        )
        for kind in KINDS.values()
    }
    return create_model("EventBatch", __config__=ConfigDict(extra="forbid"), **fields)


EventBatch = _batch_model()


class IntakeProblem(Exception):
    """A batch row that cannot be imported; the kinds before it were applied."""

    def __init__(self, error: IngestError, kind: Kind, applied: list[str]) -> None:
        self.problems = [_locate(problem, kind) for problem in error.problems]
        self.total = error.total
        self.applied = applied
        first = self.problems[0]
        more = f" (and {self.total - 1} more)" if self.total > 1 else ""
        done = f"; already applied: {', '.join(applied)}" if applied else ""
        super().__init__(f"{first}{more}; nothing of {kind.name} was imported{done}")


def _locate(problem: Problem, kind: Kind) -> Problem:
    # JSON Lines rows count from 1; the caller's list counts from 0.
    row = problem.row - 1 if problem.row is not None else None
    where = f"body.{field_name(kind)}" + (f"[{row}]" if row is not None else "")
    return Problem(where, None, problem.column, problem.reason, problem.value)


def apply_batch(*, batch: BaseModel, settings: Settings) -> IntakeResult:
    """Merge every kind of ``batch`` into the warehouse, in dependency order."""
    results: list[KindResult] = []
    problem: IntakeProblem | None = None
    pool = pool_for(
        settings.storage.resolved_warehouse_url, idle_seconds=settings.server.warehouse_idle_seconds
    )
    with (
        _write_lock,
        pool.lease() as backend,
        tempfile.TemporaryDirectory(prefix="retain-intake-") as folder,
    ):
        for kind in KINDS.values():
            rows = getattr(batch, field_name(kind))
            if not rows:
                continue
            path = Path(folder) / f"{field_name(kind)}.jsonl"
            try:
                _write_rows(path, rows)
                imported = ingest_file(
                    kind=kind.name, path=path, settings=settings, backend=backend
                )
            except IngestError as error:
                # Raised after the lease ends: bad rows say nothing against the connection.
                problem = IntakeProblem(error, kind, [r.kind for r in results])
                break
            results.append(
                KindResult(
                    kind=kind.name,
                    received=len(rows),
                    inserted=imported.rows_inserted,
                    unchanged=imported.rows_unchanged,
                )
            )
    if problem is not None:
        raise problem
    return IntakeResult(results=results)


def _write_rows(path: Path, rows: list[BaseModel]) -> None:
    with path.open("w", encoding="utf-8") as file:
        for number, row in enumerate(rows, start=1):
            values = {k: _text(v) for k, v in row.model_dump(exclude_none=True).items()}
            try:
                file.write(json.dumps(values, ensure_ascii=False) + "\n")
            except UnicodeEncodeError:
                # JSON admits a lone surrogate escape (\\ud800); no text file can hold one.
                reason = "text is not valid Unicode (a lone surrogate)"
                raise IngestError([Problem(str(path), number, None, reason)]) from None


def _text(value: Scalar) -> str | None:
    # Imports read every value as text and type it themselves; JSON numbers become their text.
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Replay:
    status_code: int
    response: dict[str, Any]


class KeyConflict(Exception):
    """An idempotency key in use by another request, or reused with another body."""


def claim_key(*, session: Session, caller: str, key: str, body: bytes) -> Replay | None:
    """Reserve ``key`` for this request, or return the stored answer of its first use."""
    digest = hashlib.sha256(body).hexdigest()
    found = session.get(IdempotentRequest, (key, caller), with_for_update=True)
    if found is not None:
        if found.body_digest != digest:
            raise KeyConflict("this Idempotency-Key was used with a different body; use a new key")
        if found.status_code is not None and found.response is not None:
            return Replay(found.status_code, found.response)
        if utcnow() - found.created_at < ABANDONED_AFTER:
            raise KeyConflict("a request with this Idempotency-Key is still being processed")
        found.created_at = utcnow()
        return None
    session.add(IdempotentRequest(key=key, caller=caller, body_digest=digest, created_at=utcnow()))
    return None


def settle_key(
    *, session: Session, caller: str, key: str, status_code: int, response: dict[str, Any]
) -> None:
    """Store the answer given under ``key``; later requests with the key get it again."""
    found = session.get(IdempotentRequest, (key, caller))
    if found is not None:
        found.status_code = status_code
        found.response = response


def release_key(*, session: Session, caller: str, key: str) -> None:
    """Forget a key whose request failed unexpectedly, so that a retry runs again."""
    found = session.get(IdempotentRequest, (key, caller))
    if found is not None and found.status_code is None:
        session.delete(found)
