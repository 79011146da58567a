"""``/api/v1/clv/fit`` and ``/api/v1/customers/{id}/prediction``: thin routes over the service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query

from retain.auth.dependencies import allow
from retain.auth.roles import ANALYSE, READ_CUSTOMERS
from retain.currency.service import MissingRateError, store_money
from retain.dependencies import SessionDep, SettingsDep, WarehouseDep, answering
from retain.lifetime.fitting import FitNotConverged, LifetimeInputError
from retain.lifetime.schemas import PredictionRead
from retain.lifetime.service import ClvInputError, ClvQuery, fit_models, get_prediction

router = APIRouter(prefix="/api/v1", tags=["lifetime"])


@router.get("/clv/fit", dependencies=[Depends(allow(ANALYSE))])
def get_clv_fit(
    settings: SettingsDep,
    session: SessionDep,
    backend: WarehouseDep,
    model: Literal["bgnbd", "pareto", "mbgnbd"] = "bgnbd",
    calibration_end: Annotated[
        date | None, Query(description="Last day of orders to fit on (default: the latest).")
    ] = None,
    unit: Literal["days", "weeks", "months"] = "weeks",
) -> dict[str, Any]:
    """Fit a transaction model and Gamma-Gamma: estimates, errors, intervals, log-likelihood."""
    query = ClvQuery(model=model, calibration_end=calibration_end, unit=unit)
    unfit = {
        ClvInputError: 422,
        FitNotConverged: 422,
        LifetimeInputError: 422,
        MissingRateError: 422,
    }
    with answering(unfit):
        money = store_money(session=session, settings=settings)
        fitted = fit_models(backend=backend, query=query, money=money)
    return fitted.as_dict()


@router.get("/customers/{customer_id}/prediction", dependencies=[Depends(allow(READ_CUSTOMERS))])
def get_customer_prediction(session: SessionDep, customer_id: str) -> PredictionRead:
    """The customer's latest stored prediction; 404 until ``retain clv predict`` has run."""
    found = get_prediction(session=session, customer_id=customer_id)
    if found is None:
        raise HTTPException(
            status_code=404,
            detail=f"no prediction for customer {customer_id!r}; run 'retain clv predict'",
        )
    return PredictionRead.model_validate(found)
