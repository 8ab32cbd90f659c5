"""Edition step: when several editions of one page are among the candidates, the edition the
question means goes first: the one in effect on a date or in a year the question names ("under
the 2022 policy", "2023年版", "on 1 May 2023"), else the newest.

Editions are read at ingest (ingest.parsing.edition; DocumentInfo.edition in the catalog). The
step only reorders within one page's own positions: the chunks of a series keep the positions
(and scores) the series held in the fused ranking, and the asked edition's chunks take the best
of them, so a page neither gains nor loses ground against other pages. Within the asked edition,
and among the other editions, the fused order stays.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from assistant.retrieval.catalog import ChunkCatalog, DocumentInfo
from assistant.retrieval.types import RankedList, ScoredChunk
from assistant.types import Passage
from ingest.parsing.edition import parse_date
from ingest.types import Edition

# Chunks fetched beyond the slots to fill, so that a page's sections can go before its table's rows.
EXTRA_FETCHED = 5
# Years and dates a question may name: "in 2022", "2022年", "the 2023 edition", "1 May 2023".
_YEAR = re.compile(r"(?<![\d.,$¥€£])(?:19|20)\d\d(?![\d%])")


@dataclass(frozen=True)
class AskedDate:
    """The year, and the ISO date when a full one was named, of a date in the question."""

    year: int
    date: str | None = None

    @property
    def sort_key(self) -> str:
        # A year alone: any edition that took effect within it counts as in effect.
        return self.date or f"{self.year:04d}-12-31"


def asked_dates(question: str) -> list[AskedDate]:
    """The years and dates the question names, in order. Numbers that are amounts (HK$2024,
    20.24, 2024%) are not years."""
    found = []
    for match in _YEAR.finditer(question):
        around = question[max(0, match.start() - 20) : match.end() + 12]
        parsed = parse_date(around)
        year = int(match.group(0))
        iso = parsed[1] if parsed and parsed[0] == year else None
        found.append(AskedDate(year, iso))
    return found


def chosen_edition(editions: list[Edition], asked: list[AskedDate]) -> Edition:
    """The edition a question means among one page's editions: for a named year or date, the
    newest edition in effect then (taken effect on or before it; an edition of that very year
    counts even when its date is later in the year); else, or when the named date is before every
    edition, the newest."""
    newest_first = sorted(editions, key=lambda e: e.sort_key, reverse=True)
    for when in asked:
        same_year = [
            e for e in newest_first if e.year == when.year and (when.date is None or e.sort_key <= when.date)
        ]
        in_effect = same_year or [e for e in newest_first if e.sort_key <= when.sort_key]
        if in_effect:
            return in_effect[0]
    return newest_first[0]


class EditionPreference:
    """Fused ranking -> the same ranking with each page's asked edition first among its editions."""

    name = "edition"

    def run(self, ranked: RankedList, catalog: ChunkCatalog, question: str) -> RankedList:
        series: dict[str, list[int]] = {}  # series -> positions of its chunks in the ranking
        edition_of: dict[int, Edition] = {}
        for position, hit in enumerate(ranked.hits):
            row = catalog.position.get(hit.chunk_id)
            edition = catalog.documents[int(catalog.doc_index[row])].edition if row is not None else None
            if edition is not None:
                series.setdefault(edition.series, []).append(position)
                edition_of[position] = edition
        if not series:
            return ranked
        asked = asked_dates(question)
        hits = list(ranked.hits)
        for positions in series.values():
            editions = {edition_of[p].sort_key: edition_of[p] for p in positions}
            if len(editions) < 2:
                continue
            chosen = chosen_edition(list(editions.values()), asked)
            # The chosen edition's chunks first, then the rest, each in fused order; they fill the
            # series' positions, and take their scores so later re-sorting keeps this order.
            order = sorted(positions, key=lambda p: edition_of[p] != chosen)
            moved = [ranked.hits[p].chunk_id for p in order]
            for slot, chunk_id in zip(positions, moved, strict=True):
                hits[slot] = ScoredChunk(chunk_id, ranked.hits[slot].score)
        return RankedList(ranked.retriever, hits, ranked.ceiling, ranked.floor)


def in_asked_edition(passages: list[Passage], question: str) -> list[Passage]:
    """The passages an answer may draw on: of a page whose several editions were retrieved, only
    the asked edition's (chosen_edition among those retrieved). Retrieval keeps the other editions
    ranked below it, which a quote or a draft must not mix in ("within 60 days" from 2024 and
    "15% restocking fee" from 2022 in one answer; the 2022 notice period when 2024's is asked);
    a question naming two years keeps both."""
    editions: dict[str, dict[str, Edition]] = {}
    edition_of: dict[str, Edition] = {}
    for passage in passages:
        edition = Edition.from_extra(passage.extra)
        if edition is not None:
            editions.setdefault(edition.series, {})[edition.sort_key] = edition
            edition_of[passage.chunk_id] = edition
    asked = asked_dates(question)
    kept: dict[str, set[str]] = {}
    for series, of_series in editions.items():
        if len(of_series) < 2:
            continue
        choices = [chosen_edition(list(of_series.values()), [when]) for when in asked]
        kept[series] = {e.sort_key for e in choices or [chosen_edition(list(of_series.values()), [])]}
    return [
        p
        for p in passages
        if (edition := edition_of.get(p.chunk_id)) is None
        or edition.series not in kept
        or edition.sort_key in kept[edition.series]
    ]


def with_asked_editions(
    passages: list[Passage],
    documents: list[DocumentInfo],
    question: str,
    fetch: Callable[[str, int], list[Passage]],
) -> list[Passage]:
    """The passages with every retrieved chunk of a page's other editions replaced by the asked
    edition's best chunks for the question, when that edition (among all the knowledge base's
    editions of the page: `documents`) is not what retrieval returned: the 2023 notice period
    found, the 2024 one in force. fetch(doc_id, k) retrieves one document's k best chunks. The
    replaced passages keep their slots; the result is renumbered 1..n."""
    editions: dict[str, list[tuple[Edition, str]]] = {}
    for document in documents:
        if document.edition is not None:
            editions.setdefault(document.edition.series, []).append((document.edition, document.doc_id))
    asked = asked_dates(question)
    chosen_docs: dict[str, set[str]] = {}
    for passage in passages:
        edition = Edition.from_extra(passage.extra)
        if edition is None or edition.series in chosen_docs or len(editions.get(edition.series, [])) < 2:
            continue
        of_series = editions[edition.series]
        choices = [chosen_edition([e for e, _ in of_series], [when]) for when in asked] or [
            chosen_edition([e for e, _ in of_series], [])
        ]
        keys = {e.sort_key for e in choices}
        chosen_docs[edition.series] = {doc for e, doc in of_series if e.sort_key in keys}
    if not chosen_docs:
        return passages
    result = list(passages)
    present = {p.chunk_id for p in passages}
    for series, docs in chosen_docs.items():
        slots = [
            i
            for i, p in enumerate(result)
            if (e := Edition.from_extra(p.extra)) is not None and e.series == series and p.doc_id not in docs
        ]
        if not slots:
            continue
        # Enough to fill the slots past the chunks of the asked edition already there, and past
        # further rows of its table.
        k = len(slots) + sum(p.doc_id in docs for p in result) + EXTRA_FETCHED
        fetched = [p for doc in sorted(docs) for p in fetch(doc, k) if p.chunk_id not in present]
        # One row of a table is its record: a page's other sections go before its table's further
        # rows, as retrieval keeps one chunk of a page ("最晚要在开车前多久办理改签？" in the
        # 2023 policy: its 改签 section, not three rows of the refund-fee table).
        tables = {p.doc_id for p in result if p.kind == "table" and p.doc_id in docs}
        first: list[Passage] = []
        further_rows: list[Passage] = []
        for passage in fetched:
            if passage.kind == "table":
                if passage.doc_id in tables:
                    further_rows.append(passage)
                    continue
                tables.add(passage.doc_id)
            first.append(passage)
        fetched = first + further_rows
        for slot, replacement in zip(slots, fetched):
            result[slot] = replacement
            present.add(replacement.chunk_id)
    return [replace(p, n=number) for number, p in enumerate(result, 1)]
