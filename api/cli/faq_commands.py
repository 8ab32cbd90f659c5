"""`kefu faq ...`: review the FAQ entries proposed by resolved escalations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.console import JsonFlag, console, print_json
from api.cli.exits import ExitCode, KefuGroup, exit_with
from ingest.config import get_settings

if TYPE_CHECKING:
    from assistant.knowledge_loop import KnowledgeLoop

faq_app = typer.Typer(
    help="Review FAQ candidates learned from human agents' answers.", no_args_is_help=True, cls=KefuGroup
)

ReviewerOption = typer.Option(
    ..., "--reviewer", "-r", envvar="KEFU_REVIEWER", help="Your id (or KEFU_REVIEWER)."
)


def register(app: typer.Typer) -> None:
    app.add_typer(faq_app, name="faq")


def _loop() -> KnowledgeLoop:
    from assistant.knowledge_loop import KnowledgeLoop

    return KnowledgeLoop(get_settings())


@faq_app.command("candidates")
def candidates(
    status: str = typer.Option(
        "pending,duplicate", "--status", help="Comma-separated: pending, duplicate, accepted, rejected."
    ),
    kb: str | None = typer.Option(None, "--kb"),
    tenant: str | None = typer.Option(None, "--tenant"),
    limit: int = typer.Option(100, "--limit"),
    as_json: JsonFlag = False,
) -> None:
    """Proposed FAQ entries with the closest existing question (--json: as GET /v1/kbs/{kb}/faq-candidates)."""
    statuses = [part.strip() for part in status.split(",") if part.strip()]
    try:
        rows = _loop().candidates(statuses=statuses, kb_name=kb, tenant=tenant, limit=limit)
    except ValueError as exc:
        exit_with(exc, ExitCode.USAGE)
    if as_json:
        from api.tickets import candidate_out

        print_json([candidate_out(c) for c in rows])
        return
    table = Table(show_lines=True)
    for column in ("id", "status", "kb", "question", "answer", "closest existing", "ticket"):
        table.add_column(column)
    for c in rows:
        near = (
            f"{c.similar_to['question']} ({c.similarity:.2f})"
            if c.similar_to and c.similarity is not None
            else ""
        )
        table.add_row(
            str(c.id),
            c.status,
            c.kb_name,
            escape(c.question),
            escape(c.answer[:200]),
            escape(near),
            str(c.ticket_id or ""),
        )
    console.print(table)


@faq_app.command("accept")
def accept(
    candidate_id: int = typer.Argument(...),
    reviewer: str = ReviewerOption,
    question: str | None = typer.Option(None, "--question", help="Publish with this question instead."),
    answer: str | None = typer.Option(None, "--answer", help="Publish with this answer instead."),
    note: str = typer.Option("", "--note"),
) -> None:
    """Publish the candidate into its knowledge base (a new KB version)."""
    try:
        c = _loop().accept(candidate_id, reviewer, question=question, answer=answer, note=note)
    except ValueError as exc:
        exit_with(exc, ExitCode.USAGE)
    console.print(f"accepted: {c.source} in knowledge base {c.kb_name!r}, version {c.kb_version}")


@faq_app.command("reject")
def reject(
    candidate_id: int = typer.Argument(...),
    reviewer: str = ReviewerOption,
    note: str = typer.Option("", "--note"),
) -> None:
    """Drop the candidate."""
    c = _loop().reject(candidate_id, reviewer, note=note)
    console.print(f"rejected FAQ candidate #{c.id}")
