"""The assistant for the demo: its intents, a trained and evaluated model, a month of chats.

The shipped bilingual examples are split three ways (seeded): the model learns on 60 %,
calibrates its threshold on 20 % and is evaluated on the last 20 %, which it never saw, so the
Assistant page's accuracy is an honest one. The demo's model uses TF-IDF features only, which
train in seconds on base dependencies; the optional sentence encoder encodes about two
sentences a second on a small machine, so training with it is left to ``retain assistant train``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from retain.assistant import brain as assistant_brain
from retain.assistant.encoder import encoder_available
from retain.assistant.examples import read_examples
from retain.assistant.intents import DEMO_EXAMPLES, load_intents
from retain.assistant.model import load_model, save_model, split_validation, train_intent_model
from retain.assistant.models import AssistantEvaluation
from retain.assistant.report import assistant_summary
from retain.assistant.service import answer_message, rate_conversation
from retain.demo.workflow_data import ZH, DemoData, chance, now_minute, scaled
from retain.demo.workflow_support import agent_answers
from retain.demo.workflow_texts import AGENT_SOLVED, ANSWERABLE, UNANSWERABLE
from retain.settings import Settings
from retain.store import migrated_session, session_scope
from retain.support import service as support
from retain.warehouse import connect

ENCODER_HINTS = {
    True: "retain assistant train adds the installed sentence encoder",
    False: "pip install 'retain[assistant]' adds the sentence encoder",
}
CHAT_DAYS = 28


def prepare_assistant(settings: Settings, data: DemoData, seed: int) -> str:
    """Check the intents, train and evaluate the model once, then hold a month of chats."""
    intents = load_intents(assistant_brain.intents_path(settings))
    with migrated_session(settings.storage.store_url) as session:
        summary = assistant_summary(session, since=datetime(1970, 1, 1))
    trained = ""
    if summary.evaluated_at is None or not assistant_brain.model_path(settings).exists():
        trained = _train_and_evaluate(settings, seed) + "; "
    if summary.conversations:
        chats = f"{summary.conversations} conversations already held"
    else:
        chats = _hold_conversations(settings, data, seed)
    hint = ENCODER_HINTS[encoder_available()]
    return f"{len(intents)} intents; {trained}{chats} (TF-IDF model: {hint})"


def _train_and_evaluate(settings: Settings, seed: int) -> str:
    examples = read_examples(DEMO_EXAMPLES)
    learning, test = split_validation(examples, seed=seed)
    train, calibration = split_validation(learning, seed=seed)
    model = train_intent_model(
        train,
        calibration,
        embed=None,
        out_of_scope_label=settings.assistant.out_of_scope_label,
        target_escalation=settings.assistant.target_escalation,
    )
    path = assistant_brain.model_path(settings)
    save_model(model, path)
    result = assistant_brain.evaluate(load_model(path), test, embed=None)
    with session_scope(settings.storage.store_url) as session:
        session.add(
            AssistantEvaluation(
                evaluated_at=now_minute(),
                examples_file=f"{DEMO_EXAMPLES.name} (held-out 20 %, seed {seed})",
                **result.as_dict(),
            )
        )
    return (
        f"model trained on {len(train)} examples, answered accuracy "
        f"{result.answered_accuracy:.0%} on {len(test)} unseen"
    )


def _hold_conversations(settings: Settings, data: DemoData, seed: int) -> str:
    """Customers ask the assistant over the last four weeks; it answers or hands them off."""
    brain = assistant_brain.load_brain(settings)
    now = now_minute()
    customers = data.pick_customers(
        seed, "assistant", scaled(len(data.customers), per=80, low=30, high=80)
    )
    backend = connect(settings.storage.resolved_warehouse_url)
    handed_off = 0
    try:
        with migrated_session(settings.storage.store_url) as session:
            for customer_id in customers:
                handed_off += _chat(session, settings, brain, backend, data, seed, customer_id, now)
    finally:
        backend.disconnect()
    return f"{len(customers)} conversations, {handed_off} handed off to the support desk"


def _chat(
    session: Session,
    settings: Settings,
    brain: assistant_brain.Brain,
    backend: BaseBackend,
    data: DemoData,
    seed: int,
    customer_id: str,
    now: datetime,
) -> int:
    draw = chance(seed, "chat", customer_id)
    language = data.language_by_customer[customer_id]
    pool = UNANSWERABLE if draw.random() < 0.2 else ANSWERABLE
    english, chinese = draw.choice(pool)
    at = now - timedelta(days=draw.uniform(0, CHAT_DAYS), minutes=10)
    reply = answer_message(
        session=session,
        settings=settings,
        brain=brain,
        text=chinese if language == ZH else english,
        customer_id=customer_id,
        language=language,
        backend=backend,
        at=at,
    )
    if draw.random() < 0.5:
        helped = reply.resolution in ("intent", "article", "generated")
        rating = draw.choice((4, 5, 5)) if helped else draw.choice((1, 2, 3))
        rate_conversation(
            session=session,
            conversation_id=reply.conversation_id,
            customer_id=customer_id,
            rating=rating,
            at=at + timedelta(minutes=2),
        )
    if reply.ticket_id is None:
        return 0
    if now - at > timedelta(days=2):
        # Older hand-offs were answered and solved by a person since.
        ticket = support.get_ticket(session=session, ticket_id=reply.ticket_id)
        solved_at = at + timedelta(hours=draw.uniform(1, 20))
        body = AGENT_SOLVED[language]
        agent_answers(session, ticket, body=body, status="solved", at=solved_at)
    return 1
