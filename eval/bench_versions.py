"""Storage cost of knowledge-base versions: ten versions of the sample knowledge base, one file
changing each time, against one version; then after `prune --keep 1`.

    python -m eval.bench_versions [--versions 10] [--database-url URL]

Each run uses a fresh temporary data dir (SQLite by default; --database-url for PostgreSQL, whose
bytes on disk are then the data dir only). Every version is searched once as a draft, as QA hit
testing would, so each has its BM25 index on disk. Measured: SQL rows per table, Chroma vectors,
chunk text bytes in SQL, and bytes on disk (SQLite file after a WAL checkpoint, Chroma folder,
BM25 indexes).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select, text

from assistant.retrieval import HybridRetriever
from ingest.config import Settings
from ingest.models import Chunk, Document, DocumentRevision, KBVersion, RevisionChunk, VersionDocument
from ingest.pipeline import IngestPipeline
from ingest.registry import get_kb
from ingest.sample import sample_files

KB = "sample"
TABLES = {
    "kb_versions": KBVersion,
    "documents": Document,
    "document_revisions": DocumentRevision,
    "kb_version_documents": VersionDocument,
    "revision_chunks": RevisionChunk,
    "chunks": Chunk,
}
# Files that change, in turn (text formats, so a change is one appended paragraph).
CHANGING = (
    "returns-and-refunds.md",
    "shipping.md",
    "warranty.md",
    "troubleshooting-lumo-hub.md",
    "zh-shipping.md",
)


@dataclass
class Measure:
    label: str
    rows: dict[str, int]
    vectors: int
    text_bytes: int
    disk: dict[str, int]

    @property
    def disk_total(self) -> int:
        return sum(self.disk.values())


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def measure(label: str, pipeline: IngestPipeline, settings: Settings) -> Measure:
    with pipeline.db.session() as session:
        kb = get_kb(session, KB)
        rows = {
            name: session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in TABLES.items()
        }
        text_bytes = (
            session.scalar(
                select(func.sum(func.length(Chunk.text) + func.length(Chunk.match_text))).where(
                    Chunk.kb_id == kb.id
                )
            )
            or 0
        )
        kb_id, model, dim = kb.id, kb.embed_model, kb.embed_dim
        if pipeline.db.engine.dialect.name == "sqlite":
            session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    disk = {
        "sql": sum(
            folder_bytes(p) if p.is_dir() else p.stat().st_size for p in settings.data_dir.glob("kefu.db*")
        ),
        "chroma": folder_bytes(settings.chroma_dir),
        "bm25": folder_bytes(settings.data_dir / "bm25"),
    }
    vectors = pipeline.store.count(kb_id, embed_model=model, dim=dim)
    return Measure(label, rows, vectors, int(text_bytes), disk)


def run(versions: int, database_url: str | None, root: Path) -> list[Measure]:
    docs = root / "docs"
    docs.mkdir()
    for file in sample_files():
        shutil.copy(file, docs / file.name)
    settings = Settings(data_dir=root / "data", database_url=database_url, auto_publish=True)
    pipeline = IngestPipeline(settings)
    retriever = HybridRetriever(
        settings, database=pipeline.db, store=pipeline.store, embedder=pipeline.embedder
    )
    results = []
    for number in range(1, versions + 1):
        if number > 1:
            changed = docs / CHANGING[(number - 2) % len(CHANGING)]
            with changed.open("a", encoding="utf-8") as out:
                out.write(f"\n\nUpdate {number}: this paragraph was added in version {number}.\n")
        report = pipeline.ingest_paths([docs], KB)
        assert report.version == number and report.status == "succeeded", report
        retriever.run("how do I return an item", KB, version="draft")
        if number == 1:
            results.append(measure("1 version", pipeline, settings))
    results.append(measure(f"{versions} versions", pipeline, settings))
    pipeline.prune(KB, keep=1)
    results.append(measure(f"{versions} versions, prune --keep 1", pipeline, settings))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL URL; default a SQLite file in the data dir"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kefu-bench-versions-") as tmp:
        results = run(args.versions, args.database_url, Path(tmp))
    base = results[0]
    short = {
        "kb_versions": "versions",
        "documents": "docs",
        "document_revisions": "revisions",
        "kb_version_documents": "manifest",
        "revision_chunks": "rev-chunks",
        "chunks": "chunks",
    }
    columns = [*short.values(), "vectors", "text KB", "sql KB", "chroma KB", "bm25 KB", "disk KB", "x one"]
    print(f"{'':34}" + "".join(f"{c:>11}" for c in columns))
    for m in results:
        values = [
            *(m.rows[t] for t in TABLES),
            m.vectors,
            f"{m.text_bytes / 1024:.1f}",
            *(f"{m.disk[k] / 1024:.0f}" for k in ("sql", "chroma", "bm25")),
            f"{m.disk_total / 1024:.0f}",
            f"{m.disk_total / base.disk_total:.2f}",
        ]
        print(f"{m.label:34}" + "".join(f"{v:>11}" for v in values))
    print(
        "SQL rows per table (documents: the working state; manifest: kb_version_documents); disk after a WAL "
        "checkpoint, without VACUUM (SQLite and Chroma keep freed pages)."
    )


if __name__ == "__main__":
    main()
