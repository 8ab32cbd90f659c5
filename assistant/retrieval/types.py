"""Data passed between the retrieval components: filters in, ranked chunk ids between, passages out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.types import Passage


def _as_tuple(values: str | Iterable[str] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,)
    return tuple(values)


@dataclass(frozen=True)
class RetrievalFilters:
    """Which chunks may be retrieved. Each field left empty does not restrict; the fields that are
    set must all match (AND); the values inside one field are alternatives (OR).

    langs     chunk language ("en", "zh").
    kinds     chunk kind ("text", "table", "faq").
    doc_ids   Document.id values.
    sources   Document.source values (the path or URL a document was ingested from).
    tags      Document.extra["tags"] (a list of strings, or one comma-separated string): a chunk
              matches when its document carries any of the given tags.
    products  Document.extra["product"] (a string).
    Tags and products are document-level: they are set at ingest (ParsedDocument.extra) and apply
    to every chunk of the document.
    """

    langs: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    products: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Accept a single string or any iterable for each field; store tuples (hashable, immutable).
        for name in ("langs", "kinds", "doc_ids", "sources", "tags", "products"):
            object.__setattr__(self, name, _as_tuple(getattr(self, name)))

    @property
    def empty(self) -> bool:
        return not (self.langs or self.kinds or self.doc_ids or self.sources or self.tags or self.products)


@dataclass(frozen=True)
class ScoredChunk:
    chunk_id: str
    score: float  # the producing retriever's own scale; higher is better


@dataclass
class RankedList:
    """One retriever's answer: chunk ids best first."""

    retriever: str  # "bm25" | "dense" | "title" | "fused"
    hits: list[ScoredChunk]
    # The highest score this retriever could give this query, when there is one (BM25: every query
    # term matched at saturation; dense: cosine 1); lets score fusion keep a weak match weak.
    ceiling: float | None = None
    # The score that means "no match at all", when there is one (BM25: 0); None: score fusion
    # takes the lowest score in the list (dense: cosines of unrelated texts are far from 0).
    floor: float | None = None

    def ranks(self) -> dict[str, int]:
        """chunk id -> 1-based rank."""
        return {hit.chunk_id: rank for rank, hit in enumerate(self.hits, 1)}

    def scores(self) -> dict[str, float]:
        return {hit.chunk_id: hit.score for hit in self.hits}


@dataclass
class RetrievalResult:
    passages: list[Passage]  # best first, n = 1..len
    timings_ms: dict[
        str, float
    ]  # per step: "index", "bm25", "dense", "title", "fuse", "edition", "hydrate", "faq", "rerank", "total"
    candidates: dict[
        str, RankedList
    ]  # per retriever, before fusion ("bm25", "translated", "dense", "title"), and "fused"
    kb_version: int
    # Query term -> inverse document frequency in this knowledge base (terms absent from it get the
    # highest value): lets the answerability judge weight rare terms such as names.
    query_terms: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # e.g. the reranker failed; fused order kept
    # The query as searched: the one asked, with acronyms no page uses spelled out (retrieval.acronyms).
    query: str = ""
    # The other language's chunks that BM25 in translation ranks best (crosslingual.py), best
    # first, whether or not fusion weighs that list: the answer step weighs its records by the
    # question's words they name (a Chinese menu row for "roast goose rice" that fusion missed).
    in_translation: list[Passage] = field(default_factory=list)
