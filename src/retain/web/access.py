"""Who may open a dashboard page: signed-in users of the admitted roles; others sign in first."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from retain.auth.dependencies import identify
from retain.auth.roles import READ_AGGREGATES, READ_CUSTOMERS, Role
from retain.auth.service import Principal


class SignInRequired(Exception):
    """The page needs a signed-in user; answered with a redirect to the sign-in page."""

    def __init__(self, path: str) -> None:
        self.path = path


class PageForbidden(Exception):
    """The signed-in user's role may not open the page."""


def page_user(roles: Collection[Role]) -> Callable[..., Principal]:
    """A dependency for pages: the signed-in user of an admitted role."""
    admitted = frozenset(roles)

    def require(
        request: Request, principal: Annotated[Principal | None, Depends(identify)]
    ) -> Principal:
        if principal is None or principal.kind != "user":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target)
        if principal.role not in admitted:
            raise PageForbidden()
        return principal

    return require


Reader = Annotated[Principal, Depends(page_user(READ_AGGREGATES))]
CustomerReader = Annotated[Principal, Depends(page_user(READ_CUSTOMERS))]


def reads_customer_words(principal: Reader) -> bool:
    """Whether the reader may see what single customers wrote (verbatims, ticket subjects):
    the read-only role sees aggregates only."""
    return principal.role in READ_CUSTOMERS


ReadsCustomerWords = Annotated[bool, Depends(reads_customer_words)]


def install(app: FastAPI, forbidden_page: Callable[[Request], HTMLResponse]) -> None:
    """Turn SignInRequired into a redirect and PageForbidden into a 403 page."""

    async def to_sign_in(request: Request, error: Exception) -> RedirectResponse:
        path = error.path if isinstance(error, SignInRequired) else "/"
        return RedirectResponse(f"/login?next={quote(path, safe='')}", status_code=303)

    async def forbidden(request: Request, _error: Exception) -> HTMLResponse:
        return forbidden_page(request)

    app.add_exception_handler(SignInRequired, to_sign_in)
    app.add_exception_handler(PageForbidden, forbidden)
