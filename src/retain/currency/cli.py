"""``retain fx``: exchange rates to the reporting currency."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from retain.output import FormatOption, OutputFormat, command_session, render

app = typer.Typer(help="Exchange rates to the reporting currency.", no_args_is_help=True)


@app.command("set")
def set_command(
    currency: Annotated[str, typer.Argument(help="ISO 4217 code, e.g. CNY.")],
    rate: Annotated[str, typer.Argument(help="Units of the reporting currency per unit.")],
) -> None:
    """Set the rate at which ``currency`` converts to the reporting currency."""
    from retain.currency.service import set_rate
    from retain.settings import get_settings

    try:
        value = Decimal(rate)
        with command_session() as session:
            set_rate(session=session, currency=currency.upper(), rate=value)
    except (InvalidOperation, ValueError) as error:
        typer.echo(f"cannot set the rate: {error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"1 {currency.upper()} = {value} {get_settings().region.reporting_currency}")


@app.command("list")
def list_command(output_format: FormatOption = OutputFormat.table) -> None:
    """Print the exchange rates."""
    from retain.currency.service import list_rates
    from retain.settings import get_settings

    with command_session() as session:
        rates = list_rates(session=session)
    reporting_currency = get_settings().region.reporting_currency
    rows = [
        {"currency": code, "rate": rate, "reporting_currency": reporting_currency}
        for code, rate in sorted(rates.items())
    ]
    render(rows, output_format=output_format, title="Exchange rates")
