"""The public survey page: question, score scale and a "why?" box, in English or Chinese."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from retain.feedback.models import Survey
from retain.feedback.surveys import SCALES
from retain.locales import language_or_default, ui_text

_environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def render_survey_page(
    *, survey: Survey, language: str, answered: bool = False, done: bool = False
) -> str:
    """The page for one invitation: the form, or a thank-you once answered."""
    page_language = language_or_default(language)
    low, high = SCALES[survey.kind]
    return _environment.get_template("survey.html").render(
        language=page_language,
        text=ui_text("survey_page", page_language),
        question=survey.question_zh if page_language == "zh-CN" else survey.question_en,
        scale=range(low, high + 1),
        answered=answered,
        done=done,
    )
