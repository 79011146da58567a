"""``retain users`` and ``retain keys``: manage who may use the dashboard and the API."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from retain.auth.roles import Role
from retain.output import FormatOption, OutputFormat, command_session, render

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

users_app = typer.Typer(help="Dashboard users.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
T = TypeVar("T")
RoleOption = Annotated[Role, typer.Option("--role", help="What the user or key may do.")]


def register(app: typer.Typer) -> None:
    """Mount ``users`` and ``keys`` on the main command."""
    app.add_typer(users_app, name="users")
    app.add_typer(keys_app, name="keys")


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _in_store(work: Callable[[Session], T]) -> T:
    """Run ``work`` in a store transaction; an AuthError ends the command with exit code 2."""
    from retain.auth.service import AuthError

    with command_session(AuthError) as session:
        return work(session)


@users_app.command("create")
def create_user(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: RoleOption = Role.viewer,
    language: Annotated[
        str | None,
        typer.Option(help="en or zh-CN; without it the dashboard follows the browser."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a dashboard user; the password is asked for (never given on the command line)."""
    from retain.auth import service

    password = _read_password(password_stdin)
    _in_store(
        lambda session: service.create_user(
            session=session,
            username=username,
            password=password,
            role=role,
            language=language,
            actor=_actor(),
        )
    )
    typer.echo(f"user {username} created with role {role.value}")


@users_app.command("password")
def change_password(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a new password; the user's sessions end."""
    from retain.auth import service

    password = _read_password(password_stdin)
    _in_store(
        lambda session: service.set_password(
            session=session, username=username, password=password, actor=_actor()
        )
    )
    typer.echo(f"password of {username} changed")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("list")
def list_users(output_format: FormatOption = OutputFormat.table) -> None:
    """Every dashboard user."""
    from retain.auth import service

    rows = _in_store(
        lambda session: [
            {"username": u.username, "role": u.role, "active": u.active, "created": u.created_at}
            for u in service.list_users(session=session)
        ]
    )
    render(rows, output_format=output_format, title="Users")


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'shop webhook'.")],
    role: RoleOption = Role.viewer,
) -> None:
    """Issue an API key and print it once; only its digest is stored."""
    from retain.auth import service

    issued = _in_store(
        lambda session: service.create_key(session=session, name=name, role=role, actor=_actor())
    )
    typer.echo(f"key {issued.id} ({issued.name}, {issued.role.value}); shown only now:", err=True)
    typer.echo(issued.token)


@keys_app.command("revoke")
def revoke_key(
    key_id: Annotated[int, typer.Argument(help="The key's id (see keys list).")],
) -> None:
    """Revoke an API key: requests with it are refused from now on."""
    from retain.auth import service

    _in_store(lambda session: service.revoke_key(session=session, key_id=key_id, actor=_actor()))
    typer.echo(f"key {key_id} revoked")


@keys_app.command("list")
def list_keys(output_format: FormatOption = OutputFormat.table) -> None:
    """Every API key with its role and last use (never the secret)."""
    from retain.auth import service

    rows = _in_store(
        lambda session: [
            {
                "id": k.id,
                "name": k.name,
                "role": k.role,
                "prefix": k.prefix,
                "last_used": k.last_used_at,
                "revoked": k.revoked_at,
            }
            for k in service.list_keys(session=session)
        ]
    )
    render(rows, output_format=output_format, title="API keys")
