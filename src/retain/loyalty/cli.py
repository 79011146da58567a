"""``retain loyalty`` and ``retain referrals``: thin commands over the loyalty services."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from retain.clock import utcnow
from retain.output import FormatOption, OutputFormat, command_on_warehouse, command_session, render

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(help="Loyalty programme: points, tiers, rewards.", no_args_is_help=True)
rules_app = typer.Typer(help="The earning rules.", no_args_is_help=True)
tiers_app = typer.Typer(help="Tiers and tier history.", no_args_is_help=True)
referrals_app = typer.Typer(help="Referral programme.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(tiers_app, name="tiers")
app.add_typer(referrals_app, name="referrals")

AtOption = Annotated[
    datetime | None, typer.Option("--at", help="Act as of this UTC time (default: now).")
]
T = TypeVar("T")


def register(root: typer.Typer) -> None:
    """Mount ``retain loyalty`` and its ``retain referrals`` shortcut on the root command."""

    root.add_typer(app, name="loyalty")
    root.add_typer(referrals_app, name="referrals")


def _session() -> AbstractContextManager[Session]:
    """A store transaction in which a loyalty or rules error ends the command with exit code 2."""
    from retain.loyalty.ledger import LoyaltyError
    from retain.loyalty.rules import RulesError

    return command_session(LoyaltyError, RulesError)


def _entry_row(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "source": entry.source,
        "points": entry.points,
        "created_at": entry.created_at,
        "available_at": entry.available_at,
        "expires_at": entry.expires_at,
        "reference": entry.reference,
    }


@app.command("enroll")
def enroll_command(
    customer_id: str,
    email: Annotated[str | None, typer.Option(help="For referral checks.")] = None,
    language: Annotated[str, typer.Option(help="en or zh-CN, for the member page.")] = "en",
    at: AtOption = None,
) -> None:
    """Enrol a customer in the programme."""
    from retain.loyalty import service

    with _session() as session:
        member = service.enroll(
            session=session,
            customer_id=customer_id,
            enrolled_at=at or utcnow(),
            email=email,
            language=language,
        )
        typer.echo(f"{member.customer_id} enrolled; referral code {member.referral_code}")


@app.command("earn")
def earn_command(output_format: FormatOption = OutputFormat.table) -> None:
    """Earn points for members' orders in the warehouse; reverse returned ones. Idempotent."""
    from retain.loyalty import orders

    summary = command_on_warehouse(
        lambda settings, backend: orders.earn_from_orders(
            store_url=settings.storage.store_url, backend=backend
        )
    )
    render([summary.__dict__], output_format=output_format, title="Earned from orders")


@app.command("event")
def event_command(
    customer_id: str,
    event: Annotated[str, typer.Argument(help="review, survey, profile or birthday.")],
    key: Annotated[str, typer.Argument(help="What earned it, e.g. the review id.")],
    at: AtOption = None,
) -> None:
    """Earn the points the rules give for an event, once per key."""
    from retain.loyalty import service

    with _session() as session:
        posting = service.earn_event(
            session=session,
            rules=service.load_rules(session=session),
            customer_id=customer_id,
            event=event,
            key=key,
            at=at or utcnow(),
        )
        state = "earned" if posting.created else "already earned"
        typer.echo(f"{customer_id}: {posting.entry.points} points {state}")


@app.command("balance")
def balance_command(
    customer_id: str, at: AtOption = None, output_format: FormatOption = OutputFormat.table
) -> None:
    """A member's available and pending points."""
    from retain.loyalty import ledger, service

    with _session() as session:
        service.get_member(session=session, customer_id=customer_id)
        found = ledger.balance(session=session, customer_id=customer_id, at=at or utcnow())
    render([found.__dict__], output_format=output_format, title="Balance")


@app.command("history")
def history_command(
    customer_id: str,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """A member's ledger entries, newest first."""
    from retain.loyalty import service

    with _session() as session:
        found = service.history(
            session=session, customer_id=customer_id, limit=limit, offset=offset
        )
        rows = [_entry_row(entry) for entry in found]
    render(rows, output_format=output_format, title=f"Ledger of {customer_id}")


@app.command("adjust")
def adjust_command(
    customer_id: str,
    points: Annotated[int, typer.Argument(help="Positive adds, negative deducts.")],
    note: Annotated[str, typer.Option(help="Why (kept on the entry).")],
    key: Annotated[str, typer.Option(help="Idempotency key; a retry with it is harmless.")],
    at: AtOption = None,
) -> None:
    """Correct a balance with a compensating entry."""
    from retain.loyalty import service

    if points == 0:
        typer.echo("error: an adjustment needs a non-zero number of points", err=True)
        raise typer.Exit(code=2)
    with _session() as session:
        posting = service.adjust(
            session=session,
            rules=service.load_rules(session=session),
            customer_id=customer_id,
            points=points,
            key=key,
            at=at or utcnow(),
            note=note,
        )
        typer.echo(f"{customer_id}: entry {posting.entry.id}, {posting.entry.points} points")


@app.command("redeem")
def redeem_command(
    customer_id: str,
    reward: str,
    key: Annotated[str, typer.Option(help="Idempotency key; a retry with it is harmless.")],
    confirm: Annotated[
        bool, typer.Option(help="Confirm at once instead of only reserving.")
    ] = True,
    at: AtOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Redeem a reward from the catalogue: reserve its points, then (by default) confirm."""
    from retain.loyalty import rewards, service

    moment = at or utcnow()
    with _session() as session:
        redemption = rewards.reserve_reward(
            session=session,
            rules=service.load_rules(session=session),
            customer_id=customer_id,
            reward_name=reward,
            key=key,
            at=moment,
        )
        if confirm:
            rewards.confirm_redemption(session=session, code=redemption.code, at=moment)
        row = {
            "code": redemption.code,
            "reward": redemption.reward,
            "points": redemption.points,
            "status": redemption.status,
        }
    render([row], output_format=output_format, title="Redemption")


@app.command("release")
def release_command(code: str, at: AtOption = None) -> None:
    """Release a reserved reward; its points return to the member."""
    from retain.loyalty import rewards

    with _session() as session:
        redemption = rewards.release_redemption(session=session, code=code, at=at or utcnow())
        typer.echo(f"{redemption.code}: {redemption.status}")


@app.command("coupon")
def coupon_command(
    code: str,
    customer_id: Annotated[str | None, typer.Option(help="Check it belongs to them.")] = None,
    at: AtOption = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Validate a coupon code as the shop would."""
    from retain.loyalty import rewards, service

    with _session() as session:
        checked = rewards.check_coupon(
            session=session,
            rules=service.load_rules(session=session),
            code=code,
            at=at or utcnow(),
            customer_id=customer_id,
        )
    render([checked.__dict__], output_format=output_format, title="Coupon")


@app.command("expire")
def expire_command(at: AtOption = None) -> None:
    """Expire points past their expiry and release lapsed reward holds."""
    from retain.loyalty import rewards, service

    moment = at or utcnow()
    with _session() as session:
        expired = service.expire_all(session=session, at=moment)
        released = rewards.release_lapsed(session=session, at=moment)
    typer.echo(f"{expired} points expired; {released} lapsed reservations released")


@app.command("link")
def link_command(
    customer_id: str,
    language: Annotated[str, typer.Option(help="en or zh-CN.")] = "en",
    days: Annotated[int, typer.Option(min=1, max=365, help="Days the link works.")] = 30,
) -> None:
    """Print a signed, expiring path to the member's page."""
    from retain.auth.sessions import signing_key
    from retain.clock import utcnow
    from retain.locales import normalise_language
    from retain.loyalty import member_page, service
    from retain.settings import get_settings

    settings = get_settings()
    if normalise_language(language) is None:
        typer.echo("error: use --language en or zh-CN", err=True)
        raise typer.Exit(code=2)
    with _session() as session:
        service.get_member(session=session, customer_id=customer_id)
    expires_at = member_page.link_expiry(utcnow(), days)
    token = member_page.sign_link(
        secret=signing_key(settings),
        customer_id=customer_id,
        language=language,
        expires_at=expires_at,
    )
    typer.echo(member_page.member_path(token))


@app.command("export")
def export_command() -> None:
    """Copy new ledger entries to the warehouse table loyalty_event."""
    from retain.loyalty import events

    count = command_on_warehouse(
        lambda settings, backend: events.export_events(
            store_url=settings.storage.store_url, backend=backend
        )
    )
    typer.echo(f"{count} loyalty events added to the warehouse")


@app.command("report")
def report_command(at: AtOption = None, output_format: FormatOption = OutputFormat.table) -> None:
    """Liability, redemption rate and tier moves of the programme."""
    from retain.loyalty import report, service

    with _session() as session:
        summary = report.programme_summary(
            session=session, rules=service.load_rules(session=session), at=at or utcnow()
        )
    render([summary], output_format=output_format, title="Loyalty programme")


@app.command("retention")
def retention_command(
    window_days: Annotated[int, typer.Option(min=1, help="Days after enrolment.")] = 180,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Members' repeat rate and spend against matched non-members, with 95% intervals."""
    from sqlalchemy import select

    from retain.currency.service import list_rates
    from retain.loyalty import report
    from retain.loyalty.models import LoyaltyMember

    with _session() as session:
        members = dict(
            session.execute(select(LoyaltyMember.customer_id, LoyaltyMember.enrolled_at)).all()
        )
        rates = list_rates(session=session)
    compared = command_on_warehouse(
        lambda _settings, backend: report.compare_retention(
            backend=backend, members=members, window_days=window_days, rates=rates
        )
    )
    render([compared.as_dict()], output_format=output_format, title="Retention of members")


@rules_app.command("load")
def rules_load(path: Path) -> None:
    """Validate a rules YAML file and put it in force."""
    from retain.loyalty import service

    with _session() as session:
        service.save_rules(session=session, text=path.read_text(encoding="utf-8"), at=utcnow())
    typer.echo(f"rules from {path} in force")


@rules_app.command("show")
def rules_show() -> None:
    """Print the rules in force as YAML."""
    import yaml

    from retain.loyalty import service

    with _session() as session:
        rules = service.load_rules(session=session)
    typer.echo(yaml.safe_dump(rules.model_dump(mode="json"), sort_keys=False, allow_unicode=True))


@rules_app.command("preview")
def rules_preview(
    path: Annotated[Path | None, typer.Argument(help="Rules to try (default: in force).")] = None,
    start: Annotated[datetime | None, typer.Option(help="First order time.")] = None,
    end: Annotated[datetime | None, typer.Option(help="Last order time.")] = None,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Simulate rules on past orders: points and their value per month."""
    from retain.loyalty import orders, service
    from retain.loyalty.rules import RulesError, parse_rules

    try:
        if path is not None:
            rules = parse_rules(path.read_text(encoding="utf-8"))
        else:
            with _session() as session:
                rules = service.load_rules(session=session)
    except RulesError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    rows = command_on_warehouse(
        lambda _settings, backend: orders.simulate(
            backend=backend, rules=rules, start=start, end=end
        )
    )
    render(rows, output_format=output_format, title="Rules preview")


@tiers_app.command("evaluate")
def tiers_evaluate(at: AtOption = None, output_format: FormatOption = OutputFormat.table) -> None:
    """Promote and demote members by the rules; print the changes."""
    from retain.loyalty import service, tiers
    from retain.settings import get_settings

    settings = get_settings()
    with _session() as session:
        changes = tiers.evaluate_tiers(
            session=session,
            rules=service.load_rules(session=session),
            at=at or utcnow(),
            reporting_currency=settings.region.reporting_currency,
        )
        rows = [_change_row(change) for change in changes]
    render(rows, output_format=output_format, title="Tier changes")


@tiers_app.command("history")
def tiers_history(
    customer_id: Annotated[str | None, typer.Argument()] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Tier changes, newest first."""
    from retain.loyalty import tiers

    with _session() as session:
        changes = tiers.tier_history(
            session=session, customer_id=customer_id, limit=limit, offset=offset
        )
        rows = [_change_row(change) for change in changes]
    render(rows, output_format=output_format, title="Tier history")


def _change_row(change: Any) -> dict[str, Any]:
    return {
        "customer_id": change.customer_id,
        "changed_at": change.changed_at,
        "from_tier": change.from_tier,
        "to_tier": change.to_tier,
        "qualifying_value": change.qualifying_value,
        "reason": change.reason,
    }


@referrals_app.command("link")
def referral_link_command(customer_id: str) -> None:
    """A member's personal referral code and link."""
    from retain.loyalty import referrals, service

    with _session() as session:
        member = service.get_member(session=session, customer_id=customer_id)
        link = referrals.referral_link(rules=service.load_rules(session=session), member=member)
    typer.echo(f"{member.referral_code} {link}")


@referrals_app.command("visit")
def referral_visit(
    code: str,
    friend_id: str,
    email: Annotated[str | None, typer.Option(help="The friend's e-mail.")] = None,
    ip: Annotated[str | None, typer.Option(help="The friend's IP address.")] = None,
    device: Annotated[str | None, typer.Option(help="The friend's device id.")] = None,
    at: AtOption = None,
) -> None:
    """Record a friend who arrived with a referral code; print the checks' verdict."""
    from retain.loyalty import referrals, service

    visit = referrals.Visit(
        code=code, friend_id=friend_id, friend_email=email, ip=ip, device=device
    )
    with _session() as session:
        referral = referrals.register_referral(
            session=session,
            rules=service.load_rules(session=session),
            visit=visit,
            at=at or utcnow(),
        )
        typer.echo(f"referral {referral.id}: {referral.status} {referral.findings}".rstrip())


@referrals_app.command("list")
def referral_list(
    status: Annotated[str | None, typer.Option(help="Only this status, e.g. review.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    output_format: FormatOption = OutputFormat.table,
) -> None:
    """Referrals, newest first."""
    from retain.loyalty import referrals

    with _session() as session:
        found = referrals.list_referrals(session=session, status=status, limit=limit, offset=offset)
        rows = [
            {
                "id": item.id,
                "referrer_id": item.referrer_id,
                "friend_id": item.friend_id,
                "status": item.status,
                "findings": item.findings,
                "order_id": item.order_id,
            }
            for item in found
        ]
    render(rows, output_format=output_format, title="Referrals")


@referrals_app.command("approve")
def referral_approve(referral_id: int) -> None:
    """Clear a referral flagged for review."""
    from retain.loyalty import referrals, service

    with _session() as session:
        referral = referrals.approve_referral(
            session=session, rules=service.load_rules(session=session), referral_id=referral_id
        )
        typer.echo(f"referral {referral.id}: {referral.status}")


@referrals_app.command("reward")
def referral_reward(at: AtOption = None) -> None:
    """Reward both sides of referrals whose friend's order is past the return window."""
    from retain.loyalty import orders, referrals, service

    returned = command_on_warehouse(lambda _settings, backend: orders.undone_orders(backend))
    with _session() as session:
        due = referrals.reward_referrals(
            session=session,
            rules=service.load_rules(session=session),
            at=at or utcnow(),
            returned=returned,
        )
        rewarded = sum(item.status == "rewarded" for item in due)
    typer.echo(f"{rewarded} referrals rewarded, {len(due) - rewarded} cancelled")
