"""Optional generative answers through any OpenAI-compatible ``/chat/completions`` endpoint.

The model sees only the retrieved articles and must cite them as [1], [2]...; an answer that
cites none, or that says it cannot answer, is not shown: the assistant hands off instead.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from retain.settings import Settings

CANNOT_ANSWER = "HANDOFF"
CITATION = re.compile(r"\[(\d+)\]")

SYSTEM_PROMPT = (
    "You are a customer-service assistant. Answer the customer's question using only the "
    "numbered articles below, in the customer's language, in at most four sentences. Cite each "
    "fact with the article's number in square brackets, like [1]. If the articles do not answer "
    f"the question, reply with the single word {CANNOT_ANSWER}."
)


class GenerationError(RuntimeError):
    """The endpoint failed or answered something that is not a chat completion."""


@dataclass(frozen=True)
class Source:
    title: str
    body: str
    url: str


@dataclass(frozen=True)
class GeneratedAnswer:
    text: str
    cited: list[int]  # 0-based positions in the sources


def generation_enabled(settings: Settings) -> bool:
    return settings.assistant.llm_base_url is not None


def generate_answer(
    *, settings: Settings, question: str, sources: Sequence[Source]
) -> GeneratedAnswer | None:
    """A grounded answer citing ``sources``, or None when the model declines or cites nothing."""
    if settings.assistant.llm_base_url is None:
        raise GenerationError("generation is off: set RETAIN_ASSISTANT_LLM_BASE_URL")
    numbered = "\n\n".join(
        f"[{position}] {source.title}\n{source.body}"
        for position, source in enumerate(sources, start=1)
    )
    content = _complete(
        settings,
        [
            {"role": "system", "content": f"{SYSTEM_PROMPT}\n\n{numbered}"},
            {"role": "user", "content": question},
        ],
    )
    cited = sorted({int(n) - 1 for n in CITATION.findall(content) if 0 < int(n) <= len(sources)})
    if CANNOT_ANSWER in content or not cited:
        return None
    return GeneratedAnswer(text=content.strip(), cited=cited)


def _complete(settings: Settings, messages: list[dict[str, str]]) -> str:
    base = (settings.assistant.llm_base_url or "").rstrip("/")
    headers = {"Content-Type": "application/json"}
    if settings.assistant.llm_api_key is not None:
        headers["Authorization"] = f"Bearer {settings.assistant.llm_api_key.get_secret_value()}"
    payload = {"model": settings.assistant.llm_model, "messages": messages, "temperature": 0}
    request = urllib.request.Request(
        f"{base}/chat/completions",
        data=json.dumps(payload).encode(),
        headers=headers,
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310 - the URL is the operator's setting
            request, timeout=settings.assistant.llm_timeout_seconds
        ) as response:
            answer = json.loads(response.read())
        return str(answer["choices"][0]["message"]["content"])
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as error:
        # The error names the endpoint's failure, never the request headers (the key).
        raise GenerationError(f"the generative endpoint failed: {error}") from None
    except (KeyError, IndexError, TypeError):
        raise GenerationError("the generative endpoint did not answer a chat completion") from None
