"""Data passed between the ingest steps: parse -> chunk -> embed -> store."""

from __future__ import annotations

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


class IngestError(Exception):
    """A document that cannot be ingested; the message is shown to the user as the reason."""
