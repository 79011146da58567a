"""NPS and CSAT per period.

NPS = % promoters (9-10) - % detractors (0-6) of NPS answers; CSAT = share of 4-5 of CSAT answers.
"""

from __future__ import annotations

import ibis.expr.types as ir

from retain.metrics.periods import PeriodGrid
from retain.metrics.revenue import in_grid


def survey_counts(responses: ir.Table, grid: PeriodGrid) -> ir.Table:
    """Per dimension and period: NPS answers, promoters, detractors, CSAT answers, satisfied."""
    rows = in_grid(responses, grid, "answered_at")
    nps = rows.kind == "NPS"
    csat = rows.kind == "CSAT"
    return rows.group_by(["dimension", "p"]).aggregate(
        nps_responses=nps.sum(),
        promoters=(nps & (rows.score >= 9)).sum(),
        detractors=(nps & (rows.score <= 6)).sum(),
        csat_responses=csat.sum(),
        csat_satisfied=(csat & (rows.score >= 4)).sum(),
    )
