"""Generative answers against a local stub of an OpenAI-compatible ``/v1/chat/completions``."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from retain.assistant.brain import load_brain
from retain.assistant.service import answer_message
from retain.settings import Settings
from retain.store import ensure_store, session_scope
from retain.support.knowledge import create_article
from retain.support.models import Ticket

AT = datetime(2026, 11, 2, 10, 0)
KEY = "sk-test-not-a-real-key-123"


class StubModel:
    """Records the requests; answers with ``reply`` as a chat completion."""

    def __init__(self) -> None:
        self.reply = ""
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str | None] = []


@pytest.fixture
def stub() -> Iterator[tuple[StubModel, str]]:
    model = StubModel()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            length = int(self.headers["Content-Length"])
            model.requests.append({"path": self.path, **json.loads(self.rfile.read(length))})
            model.authorizations.append(self.headers.get("Authorization"))
            body = json.dumps(
                {"choices": [{"message": {"role": "assistant", "content": model.reply}}]}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield model, f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _with_articles(settings: Settings) -> None:
    ensure_store(settings.storage.store_url)
    with session_scope(settings.storage.store_url) as session:
        create_article(
            session,
            slug="gift-wrapping",
            title="Gift wrapping",
            body="We gift wrap any order for 3 euros: choose gift wrapping at checkout.",
            language="en",
            status="published",
            at=AT,
        )
        create_article(
            session,
            slug="gift-cards",
            title="Gift cards",
            body="Gift cards are sold from 10 to 500 euros and never expire.",
            language="en",
            status="published",
            at=AT,
        )


def _ask(settings: Settings, text: str) -> Any:
    with session_scope(settings.storage.store_url) as session:
        return answer_message(
            session=session,
            settings=settings,
            brain=load_brain(settings),
            text=text,
            email="ann@example.com",
            at=AT,
        )


def test_answers_are_grounded_on_retrieved_articles_with_citations(
    assistant_settings: Settings, stub: tuple[StubModel, str], caplog: pytest.LogCaptureFixture
) -> None:
    model, url = stub
    settings = assistant_settings.replacing(
        assistant={"llm_base_url": url, "llm_api_key": SecretStr(KEY)}
    )
    _with_articles(settings)
    model.reply = "Yes: gift wrapping costs 3 euros and is chosen at checkout [1]."
    with caplog.at_level(logging.DEBUG):
        reply = _ask(settings, "is gift wrapping available at checkout?")
    assert reply.resolution == "generated"
    assert reply.text.startswith(model.reply)
    assert [c.title for c in reply.citations] == ["Gift wrapping"]
    assert "/help/articles/gift-wrapping" in reply.text
    request = model.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["model"] == settings.assistant.llm_model
    # The prompt carries the retrieved article, numbered as the citation refers to it.
    assert "[1] Gift wrapping" in request["messages"][0]["content"]
    assert request["messages"][1]["content"] == "is gift wrapping available at checkout?"
    assert model.authorizations == [f"Bearer {KEY}"]
    assert KEY not in caplog.text


@pytest.mark.parametrize(
    "answer",
    ["HANDOFF", "Gift wrapping is available, ask at checkout."],
    ids=["declined", "uncited"],
)
def test_a_declined_or_uncited_generation_hands_off(
    assistant_settings: Settings, stub: tuple[StubModel, str], answer: str
) -> None:
    model, url = stub
    settings = assistant_settings.replacing(assistant={"llm_base_url": url})
    _with_articles(settings)
    model.reply = answer
    reply = _ask(settings, "is gift wrapping available at checkout?")
    assert reply.resolution == "handoff" and reply.citations == []
    with session_scope(settings.storage.store_url) as session:
        tickets = session.scalars(select(Ticket.id)).all()
    assert tickets == [reply.ticket_id]


def test_an_unreachable_endpoint_hands_off(assistant_settings: Settings) -> None:
    settings = assistant_settings.replacing(
        assistant={
            "llm_base_url": "http://127.0.0.1:9/v1",
            "llm_timeout_seconds": 2,
        }
    )
    _with_articles(settings)
    assert _ask(settings, "is gift wrapping available at checkout?").resolution == "handoff"
