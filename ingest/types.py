"""Data passed between the ingest steps: parse -> chunk -> embed -> store."""

from __future__ import annotations

from ingest.errors import InvalidInput
from dataclasses import dataclass, field
from typing import Any, Literal

SectionKind = Literal["text", "table", "faq"]


@dataclass
class Section:
    """One structural unit of a parsed document, in reading order.

    text: the content (for a table: its rows rendered as "col: value; ..." lines; for an FAQ
    pair: the answer). heading_path: the headings above it, outermost first. page: 1-based PDF
    page or None. For kind == "faq", question/similar_questions hold what customers ask.
    """

    text: str
    kind: SectionKind = "text"
    heading_path: list[str] = field(default_factory=list)
    page: int | None = None
    question: str | None = None
    similar_questions: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParsedDocument:
    source: str  # path or URL the document came from; its identity inside a knowledge base
    title: str
    file_type: str  # registry key of the parser that read it: "md", "pdf", "faq-csv", ...
    sections: list[Section]
    lang: str = "en"  # "zh" or "en", detected from the text
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_faq(self) -> bool:
        return bool(self.sections) and all(s.kind == "faq" for s in self.sections)


@dataclass
class ChunkDraft:
    """A chunk before it has ids and vectors.

    text: what is shown and cited. match_text: what retrieval matches (the same as text except
    for FAQ pairs, where it is the question plus its similar questions). char_start/char_end:
    the span of text inside the section it came from.
    """

    text: str
    match_text: str
    tokens: int
    heading_path: list[str] = field(default_factory=list)
    page: int | None = None
    kind: SectionKind = "text"
    lang: str = "en"
    char_start: int = 0
    char_end: int = 0
    section_index: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class IngestError(InvalidInput):
    """A document that cannot be ingested; the message is shown to the user as the reason."""


EditionEvidence = Literal["front matter", "text", "title", "file name", "metadata"]


@dataclass(frozen=True)
class Edition:
    year: int
    date: str | None  # ISO date when a full date was stated; None when only the year is known
    series: str  # the page this is an edition of (lower case, dates and edition words removed)
    found_in: EditionEvidence  # where it was read (ingest.parsing.edition)

    @property
    def sort_key(self) -> str:
        """Orders editions oldest first; a year alone counts as its first day."""
        return self.date or f"{self.year:04d}-01-01"

    def to_extra(self) -> dict[str, Any]:
        return {"year": self.year, "date": self.date, "series": self.series, "found_in": self.found_in}

    @classmethod
    def from_extra(cls, extra: dict[str, Any] | None) -> Edition | None:
        """The edition stored in Document.extra["edition"], or None (none detected, or malformed)."""
        data = (extra or {}).get("edition")
        if not isinstance(data, dict):
            return None
        year, iso, series = data.get("year"), data.get("date"), data.get("series")
        if (
            not isinstance(year, int)
            or not isinstance(series, str)
            or not (iso is None or isinstance(iso, str))
        ):
            return None
        return cls(year, iso, series, data.get("found_in", "text"))
