"""`kefu config`: the settings this deployment runs with (every KEFU_* variable, secrets masked),
or README's table of all of them with their defaults (--markdown)."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.console import JsonFlag, console, print_json
from api.cli.exits import ExitCode, fail


def register(app: typer.Typer) -> None:
    app.command("config")(config)


def config(
    markdown: bool = typer.Option(
        False, "--markdown", help="Print every variable with its default and description (README's table)."
    ),
    changed: bool = typer.Option(
        False, "--changed", help="Only the variables whose value is not the default."
    ),
    as_json: JsonFlag = False,
) -> None:
    """The effective settings: each KEFU_* variable's value in this environment (and .env), secrets masked."""
    from pydantic import ValidationError

    from ingest.config import get_settings
    from ingest.config_view import effective, markdown_table, shown

    if markdown:
        typer.echo(markdown_table())
        return
    try:
        rows = effective(get_settings())
    except ValidationError as exc:
        fail(f"invalid settings: {exc}", ExitCode.USAGE)
    if changed:
        rows = [row for row in rows if not row["default"]]
    if as_json:
        print_json({row["variable"]: row["value"] for row in rows})
        return
    table = Table("group", "variable", "value", box=None)
    for row in rows:
        value = escape(shown(row["value"]))
        table.add_row(row["group"], row["variable"], value if row["default"] else f"[bold]{value}[/] *")
    console.print(table)
    console.print("* set by the environment or .env; secrets are masked", style="dim")
