"""`kefu keys ...`: API keys for the HTTP service (stored hashed; the key is shown once)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from api.cli.console import JsonFlag, console, err_console, print_json
from api.cli.exits import ExitCode, KefuGroup, exit_with, fail
from api.models import ROLES
from api.schemas import KeyInfo, Timestamp

if TYPE_CHECKING:
    from ingest.db import Database

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True, cls=KefuGroup)


class KeyListing(KeyInfo):
    """A key as `kefu keys list --json` shows it: GET /v1/me's fields and when it was used (never the secret)."""

    prefix: str
    created_at: Timestamp
    last_used_at: Timestamp
    revoked_at: Timestamp


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


def _database() -> Database:
    from ingest.config import get_settings
    from ingest.db import open_database

    return open_database(get_settings().sql_url)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@keys_app.command("create")
def create(
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    tenant: str = typer.Option(..., "--tenant", help="The tenant whose data the key may touch."),
    kb: list[str] = typer.Option([], "--kb", help="Limit the key to this knowledge base (repeatable)."),
    name: str = typer.Option("", "--name", help="A label to recognise the key by."),
) -> None:
    """Create a key and print it (only this once: it is stored hashed)."""
    from api.auth import create_key

    try:
        with _database().session() as session:
            created = create_key(session, role=role, tenant=tenant, kbs=kb, name=name)
            key_id = created.row.id
    except ValueError as exc:
        exit_with(exc, ExitCode.USAGE)
    print(created.key)  # alone on stdout, so scripts can capture it
    err_console.print(
        f"[dim]id {key_id} · role {role} · tenant {tenant}"
        + (f" · kbs {', '.join(kb)}" if kb else " · all knowledge bases of the tenant")
        + " · store it now: it cannot be shown again[/]"
    )


@keys_app.command("list")
def list_command(
    tenant: str | None = typer.Option(None, "--tenant", help="Only this tenant's keys."),
    as_json: JsonFlag = False,
) -> None:
    """Keys with their role and scope (never the secret)."""
    from api.auth import list_keys

    if as_json:
        with _database().session() as session:
            print_json(
                [
                    KeyListing(
                        id=row.id,
                        name=row.name,
                        role=row.role,
                        tenant=row.tenant,
                        kbs=list(row.kbs or []),
                        prefix=row.prefix,
                        created_at=row.created_at,
                        last_used_at=row.last_used_at,
                        revoked_at=row.revoked_at,
                    )
                    for row in list_keys(session, tenant)
                ]
            )
        return
    table = Table()
    for column in ("id", "prefix", "name", "role", "tenant", "kbs", "created", "last used", "revoked"):
        table.add_column(column, no_wrap=column in ("id", "prefix"))
    with _database().session() as session:
        for row in list_keys(session, tenant):
            table.add_row(
                row.id,
                row.prefix + "…",
                row.name,
                row.role,
                row.tenant,
                ", ".join(row.kbs) or "*",
                _when(row.created_at),
                _when(row.last_used_at),
                _when(row.revoked_at),
            )
    console.print(table)


@keys_app.command("revoke")
def revoke(
    key: str = typer.Argument(..., help="The key's id or its prefix as `kefu keys list` shows it."),
) -> None:
    """Revoke a key: requests with it get 401 from then on."""
    from api.auth import revoke_key

    with _database().session() as session:
        row = revoke_key(session, key)
        if row is None:
            fail(f"no single key matches {key!r}; use the id from `kefu keys list`", ExitCode.NOT_FOUND)
        key_id = row.id
    console.print(f"revoked {key_id}")
