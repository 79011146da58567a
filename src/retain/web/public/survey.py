"""The public survey page ``/s/{token}``: question, score scale and a "why?" box, in English or
Chinese, opened by a signed personal link (so outside API authentication)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from retain import signed_links
from retain.auth.sessions import signing_key
from retain.clock import utcnow
from retain.dependencies import SessionDep, SettingsDep, answering
from retain.feedback import surveys
from retain.feedback.models import Survey
from retain.feedback.surveys import SCALES
from retain.locales import language_or_default, ui_text
from retain.settings import Settings
from retain.web.rendering import render_html

router = APIRouter(prefix="/s", tags=["survey pages"])
# What opening and answering a survey may raise, as HTTP statuses (subclasses first).
ERROR_STATUSES: dict[type[Exception], int] = {surveys.UnknownSurvey: 404, surveys.SurveyError: 409}


def render_survey_page(
    *, survey: Survey, language: str, answered: bool = False, done: bool = False
) -> str:
    """The page for one invitation: the form, or a thank-you once answered."""
    page_language = language_or_default(language)
    low, high = SCALES[survey.kind]
    return render_html(
        "survey/survey.html",
        language=page_language,
        text=ui_text("survey_page", page_language),
        question=survey.question_zh if page_language == "zh-CN" else survey.question_en,
        scale=range(low, high + 1),
        answered=answered,
        done=done,
    )


def _invitation(settings: Settings, session: Session, token: str) -> Any:
    try:
        return surveys.open_link(
            session=session, secret=signing_key(settings), token=token, at=utcnow()
        )
    except signed_links.BadLink as error:
        raise HTTPException(status_code=403, detail=str(error)) from None


@router.get("/{token}", response_class=HTMLResponse)
def get_survey_page(settings: SettingsDep, session: SessionDep, token: str) -> HTMLResponse:
    """The survey form of a signed personal link."""
    with answering(ERROR_STATUSES):
        invitation, survey = _invitation(settings, session, token)
        page = render_survey_page(
            survey=survey,
            language=invitation.language,
            answered=invitation.answered_at is not None,
        )
    return HTMLResponse(page)


@router.post("/{token}", response_class=HTMLResponse)
def post_survey_page(
    settings: SettingsDep,
    session: SessionDep,
    token: str,
    score: Annotated[int, Form()],
    comment: Annotated[str | None, Form(max_length=5000)] = None,
) -> HTMLResponse:
    """Record the answer of a signed personal link, once."""
    with answering(ERROR_STATUSES):
        invitation, survey = _invitation(settings, session, token)
        if invitation.answered_at is not None:
            page = render_survey_page(survey=survey, language=invitation.language, answered=True)
            return HTMLResponse(page, status_code=409)
        surveys.answer(
            session=session,
            secret=signing_key(settings),
            token=token,
            score=score,
            comment=comment,
            at=utcnow(),
        )
        page = render_survey_page(survey=survey, language=invitation.language, done=True)
    return HTMLResponse(page)
