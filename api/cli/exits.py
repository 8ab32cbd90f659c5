"""The exit codes of every `kefu` command, and the one place that turns errors into them.

    0  ok
    1  failure: the command ran and something failed (a file that did not ingest, a failed gate)
    2  usage: invalid arguments or input (click's own usage errors exit 2 as well)
    3  not found: a knowledge base, data set, ticket, FAQ candidate, run or key that does not exist
    4  unavailable: something the command needs is not there (a model, an eval arm, a port)
    5  conflict: the state forbids it (a ticket another agent holds, a candidate already reviewed)

Commands raise the components' own errors, each a KefuError of one kind (ingest.errors), which
decides the code; KefuGroup and KefuCommand print the message to stderr and exit with it.
`fail()` is for errors the CLI itself finds.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any, NoReturn

import typer
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from api.cli.console import err_console
from ingest.errors import Conflict, InvalidInput, KefuError, NotFound, Unavailable, kind_of


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    NOT_FOUND = 3
    UNAVAILABLE = 4
    CONFLICT = 5


def fail(message: str, code: ExitCode = ExitCode.FAILURE) -> NoReturn:
    """Print the error (plain text: brackets in it are not markup) to stderr and exit with its code."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(int(code))


CODES: dict[type[KefuError], ExitCode] = {
    NotFound: ExitCode.NOT_FOUND,
    InvalidInput: ExitCode.USAGE,
    Conflict: ExitCode.CONFLICT,
    Unavailable: ExitCode.UNAVAILABLE,
    KefuError: ExitCode.FAILURE,
}


def exit_code_for(exc: BaseException | type[BaseException]) -> ExitCode | None:
    """The code of a KefuError (or its class) by its kind (ingest.errors); None for anything
    else (a bug: its traceback is shown)."""
    cls = exc if isinstance(exc, type) else type(exc)
    return CODES[kind_of(cls)] if issubclass(cls, KefuError) else None


def _kb_not_found(exc: Any) -> str:
    from ingest.config import get_settings
    from ingest.db import open_database
    from ingest.registry import list_kbs

    with open_database(get_settings().sql_url).session() as session:
        names = [kb.name for kb in list_kbs(session)]
    return (
        f"no knowledge base {exc.name!r}; existing: {', '.join(names) or '(none)'}"
        f" (create one with `kefu ingest PATH --kb {exc.name}`)"
    )


def describe(exc: BaseException) -> str:
    """The message shown for a known error."""
    from ingest.registry import KnowledgeBaseNotFound

    messages: dict[type[BaseException], Callable[[Any], str]] = {KnowledgeBaseNotFound: _kb_not_found}
    for kind, message in messages.items():
        if isinstance(exc, kind):
            return message(exc)
    return str(exc)


def exit_with(exc: Exception, default: ExitCode) -> NoReturn:
    """Exit after printing the error: with its own code when it has one, else `default`
    (for a command that knows what a plain ValueError means where it called)."""
    fail(describe(exc), exit_code_for(exc) or default)


def report_and_exit(exc: Exception) -> None:
    """Exit with the error's code after printing it, or re-raise an error with no code."""
    code = exit_code_for(exc)
    if code is None:
        raise exc
    fail(describe(exc), code)


class _ErrorExits:
    # ctx is typer's own (vendored) click Context, which typer does not export.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # typer's own exits and usage errors (typer vendors click: not click's classes)
        except Exception as exc:
            report_and_exit(exc)


class KefuGroup(_ErrorExits, TyperGroup):
    """A command group whose commands exit with ExitCode on known errors."""


class KefuCommand(_ErrorExits, TyperCommand):
    """A top-level command that exits with ExitCode on known errors."""
