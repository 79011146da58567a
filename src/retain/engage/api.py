"""Playbook routes under ``/api/v1/playbooks``: define, switch, run and measure."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, HTTPException

from retain.auth.dependencies import allow
from retain.auth.roles import ANALYSE, READ_AGGREGATES
from retain.clock import utcnow_to_the_second
from retain.dependencies import SessionDep, SettingsDep, WarehouseDep
from retain.engage import service
from retain.engage.definition import PlaybookError, parse_playbook
from retain.engage.schemas import (
    PlaybookRead,
    PlaybookSwitch,
    PlaybookWrite,
    RunRead,
    RunRequest,
    StatsRead,
)
from retain.pagination import Page, WholePageDep, page_of

router = APIRouter(prefix="/api/v1/playbooks", tags=["playbooks"])


@router.get("", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_playbooks(session: SessionDep, page: WholePageDep) -> Page[PlaybookRead]:
    """Every saved playbook with its YAML."""
    found = [PlaybookRead.model_validate(r) for r in service.list_records(session=session)]
    return page_of(found, page)


@router.post("/shipped", dependencies=[Depends(allow(ANALYSE))], status_code=201)
def post_shipped(session: SessionDep) -> list[str]:
    """Save the ready-made playbooks not saved yet (disabled); returns their names."""
    return service.install_shipped(session=session, at=utcnow_to_the_second())


@router.post("/validate", dependencies=[Depends(allow(ANALYSE))])
def post_validate(body: PlaybookWrite) -> dict[str, str | int]:
    """Check a playbook's YAML without saving it."""
    try:
        playbook = parse_playbook(body.yaml)
    except PlaybookError as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    return {"name": playbook.name, "steps": len(playbook.steps)}


@router.get("/stats", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_global_stats(session: SessionDep, backend: WarehouseDep) -> StatsRead:
    """Everyone treated by any playbook against the global control group."""
    stats = service.playbook_stats(
        session=session, backend=backend, name=None, at=utcnow_to_the_second()
    )
    return StatsRead.model_validate(asdict(stats))


@router.post("/run", dependencies=[Depends(allow(ANALYSE))])
def post_run(settings: SettingsDep, backend: WarehouseDep, body: RunRequest) -> list[RunRead]:
    """Enter triggered customers and advance due entries now (or as of ``at``)."""
    try:
        summaries = service.run_playbooks(
            settings=settings,
            backend=backend,
            at=(body.at.replace(tzinfo=None) if body.at else utcnow_to_the_second()),
            names=body.names,
        )
    except service.UnknownPlaybook as error:
        raise HTTPException(status_code=404, detail=str(error)) from None
    except (PlaybookError, ValueError) as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    return [RunRead.model_validate(asdict(summary)) for summary in summaries]


@router.get("/{name}", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_playbook(session: SessionDep, name: str) -> PlaybookRead:
    """One playbook with its YAML."""
    return PlaybookRead.model_validate(_record(session, name))


@router.put("/{name}", dependencies=[Depends(allow(ANALYSE))])
def put_playbook(session: SessionDep, name: str, body: PlaybookWrite) -> PlaybookRead:
    """Save or replace a playbook; the YAML's name must be the path's."""
    try:
        if parse_playbook(body.yaml).name != name:
            raise PlaybookError(f"the YAML names another playbook than {name!r}")
        record = service.save_playbook(session=session, text=body.yaml, at=utcnow_to_the_second())
    except PlaybookError as error:
        raise HTTPException(status_code=422, detail=str(error)) from None
    return PlaybookRead.model_validate(record)


@router.patch("/{name}", dependencies=[Depends(allow(ANALYSE))])
def patch_playbook(session: SessionDep, name: str, body: PlaybookSwitch) -> PlaybookRead:
    """Turn a playbook on or off."""
    _record(session, name)
    return PlaybookRead.model_validate(
        service.set_enabled(session=session, name=name, enabled=body.enabled)
    )


@router.get("/{name}/stats", dependencies=[Depends(allow(READ_AGGREGATES))])
def get_stats(session: SessionDep, backend: WarehouseDep, name: str) -> StatsRead:
    """Treated against this playbook's holdout: lift with 95% intervals, sends by step."""
    _record(session, name)
    stats = service.playbook_stats(
        session=session, backend=backend, name=name, at=utcnow_to_the_second()
    )
    return StatsRead.model_validate(asdict(stats))


@router.delete("/{name}", dependencies=[Depends(allow(ANALYSE))], status_code=204)
def delete_playbook(session: SessionDep, name: str) -> None:
    """Remove a saved playbook (its history of entries and sends stays)."""
    _record(session, name)
    service.delete_playbook(session=session, name=name)


def _record(session: SessionDep, name: str) -> service.PlaybookRecord:
    try:
        return service.get_record(session=session, name=name)
    except service.UnknownPlaybook as error:
        raise HTTPException(status_code=404, detail=str(error)) from None
