"""`kefu kb versions | diff | publish | rollback | prune` and `kefu kb trash | restore | purge`:
knowledge-base versions (customers are served the published one) and the trash (ingest.versions)."""

from __future__ import annotations

import typer
from rich.table import Table

from api.cli.console import console
from api.cli.kb_commands import kb_app
from ingest import versions
from ingest.config import get_settings
from ingest.db import open_database
from ingest.pipeline import IngestPipeline
from ingest.registry import get_kb, list_documents


def register(app: typer.Typer) -> None:
    """The commands join the `kefu kb` group (api.cli.kb_commands registers it on the app)."""


def _stamp(value: object) -> str:
    return str(value)[:19] if value is not None else ""


@kb_app.command("versions")
def list_versions(name: str = typer.Argument("default")) -> None:
    """A knowledge base's versions, newest first: published (customers get it), draft, previous."""
    db = open_database(get_settings().sql_url)
    with db.session() as session:
        kb = get_kb(session, name)
        table = Table(title=f"{name}: published version {kb.published_version or '(none)'}")
        for column in ("version", "state", "created", "published", "documents", "chunks", "+", "~", "-"):
            table.add_column(column)
        for row in versions.list_versions(session, kb):
            table.add_row(
                str(row.version),
                versions.version_state(kb, row),
                _stamp(row.created_at),
                _stamp(row.published_at),
                str(row.documents),
                str(row.chunks),
                str(row.docs_added),
                str(row.docs_changed),
                str(row.docs_removed),
            )
    console.print(table)


@kb_app.command("diff")
def diff(a: int, b: int, kb: str = typer.Option("default", "--kb")) -> None:
    """What changed from version A to version B."""
    db = open_database(get_settings().sql_url)
    with db.session() as session:
        found = versions.diff(session, get_kb(session, kb), a, b)
    for change in found.documents:
        console.print(
            f"{change.change:8} {change.source}  chunks {change.chunks_before} -> {change.chunks_after}"
        )
    for key, (before, after) in found.config.items():
        console.print(f"config   {key}: {before} -> {after}")
    console.print(
        f"chunks: {found.chunks_added} added, {found.chunks_removed} removed, {found.chunks_shared} shared"
    )


@kb_app.command("publish")
def publish(version: int, kb: str = typer.Option("default", "--kb")) -> None:
    """Serve VERSION to customers from their next question on."""
    IngestPipeline(get_settings()).publish(kb, version)
    console.print(f"{kb}: version {version} published")


@kb_app.command("rollback")
def rollback(kb: str = typer.Option("default", "--kb")) -> None:
    """Serve the version published before the current one (each rollback steps further back)."""
    version = IngestPipeline(get_settings()).rollback(kb)
    console.print(f"{kb}: rolled back; version {version} published")


@kb_app.command("prune")
def prune(
    keep: int = typer.Option(
        ..., "--keep", min=1, help="Versions to keep (the published one is always kept)."
    ),
    kb: str = typer.Option("default", "--kb"),
) -> None:
    """Delete all but the newest KEEP versions, with the chunks and vectors only they used."""
    result = IngestPipeline(get_settings()).prune(kb, keep)
    console.print(
        f"{kb}: deleted versions {result.versions or 'none'}; {result.revisions} document revisions and "
        f"{len(result.chunk_ids)} chunks with their vectors"
    )


@kb_app.command("trash")
def trash() -> None:
    """Deleted knowledge bases, restorable until their purge date (KEFU_TRASH_DAYS)."""
    settings = get_settings()
    pipeline = IngestPipeline(settings)
    for name in pipeline.purge_expired():
        console.print(f"purged {name} (in the trash for over {settings.trash_days:g} days)")
    table = Table()
    for column in ("name", "tenant", "deleted", "purged after", "documents"):
        table.add_column(column)
    with pipeline.db.session() as session:
        for kb in versions.list_trash(session):
            table.add_row(
                kb.trashed_name or "",
                kb.tenant,
                _stamp(kb.deleted_at),
                _stamp(versions.purge_after(kb, settings.trash_days)),
                str(len(list_documents(session, kb))),
            )
    console.print(table)


@kb_app.command("restore")
def restore(
    name: str,
    as_name: str = typer.Option(
        None, "--as", help="Restore under this name (when NAME was taken meanwhile)."
    ),
) -> None:
    """Take the most recently deleted knowledge base called NAME out of the trash, with its
    documents, vectors and versions."""
    restored = IngestPipeline(get_settings()).restore(name, as_name=as_name)
    console.print(f"restored {restored}")


@kb_app.command("purge")
def purge(name: str, yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")) -> None:
    """Delete a trashed knowledge base for good now."""
    if not yes:
        typer.confirm(f"Delete knowledge base {name!r} from the trash for good?", abort=True)
    IngestPipeline(get_settings()).purge(name)
    console.print(f"purged {name}")
