"""CLI commands of the web app: ``serve``, ``keys`` and ``users`` (registered by cli.py)."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from personae.web.auth import KEY_ROLES, ROLES, AuthError, AuthStore

console = Console()
keys_app = typer.Typer(help="API keys: Segment write keys and keys for the profile API.")
users_app = typer.Typer(help="Logins for the persona library pages.")


def _auth(workspace: Path) -> AuthStore:
    from personae.workspace import Workspace, WorkspaceError

    try:
        return AuthStore(Workspace(workspace).path)
    except WorkspaceError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None


def serve(
    workspace: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    live: bool = True,
) -> None:
    """Run the web app until interrupted."""
    import uvicorn

    from personae.web.app import create_app
    from personae.workspace import Workspace, WorkspaceError

    try:
        ws = Workspace(workspace)
        with ws.connect():  # fails early, and clearly, when another process holds the file
            pass
    except WorkspaceError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    auth = AuthStore(ws.path)
    if not auth.list_users():
        console.print(
            "No logins yet: create one with "
            f"[bold]personae users add NAME --role admin -w {workspace}[/]"
        )
    if not any(k["role"] == "writer" for k in auth.list_keys()):
        console.print(
            "No write key yet: create one with "
            f"[bold]personae keys create website --role writer -w {workspace}[/]"
        )
    console.print(
        f"Serving {ws.config.workspace.name!r}: http://{host}:{port}/ "
        f"(API docs at http://{host}:{port}/docs)"
    )
    uvicorn.run(
        create_app(ws, live=live, tune_gc=True, progress=console.print),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        loop="auto",
        http="auto",
    )


def keys_create(workspace: Path, name: str, role: str) -> None:
    try:
        key = _auth(workspace).create_key(name, role)
    except AuthError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"Created a {role} key named {name!r}. It is shown only once:")
    print(key)


def keys_list(workspace: Path) -> None:
    table = Table("key id", "name", "role", "created", "revoked")
    for k in _auth(workspace).list_keys():
        table.add_row(k["key_id"], k["name"], k["role"], k["created_at"], k["revoked_at"] or "")
    console.print(table)


def keys_revoke(workspace: Path, key_id: str) -> None:
    if not _auth(workspace).revoke_key(key_id):
        console.print(f"[bold red]error:[/] no active key with id {key_id!r} (see `keys list`)")
        raise typer.Exit(2)
    console.print(f"Revoked {key_id}.")


def users_add(workspace: Path, username: str, role: str, password_env: str | None) -> None:
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            console.print(f"[bold red]error:[/] ${password_env} is empty or not set")
            raise typer.Exit(2)
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        _auth(workspace).add_user(username, password, role)
    except AuthError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    console.print(f"{username} can now log in as {role}.")


def users_list(workspace: Path) -> None:
    table = Table("user", "role", "created", "disabled")
    for u in _auth(workspace).list_users():
        table.add_row(u["username"], u["role"], u["created_at"], u["disabled_at"] or "")
    console.print(table)


ROLE_HELP = f"One of {', '.join(ROLES)}."
KEY_ROLE_HELP = f"One of {', '.join(KEY_ROLES)} (writer = Segment write key)."
