"""The ``retain`` command: assembled from each domain's commands.

Every ``retain`` call imports this module and every domain's ``cli``, so they import only typer,
the standard library and small Retain modules; a command imports its heavy libraries when it
runs (tests/test_cli_startup.py holds this).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from retain.assistant import cli as assistant_cli
from retain.auth import cli as auth_cli
from retain.churn import cli as churn_cli
from retain.currency import cli as currency_cli
from retain.demo import cli as demo_cli
from retain.engage import cli as engage_cli
from retain.errors import RetainError
from retain.feedback import cli as feedback_cli
from retain.ingest import cli as ingest_cli
from retain.jobs import cli as jobs_cli
from retain.lifetime import cli as lifetime_cli
from retain.loyalty import cli as loyalty_cli
from retain.messaging import cli as messaging_cli
from retain.metrics import cli as metrics_cli
from retain.output import FormatOption, OutputFormat, command_warehouse, render
from retain.returns import cli as returns_cli
from retain.segments import cli as segments_cli
from retain.support import cli as support_cli


class RetainApp(typer.Typer):
    """The root command: an expected failure ends it with one line and its exit code."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except RetainError as error:
            typer.echo(f"error: {error}", err=True)
            sys.exit(error.exit_code)


app = RetainApp(
    help="Retain: customer retention, measured, predicted and acted on.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
config_app = typer.Typer(help="Settings.", no_args_is_help=True)
db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
warehouse_app = typer.Typer(help="The analytics warehouse.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(currency_cli.app, name="fx")
ingest_cli.register(app)
demo_cli.register(app)
metrics_cli.register(app)
lifetime_cli.register(app)
auth_cli.register(app)
churn_cli.register(app)
loyalty_cli.register(app)
engage_cli.register(app)
segments_cli.register(app)
messaging_cli.register(app)
jobs_cli.register(app)
returns_cli.register(app)
support_cli.register(app)
assistant_cli.register(app)
feedback_cli.register(app)


@config_app.command("show")
def show_config(output_format: FormatOption = OutputFormat.table) -> None:
    """Print the effective settings, secrets masked."""
    from retain.settings import get_settings

    render(get_settings().masked(), output_format=output_format, title="Settings")


@config_app.command("docs")
def config_docs() -> None:
    """Print docs/configuration.md: every setting with its type, default and description."""
    from retain.settings import render_reference

    typer.echo(render_reference(), nl=False)


@db_app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the store's tables."""
    from retain.settings import get_settings
    from retain.store import upgrade_store

    upgrade_store(get_settings().storage.store_url, revision)
    typer.echo(f"store at revision {revision}")


@warehouse_app.command("status")
def warehouse_status(output_format: FormatOption = OutputFormat.table) -> None:
    """Row counts of the canonical warehouse tables."""
    from retain.warehouse import row_counts

    with command_warehouse() as backend:
        counts = row_counts(backend)
    rows = [{"table": table, "rows": count} for table, count in counts.items()]
    render(rows, output_format=output_format, title="Warehouse")


@warehouse_app.command("index")
def warehouse_index() -> None:
    """Index customer_id in every fact table: fast customer-360 reads, slower imports."""
    from retain.warehouse.connection import create_customer_indexes

    with command_warehouse(ValueError) as backend:
        made = create_customer_indexes(backend)
    typer.echo(f"{len(made)} indexes in place: {', '.join(made)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    dev: Annotated[
        bool, typer.Option("--dev", help="Also serve the API docs (/docs, OpenAPI) to anyone.")
    ] = False,
) -> None:
    """Serve the dashboard and the API."""
    from retain.api import serve as serve_api

    serve_api(host=host, port=port, dev=dev)
