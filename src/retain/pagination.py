"""Paged lists: ``limit`` and ``offset`` in, ``items`` with the ``total`` out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import Session

from retain.store import fetch_page

MAX_PAGE = 500
# Beyond a 64-bit integer the databases refuse the number; no list is that long.
MAX_OFFSET = 2**31 - 1
Item = TypeVar("Item")
Row = TypeVar("Row")


class Page(BaseModel, Generic[Item]):
    """One page of a list and how many items the whole list holds."""

    items: list[Item]
    total: int
    limit: int
    offset: int


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")]


@dataclass(frozen=True)
class PageRequest:
    limit: int
    offset: int


def page_request(limit: Limit = 50, offset: Offset = 0) -> PageRequest:
    """The requested page."""
    return PageRequest(limit=limit, offset=offset)


PageDep = Annotated[PageRequest, Depends(page_request)]


def whole_page_request(limit: Limit = MAX_PAGE, offset: Offset = 0) -> PageRequest:
    """The requested page of a short list (reports, settings), all of it unless asked."""
    return PageRequest(limit=limit, offset=offset)


WholePageDep = Annotated[PageRequest, Depends(whole_page_request)]


def page_of_query(
    session: Session,
    statement: Select[Row],
    read: Callable[[Row], Item],
    *,
    limit: int,
    offset: int,
) -> Page[Item]:
    """One page of the rows ``statement`` selects, each read into its schema, and their total."""
    rows, total = fetch_page(session, statement, limit=limit, offset=offset)
    return Page(items=[read(row) for row in rows], total=total, limit=limit, offset=offset)


def page_of(items: Sequence[Item], page: PageRequest) -> Page[Item]:
    """One page of a list already in memory: for lists of tens, such as users or templates."""
    window = list(items[page.offset : page.offset + page.limit])
    return Page(items=window, total=len(items), limit=page.limit, offset=page.offset)
