"""`kefu ask` and `kefu chat`: answer questions from a knowledge base in the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from api.cli.console import JsonFlag, console, print_json
from api.cli.exits import ExitCode, KefuCommand, fail
from ingest.config import get_settings

if TYPE_CHECKING:
    from assistant.pipeline import AnswerPipeline
    from assistant.turn import AnswerResult


def register(app: typer.Typer) -> None:
    app.command("ask", cls=KefuCommand)(ask)
    app.command("chat", cls=KefuCommand)(chat)


def _pipeline() -> AnswerPipeline:
    from assistant.pipeline import AnswerPipeline

    return AnswerPipeline(get_settings())


def print_answer(result: AnswerResult) -> None:
    console.print(escape(result.text) or "[dim](no reply: a human agent holds this conversation)[/]")
    for citation in result.citations:
        where = (
            " > ".join([citation.title, *citation.heading_path[-1:]])
            if citation.heading_path
            else citation.title
        )
        page = f", p. {citation.page}" if citation.page else ""
        console.print(f"  [cyan][{citation.n}][/] {escape(where)} — {escape(citation.source)}{page}")
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in result.timings_ms.items())
    console.print(f"[dim]mode: {result.mode} · session: {result.conversation_id} · {timings}[/]")


def ask(
    question: str = typer.Argument(..., help="The customer's question."),
    kb: str = typer.Option("default", "--kb", help="Knowledge base to answer from."),
    session: str | None = typer.Option(None, "--session", help="Continue this conversation id."),
    as_json: JsonFlag = False,
) -> None:
    """Answer one question with citations (or say it is not in the knowledge base).
    --json: the reply as POST /v1/sessions/{id}/messages returns it."""
    from assistant.pipeline import AnswerRequest

    if not question.strip():
        fail("the question is empty", ExitCode.USAGE)
    result = _pipeline().run(AnswerRequest(question=question, kb=kb, conversation_id=session, channel="cli"))
    if as_json:
        from api.answers import result_out

        print_json(result_out(result))
        return
    print_answer(result)


def chat(
    kb: str = typer.Option("default", "--kb", help="Knowledge base to answer from."),
    session: str | None = typer.Option(None, "--session", help="Continue this conversation id."),
) -> None:
    """An interactive multi-turn conversation (empty line or Ctrl-D to quit)."""
    from assistant.pipeline import AnswerRequest

    pipeline = _pipeline()
    while True:
        try:
            question = console.input("[bold green]you>[/] ")
        except (EOFError, KeyboardInterrupt):
            break
        if not question.strip():
            break
        result = pipeline.run(AnswerRequest(question=question, kb=kb, conversation_id=session, channel="cli"))
        session = result.conversation_id
        print_answer(result)
