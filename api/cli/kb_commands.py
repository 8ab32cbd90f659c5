"""`kefu ingest` and `kefu kb ...`: build and inspect knowledge bases."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.console import JsonFlag, console, err_console, print_json, stage_progress
from api.cli.exits import ExitCode, KefuCommand, KefuGroup, fail
from assistant.guards.ingest_screen import PlantedInstructionScreen
from assistant.retrieval import packaged_data
from assistant.retrieval.lexicon import bilingual_lexicon
from ingest.config import get_settings
from ingest.db import open_database
from ingest.pipeline import IngestPipeline, IngestReport, iter_files, missing_documents
from ingest.registry import get_kb, list_documents, list_kbs, list_quarantined, summarise

kb_app = typer.Typer(help="Inspect and manage knowledge bases.", no_args_is_help=True, cls=KefuGroup)


def register(app: typer.Typer) -> None:
    app.command("ingest", cls=KefuCommand)(ingest)
    app.add_typer(kb_app, name="kb")


def print_report(report: IngestReport) -> None:
    table = Table(title=f"knowledge base {report.kb!r} — version {report.version}")
    for column in (
        "files",
        "added",
        "changed",
        "unchanged",
        "removed",
        "failed",
        "chunks",
        "embedded",
        "cached",
        "pending",
        "seconds",
    ):
        table.add_column(column, justify="right")
    table.add_row(
        str(len(report.files)),
        str(report.count("added")),
        str(report.count("changed")),
        str(report.count("unchanged")),
        str(report.count("removed")),
        str(report.count("failed")),
        str(report.chunks),
        str(report.embedded),
        str(report.reused),
        str(report.pending),
        f"{report.seconds:.1f}",
    )
    console.print(table)
    for result in report.failed:
        err_console.print(
            f"[red]failed[/] {escape(result.source)}: {escape(result.reason)}",
            highlight=False,
            soft_wrap=True,
        )
    if report.status == "partial":
        err_console.print(
            f"[yellow]partial[/]: {len(report.failed)} of {len(report.files)} files failed; "
            "each keeps its previous version"
        )
    elif report.status == "failed":
        err_console.print("[red]failed[/]: no file could be ingested")


def missing_sources(paths: list[Path], kb: str) -> list[str]:
    """Sources of the knowledge base's documents whose file is not among PATHS: what
    `--delete-missing` removes."""
    seen = {source for _, source in iter_files(paths)}
    with open_database(get_settings().sql_url).session() as session:
        return [doc.source for doc in missing_documents(list_documents(session, get_kb(session, kb)), seen)]


def ingest(
    paths: list[Path] = typer.Argument(..., exists=True, help="Files or folders to ingest."),
    kb: str = typer.Option("default", "--kb", help="Knowledge base name."),
    delete_missing: bool = typer.Option(
        False,
        "--delete-missing",
        help="Remove the documents whose file is no longer among PATHS (FAQ entries stay).",
    ),
    embed: bool = typer.Option(
        True,
        "--embed/--no-embed",
        help="Compute vectors now; --no-embed stages text only (searchable lexically) for `kefu kb embed`.",
    ),
) -> None:
    """Parse, chunk and embed documents into a knowledge base (unchanged files are skipped).
    Exits 1 when any file failed (a file that fails keeps its previous version), naming each with its reason."""
    pipeline = IngestPipeline(get_settings(), screen=PlantedInstructionScreen())
    with stage_progress("ingest") as progress:
        report = pipeline.ingest_paths(
            paths, kb, delete_missing=delete_missing, embed=embed, progress=progress
        )
    print_report(report)
    # The lexicon the first question's answerability reads takes 1.5 s to parse, then 0.05 s
    # from its cache: parse it here, not in the first customer's wait.
    packaged_data.configure_cache(get_settings().data_dir)
    bilingual_lexicon()
    if not delete_missing:
        gone = missing_sources(paths, kb)
        if gone:
            listed = ", ".join(gone[:10]) + (f" and {len(gone) - 10} more" if len(gone) > 10 else "")
            again = f"kefu ingest {' '.join(str(p) for p in paths)} --kb {kb} --delete-missing"
            err_console.print(
                f"[yellow]knowledge base {kb!r} has {len(gone)} {'document' if len(gone) == 1 else 'documents'}"
                f" whose file is no longer among the paths given:[/] {escape(listed)}\n"
                f"  remove them with `{escape(again)}` (or one at a time with `kefu kb rm-doc SOURCE --kb {kb}`)",
                highlight=False,
                soft_wrap=True,
            )
    if report.failed:
        fail(f"{len(report.failed)} of {len(report.files)} files failed to ingest", ExitCode.FAILURE)


@kb_app.command("embed")
def embed_pending(kb: str = typer.Option("default", "--kb")) -> None:
    """Compute the vectors of chunks staged without them (resumable)."""
    pipeline = IngestPipeline(get_settings())
    with stage_progress("embed") as progress:
        report = pipeline.embed_pending(kb, progress=progress)
    print_report(report)


@kb_app.command("list")
def list_command(as_json: JsonFlag = False) -> None:
    """All knowledge bases with their sizes (--json: the fields of GET /v1/kbs)."""
    db = open_database(get_settings().sql_url)
    if as_json:
        from api.routers.knowledge import kb_out

        with db.session() as session:
            print_json([kb_out(session, kb) for kb in list_kbs(session)])
        return
    table = Table()
    for column in ("name", "version", "documents", "chunks", "embedded", "faq", "embedder"):
        table.add_column(column)
    with db.session() as session:
        for kb in list_kbs(session):
            s = summarise(session, kb)
            table.add_row(
                s.name,
                str(s.version),
                str(s.documents),
                str(s.chunks),
                f"{s.embedded}/{s.chunks}",
                str(s.faq_chunks),
                s.embed_model,
            )
    console.print(table)


@kb_app.command("show")
def show(name: str = typer.Argument("default"), as_json: JsonFlag = False) -> None:
    """One knowledge base: its documents and embedding progress (--json: {"kb": the fields of
    GET /v1/kbs/{kb}, "documents": those of GET /v1/kbs/{kb}/documents})."""
    db = open_database(get_settings().sql_url)
    with db.session() as session:
        kb = get_kb(session, name)
        if as_json:
            from api.routers.knowledge import document_out, kb_out

            print_json(
                {
                    "kb": kb_out(session, kb),
                    "documents": [document_out(d) for d in list_documents(session, kb)],
                }
            )
            return
        s = summarise(session, kb)
        console.print(
            f"[bold]{s.name}[/] version {s.version} · {s.documents} documents · {s.chunks} chunks "
            f"({s.faq_chunks} FAQ) · vectors {s.embedded}/{s.chunks} · {s.quarantined} quarantined · "
            f"{s.embed_model} {s.embed_dim}-d"
        )
        table = Table()
        for column in ("source", "type", "lang", "chunks", "version", "title", "last error"):
            table.add_column(column)
        for doc in list_documents(session, kb):
            table.add_row(
                doc.source,
                doc.file_type,
                doc.lang,
                str(doc.n_chunks),
                str(doc.version),
                doc.title,
                doc.last_error or "",
            )
        console.print(table)
        if s.quarantined:
            console.print(
                f"[yellow]{s.quarantined} chunks quarantined[/] (instructions planted in them; never retrieved):"
            )
            for chunk, doc in list_quarantined(session, kb):
                console.print(f"  {doc.source} #{chunk.ordinal}: {chunk.quarantine_reason}")


@kb_app.command("rm-doc")
def rm_doc(source: str, kb: str = typer.Option("default", "--kb")) -> None:
    """Remove one document (by its source as `kefu kb show` lists it) and its vectors."""
    removed = IngestPipeline(get_settings()).remove_document(kb, source)
    if not removed:
        fail(
            f"no document {source!r} in knowledge base {kb!r}; `kefu kb show {kb}` lists them",
            ExitCode.NOT_FOUND,
        )
    console.print(f"removed {source}")


@kb_app.command("drop")
def drop(
    name: str,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Move a knowledge base with its documents and vectors to the trash (`kefu kb trash`,
    `kefu kb restore`); it is purged after KEFU_TRASH_DAYS."""
    if not yes:
        typer.confirm(f"Drop knowledge base {name!r} and all its documents (to the trash)?", abort=True)
    IngestPipeline(get_settings()).drop(name)
    console.print(f"dropped {name} (in the trash: `kefu kb restore {name}` brings it back)")
