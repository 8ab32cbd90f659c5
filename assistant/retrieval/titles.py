"""Title step: the query vector against each document's title on its own.

A chunk's vector mixes its title with its body, so a question that paraphrases an FAQ entry's
question (or names an article's subject) matches the title far better than the whole entry. On
covid_faq (213 FAQ entries, 240 paraphrased questions) the query against titles alone found the
entry in the top 5 for .946 of the questions, against .883 for the chunk vectors; adding the two
cosines gave .967 (scratch measurement with the packaged embedder; the fused figures are in
fusion.py). Title vectors are made at ingest (ingest.pipeline) and read from the vector cache when
a snapshot is built: they cost no Chroma collection and stay consistent with the catalog, because
they are looked up for exactly the catalog's documents.

Every chunk of a top document shares its title's score, so only the chunks the other retrievers
found, or else the document's first chunk, enter fusion: a long manual with a matching title does
not flood the candidates with hundreds of chunks.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from assistant.retrieval.background import background
from assistant.retrieval.catalog import ChunkCatalog
from assistant.retrieval.types import RankedList, ScoredChunk
from ingest.registry import text_hash
from ingest.text import detect_language
from ingest.vector_cache import SQLVectorCache

# Cosine of a text with itself: the title list is scaled from TITLE_FLOOR up to this.
COSINE_CEILING = 1.0
# Below this cosine a title does not count as a match at all. The packaged E5 model puts unrelated
# short texts near 0.8, so generic titles ("FAQ", "1. Overview") stay out while a
# paraphrased question (0.9+) counts. Measured on the three dev sets: hit@5 with floor 0.85 /
# 0.83 / the list's own lowest score .9992/.9542/.9758, .9985/.9500/.9735, .9985/.9542/.9733.
TITLE_FLOOR = 0.85
# In a knowledge base with titles in two languages, cosines depend on the language pair: a
# Chinese question sits at .83-.88 with every Chinese title of a help centre, however unrelated (a
# question on quiet coaches had .88 with 无障碍服务 and .875 with 车站服务), so above TITLE_FLOOR alone
# all of them were scored and crowded out what BM25 and dense found (a long Chinese question's
# answer page, BM25's first, fell out of the top 5). So fusion reads a title by its lead over its
# language's background (retrieval.background: the median cosine of its 2nd-20th titles) when
# that background is above TITLE_FLOOR: its cosine less the difference. English titles
# (background near .76) are read as before; so is a language with too few titles for a
# background, and a knowledge base in one language: on covid_faq, whose titles are all questions
# on one topic (background near .87), reading them by their lead cost hit@5 .950 -> .938.
# While some titles have no vector yet (ingest's embed phase still running), re-read this often.
RECHECK_S = 5.0


@dataclass
class TitleVectors:
    matrix: np.ndarray  # (titled documents, dim), L2-normalised rows
    doc_rows: np.ndarray  # the catalog document position of each matrix row
    langs: np.ndarray  # the language each title is written in ("en", "zh")
    complete: bool  # every titled document had a vector when read
    read_at: float  # time.monotonic() of the read

    @property
    def stale(self) -> bool:
        return not self.complete and time.monotonic() - self.read_at > RECHECK_S


def read_title_vectors(cache: SQLVectorCache, catalog: ChunkCatalog) -> TitleVectors:
    """The vectors of the titles that name one document only: a title several documents share
    (the sections of one web page, "Overview") cannot tell them apart, and boosting all of them
    crowded the right one out (or_sharc hit@5 .952 with shared titles, .969 without titles)."""
    uses = Counter(d.title for d in catalog.documents)
    titled = [
        (row, text_hash(d.title)) for row, d in enumerate(catalog.documents) if d.title and uses[d.title] == 1
    ]
    found = cache.get(h for _, h in titled)
    rows = [(row, found[h]) for row, h in titled if h in found]
    if rows:
        matrix = np.stack([vector for _, vector in rows]).astype(np.float32)
    else:
        matrix = np.zeros((0, 0), dtype=np.float32)
    doc_rows = np.asarray([row for row, _ in rows], dtype=np.int64)
    langs = np.asarray([detect_language(catalog.documents[row].title) for row, _ in rows], dtype=object)
    return TitleVectors(matrix, doc_rows, langs, complete=len(rows) == len(titled), read_at=time.monotonic())


def background_excess(similarity: np.ndarray, langs: np.ndarray) -> np.ndarray:
    """Per title, how far its language's background cosine with the query lies above TITLE_FLOOR;
    0 where it does not, where the language has no background, and in a knowledge base whose
    titles are in one language."""
    excess = np.zeros(len(similarity))
    levels = {}
    for lang in set(langs.tolist()):
        scores = np.sort(similarity[langs == lang])[::-1]
        level = background(scores[np.isfinite(scores)].tolist())
        if level is not None:
            levels[lang] = level
    if len(levels) < 2:
        return excess
    for lang, level in levels.items():
        excess[langs == lang] = max(0.0, level - TITLE_FLOOR)
    return excess


@dataclass(frozen=True)
class TitleMatches:
    matched: RankedList  # every title from TITLE_FLOOR up: a passage's title score (the judge reads it)
    leading: RankedList  # what fusion weighs: each title's cosine less its background's excess


class TitleRetriever:
    name = "title"

    def run(
        self,
        vector: np.ndarray | None,
        catalog: ChunkCatalog,
        titles: TitleVectors,
        *,
        top_n: int,
        mask: np.ndarray | None,
        found: Collection[str],
    ) -> TitleMatches:
        """The top_n documents by title cosine with the query `vector`, from TITLE_FLOOR up, as chunks: those in `found`
        (the other retrievers' candidates), else the document's first chunk allowed by `mask`."""
        if vector is None or not len(titles.doc_rows):
            empty = RankedList(self.name, [], ceiling=COSINE_CEILING, floor=TITLE_FLOOR)
            return TitleMatches(empty, empty)
        similarity = titles.matrix @ vector
        if mask is not None:
            allowed = np.zeros(len(catalog.documents), dtype=bool)
            allowed[catalog.doc_index[mask]] = True
            similarity = np.where(allowed[titles.doc_rows], similarity, -np.inf)
        excess = background_excess(similarity, titles.langs)
        order = np.argsort(-similarity)[:top_n]
        matched: list[ScoredChunk] = []
        leading: list[ScoredChunk] = []
        for position in order:
            score = float(similarity[position])
            if score < TITLE_FLOOR:  # also the documents the filters leave out (-inf)
                break
            rows = catalog.chunks_of(int(titles.doc_rows[position]))
            if mask is not None:
                rows = rows[mask[rows]]
            ids = [catalog.chunk_ids[r] for r in rows]
            kept = [chunk_id for chunk_id in ids if chunk_id in found] or ids[:1]
            chosen = [ScoredChunk(chunk_id, score) for chunk_id in kept]
            matched.extend(chosen)
            if (lead := score - float(excess[position])) >= TITLE_FLOOR:
                leading.extend(ScoredChunk(hit.chunk_id, lead) for hit in chosen)
        return TitleMatches(
            RankedList(self.name, matched, ceiling=COSINE_CEILING, floor=TITLE_FLOOR),
            RankedList(
                self.name,
                sorted(leading, key=lambda hit: -hit.score),
                ceiling=COSINE_CEILING,
                floor=TITLE_FLOOR,
            ),
        )
