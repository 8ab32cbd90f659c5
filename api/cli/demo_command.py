"""`kefu demo`: the main job on the embedded defaults — ingest the sample help centre, then answer."""

from __future__ import annotations

import typer

from api.cli.answer_commands import print_answer
from api.cli.console import console, stage_progress
from api.cli.exits import KefuCommand
from api.cli.kb_commands import print_report
from ingest.config import get_settings

DEMO_QUESTIONS = (
    "How long do I have to return an item?",
    "退货需要多长时间？",
)


def register(app: typer.Typer) -> None:
    app.command("demo", cls=KefuCommand)(demo)


def demo(
    kb: str = typer.Option("sample", "--kb", help="Knowledge base to build from the sample."),
    question: list[str] = typer.Option(
        list(DEMO_QUESTIONS), "--question", "-q", help="Question(s) to ask after ingesting."
    ),
) -> None:
    """Ingest the bundled sample knowledge base (offline) and answer questions from it."""
    from assistant.guards.ingest_screen import PlantedInstructionScreen
    from assistant.pipeline import AnswerPipeline, AnswerRequest
    from ingest.pipeline import IngestPipeline
    from ingest.sample import sample_files

    settings = get_settings()
    with stage_progress("demo") as progress:
        report = IngestPipeline(settings, screen=PlantedInstructionScreen()).ingest_paths(
            sample_files(), kb, progress=progress
        )
    print_report(report)
    pipeline = AnswerPipeline(settings)
    for text in question:
        console.rule(f"[bold]{text}")
        print_answer(pipeline.run(AnswerRequest(question=text, kb=kb, channel="cli")))
