"""The exit codes of every `kefu` command, and the one place that turns errors into them.

    0  ok
    1  failure: the command ran and something failed (a file that did not ingest, a failed gate)
    2  usage: invalid arguments or input (click's own usage errors exit 2 as well)
    3  not found: a knowledge base, data set, ticket, FAQ candidate, run or key that does not exist
    4  unavailable: something the command needs is not there (a model, an eval arm, a port)
    5  conflict: the state forbids it (a ticket another agent holds, a candidate already reviewed)

Commands raise the components' own errors; KefuGroup and KefuCommand print the message to stderr
and exit with the error's code. `fail()` is for errors the CLI itself finds.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any, NoReturn

import click
import typer
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup

from api.cli.console import err_console


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


def _error_codes() -> list[tuple[type[BaseException], ExitCode]]:
    """Most specific first. Imported when an error happens, so `kefu --help` loads none of them."""
    from assistant.escalation.tickets import TicketConflict, TicketNotFound
    from assistant.knowledge_loop import CandidateClosed, CandidateNotFound, FaqIngestError
    from assistant.releases import ReleaseConflict, ReleaseError, ReleaseNotFound
    from eval.arms import ArmUnavailable
    from eval.datasets import DatasetError, DatasetNotFound
    from eval.generate import GenerationFailed, GeneratorNotConfigured
    from eval.kb import KBBuildError
    from eval.store import RunNotFound
    from ingest.registry import KnowledgeBaseNotFound
    from ingest.versions import NameTaken, NotInTrash, VersionError, VersionNotFound

    return [
        (KnowledgeBaseNotFound, ExitCode.NOT_FOUND),
        (DatasetNotFound, ExitCode.NOT_FOUND),
        (TicketNotFound, ExitCode.NOT_FOUND),
        (CandidateNotFound, ExitCode.NOT_FOUND),
        (RunNotFound, ExitCode.NOT_FOUND),
        (VersionNotFound, ExitCode.NOT_FOUND),
        (NotInTrash, ExitCode.NOT_FOUND),
        (NameTaken, ExitCode.CONFLICT),
        (ReleaseNotFound, ExitCode.NOT_FOUND),
        (ReleaseError, ExitCode.USAGE),
        (ReleaseConflict, ExitCode.CONFLICT),
        (VersionError, ExitCode.FAILURE),
        (TicketConflict, ExitCode.CONFLICT),
        (CandidateClosed, ExitCode.CONFLICT),
        (ArmUnavailable, ExitCode.UNAVAILABLE),
        (GeneratorNotConfigured, ExitCode.UNAVAILABLE),
        (DatasetError, ExitCode.USAGE),
        (KBBuildError, ExitCode.FAILURE),
        (FaqIngestError, ExitCode.FAILURE),
        (GenerationFailed, ExitCode.FAILURE),
    ]


def exit_code_for(exc: BaseException) -> ExitCode | None:
    """The code of a known error; None for anything else (a bug: its traceback is shown)."""
    for kind, code in _error_codes():
        if isinstance(exc, kind):
            return code
    return None


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
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except Exception as exc:
            report_and_exit(exc)


class KefuGroup(_ErrorExits, TyperGroup):
    """A command group whose commands exit with ExitCode on known errors."""


class KefuCommand(_ErrorExits, TyperCommand):
    """A top-level command that exits with ExitCode on known errors."""
