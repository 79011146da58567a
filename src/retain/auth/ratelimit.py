"""Moving-window rate limits (``limits``), counted in memory or in Redis for several workers."""

from __future__ import annotations

import time
from functools import cache

from fastapi import HTTPException
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


@cache
def _limiter(storage_url: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_url))


@cache
def _item(limit: str) -> RateLimitItem:
    return parse(limit)


def enforce(*, storage_url: str, limit: str, scope: str, key: str) -> None:
    """Count one request of ``key`` in ``scope``; raise 429 with Retry-After when over ``limit``."""
    limiter, item = _limiter(storage_url), _item(limit)
    if limiter.hit(item, scope, key):
        return
    reset_at, _remaining = limiter.get_window_stats(item, scope, key)
    retry_after = max(1, int(reset_at - time.time()) + 1)
    raise HTTPException(
        status_code=429,
        detail=f"too many {scope} requests: the limit is {limit}; retry in {retry_after} s",
        headers={"Retry-After": str(retry_after)},
    )
