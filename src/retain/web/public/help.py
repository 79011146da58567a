"""The public help centre: ``/help`` (browse and search), articles with "was this helpful?",
the contact form that opens a ticket (rate-limited per address), and the CSAT rating page.

None of these pages needs an account. A visitor is told apart by a random cookie, which ties
article views to a later ticket for the deflection report; a rating link's signature is its
own credential.
"""

from __future__ import annotations

import secrets
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from retain import signed_links
from retain.auth.ratelimit import enforce
from retain.clock import utcnow
from retain.dependencies import SettingsDep
from retain.locales import Language, choose_language, ui_text
from retain.settings import Settings
from retain.store import migrated_session
from retain.support import csat, knowledge, service
from retain.support.deadlines import calendar_for
from retain.support.models import Article, Ticket
from retain.support.service import NotFound, SupportError
from retain.web.rendering import render

router = APIRouter(prefix="/help", tags=["help centre"])
VISITOR_COOKIE = "retain_visitor"
LanguageQuery = Annotated[str | None, Query(alias="lang", max_length=8)]


def page_language(request: Request, requested: str | None, stored: str | None = None) -> Language:
    """The ``lang`` asked for, else the switcher's cookie, else the page's own language (an
    article's, a ticket's), else the browser's preference."""
    return choose_language(
        requested=requested,
        chosen=request.cookies.get("lang"),
        stored=stored,
        accept_language=request.headers.get("accept-language"),
    )


def _render(
    request: Request, name: str, *, language: str, status_code: int = 200, **values: Any
) -> HTMLResponse:
    text = ui_text("help_centre", language)
    # The language switch reloads the page by GET: a form's answer switches to the page it
    # came from (the article of a vote), never to the POST-only address.
    here = values.pop("here", request.url.path)
    response = render(
        f"help/{name}",
        status=status_code,
        text=text,
        language=language,
        here=here,
        other="en" if language == "zh-CN" else "zh-CN",
        query=values.pop("query", ""),
        **values,
    )
    if VISITOR_COOKIE not in request.cookies:
        response.set_cookie(
            VISITOR_COOKIE,
            _visitor(request),
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
        )
    return response


def _visitor(request: Request) -> str:
    """The visitor's cookie id, minted once per request when the browser has none yet."""
    found = request.cookies.get(VISITOR_COOKIE) or getattr(request.state, "visitor", None)
    if not found or len(found) > 64:
        found = "v-" + secrets.token_urlsafe(16)
        request.state.visitor = found
    return str(found)


@router.get("", response_class=HTMLResponse)
def help_index(
    request: Request,
    settings: SettingsDep,
    lang: LanguageQuery = None,
    q: Annotated[str, Query(max_length=500)] = "",
) -> HTMLResponse:
    """Published articles by category, or the search results for ``q``."""
    language = page_language(request, lang)
    with migrated_session(settings.storage.store_url) as session:
        if q.strip():
            hits = knowledge.search_articles(session, q, language=language, limit=10)
            return _render(request, "index.html", language=language, query=q, hits=hits)
        articles = knowledge.published_articles(session, language=language)
        categories = [
            (name, list(group)) for name, group in groupby(articles, lambda a: a.category)
        ]
        return _render(request, "index.html", language=language, categories=categories)


@router.get("/articles/{slug}", response_class=HTMLResponse)
def help_article(
    request: Request, settings: SettingsDep, slug: str, lang: LanguageQuery = None
) -> HTMLResponse:
    """A published article; the view is recorded for the deflection report."""
    with migrated_session(settings.storage.store_url) as session:
        article = _published(session, slug)
        knowledge.record_article_use(
            session, article_id=article.id, source="help_centre", visitor=_visitor(request)
        )
        return _article_page(request, article, lang=lang, voted=False)


@router.post("/articles/{slug}/feedback", response_class=HTMLResponse)
def help_feedback(
    request: Request,
    settings: SettingsDep,
    slug: str,
    helpful: Annotated[str, Form(pattern="^(yes|no)$")],
    lang: LanguageQuery = None,
) -> HTMLResponse:
    """A "was this helpful?" answer."""
    with migrated_session(settings.storage.store_url) as session:
        article = _published(session, slug)
        knowledge.record_article_feedback(
            session, article_id=article.id, visitor=_visitor(request), helpful=helpful == "yes"
        )
        return _article_page(request, article, lang=lang, voted=True)


def _published(session: Session, slug: str) -> Article:
    try:
        article = knowledge.get_article(session, slug=slug)
    except NotFound:
        article = None
    if article is None or article.status != "published":
        raise HTTPException(status_code=404, detail=f"no article {slug!r}")
    return article


def _article_page(
    request: Request, article: Article, *, lang: str | None, voted: bool
) -> HTMLResponse:
    language = page_language(request, lang, article.language)
    paragraphs = [part.strip() for part in article.body.split("\n\n") if part.strip()]
    return _render(
        request,
        "article.html",
        language=language,
        article=article,
        paragraphs=paragraphs,
        voted=voted,
        here=f"/help/articles/{article.slug}",
    )


@router.get("/contact", response_class=HTMLResponse)
def help_contact(request: Request, lang: LanguageQuery = None) -> HTMLResponse:
    """The contact form."""
    language = page_language(request, lang)
    form = {"email": "", "subject": "", "message": ""}
    return _render(request, "contact.html", language=language, form=form, ticket_id=None)


@router.post("/contact", response_class=HTMLResponse)
def help_contact_send(
    request: Request,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)],
    subject: Annotated[str, Form(max_length=300)],
    message: Annotated[str, Form(max_length=20_000)],
    lang: LanguageQuery = None,
) -> HTMLResponse:
    """Open a ticket from the form; at most ``help_contact_rate_limit`` per client address."""
    language = page_language(request, lang)
    client = request.client.host if request.client else "unknown"
    enforce(
        storage_url=settings.server.rate_limit_storage,
        limit=settings.support.help_contact_rate_limit,
        scope="help-contact",
        key=client,
    )
    form = {"email": email, "subject": subject, "message": message}
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        problem = ui_text("help_centre", language)["bad_email"]
        return _render(
            request, "contact.html", language=language, form=form, problem=problem, status_code=422
        )
    try:
        with migrated_session(settings.storage.store_url) as session:
            ticket = service.open_ticket(
                session=session,
                customer_id=None,
                requester_email=email.strip(),
                subject=subject,
                body=message,
                channel="web",
                language=language,
                visitor=_visitor(request),
                calendar=calendar_for(settings),
            )
            ticket_id = ticket.id
    except SupportError as error:
        return _render(
            request,
            "contact.html",
            language=language,
            form=form,
            problem=str(error),
            status_code=422,
        )
    return _render(request, "contact.html", language=language, form=form, ticket_id=ticket_id)


@router.get("/rate/{token}", response_class=HTMLResponse)
def help_rate(
    request: Request,
    settings: SettingsDep,
    token: str,
    score: Annotated[int, Query(ge=1, le=5)] = 5,
    lang: LanguageQuery = None,
) -> HTMLResponse:
    """The rating page a CSAT link opens, the score chosen in the message preselected."""
    with migrated_session(settings.storage.store_url) as session:
        ticket = _rated_ticket(session, settings, token)
        language = page_language(request, lang, ticket.language)
        return _render(
            request, "rate.html", language=language, subject=ticket.subject, score=score, done=False
        )


@router.post("/rate/{token}", response_class=HTMLResponse)
def help_rate_send(
    request: Request,
    settings: SettingsDep,
    token: str,
    score: Annotated[int, Form(ge=1, le=5)],
    lang: LanguageQuery = None,
) -> HTMLResponse:
    """Record the rating for the ticket the link was made for."""
    with migrated_session(settings.storage.store_url) as session:
        ticket = _rated_ticket(session, settings, token)
        try:
            csat.rate(session, ticket=ticket, score=score, at=utcnow())
        except SupportError as error:
            raise HTTPException(status_code=409, detail=str(error)) from None
        language = page_language(request, lang, ticket.language)
        return _render(request, "rate.html", language=language, subject=ticket.subject, done=True)


def _rated_ticket(session: Session, settings: Settings, token: str) -> Ticket:
    try:
        ticket_id = csat.read_rating_token(settings, token=token, at=utcnow())
        return service.get_ticket(session=session, ticket_id=ticket_id)
    except signed_links.BadLink as error:
        raise HTTPException(status_code=403, detail=str(error)) from None
    except NotFound as error:
        raise HTTPException(status_code=404, detail=str(error)) from None
