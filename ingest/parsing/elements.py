"""unstructured elements -> Sections in reading order.

A heading starts a new section and updates the heading path; a table becomes its own section
row by row, each row a section rendered "Header: value; ..." with its structure in
extra (table_text.table_row_sections); body elements under one heading on one page are joined
into one section. So sections never straddle a heading, a table edge or a page break, and the
chunker, which never crosses sections, inherits all three boundaries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ingest.parsing.source import normalize_text
from ingest.parsing.table_text import html_table_rows, table_row_sections
from ingest.text import has_cjk
from ingest.types import Section

_SKIPPED_CATEGORIES = {"Header", "Footer", "PageBreak", "PageNumber", "Image", "Formula"}
_SENTENCE_PUNCTUATION = set("。！？；，,;!?")
_MAX_CJK_HEADING_CHARS = 30
_MIN_SENTENCE_WORDS = 3


def _is_heading(element: Any, *, markup_headings: bool) -> bool:
    """Whether a Title element is a real heading.

    From markup (md, html, docx) unstructured sets category_depth only for real headings
    (<h1>-<h6>, heading styles). For plain text it guesses titles with English heuristics
    that call almost every Chinese line a title (no spaces = "one word"), so a CJK "title"
    must also look like one: short and without sentence punctuation.
    """
    if element.category != "Title":
        return False
    if markup_headings:
        return element.metadata.category_depth is not None
    text = element.text.strip()
    if not has_cjk(text):
        # A short sentence is a title to unstructured too ("We accept Visa, Mastercard and
        # PayNow."); a heading does not end with a full stop.
        return not (text.endswith(".") and len(text.split()) >= _MIN_SENTENCE_WORDS)
    return len(text) <= _MAX_CJK_HEADING_CHARS and not _SENTENCE_PUNCTUATION & set(text)


@dataclass
class _SectionBuilder:
    sections: list[Section] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)  # (depth, text), outermost first
    paragraphs: list[str] = field(default_factory=list)
    page: int | None = None
    last_category: str = ""

    @property
    def heading_path(self) -> list[str]:
        return [text for _, text in self.headings]

    def flush(self) -> None:
        text = normalize_text("\n\n".join(self.paragraphs))
        if text:
            self.sections.append(Section(text=text, heading_path=self.heading_path, page=self.page))
        self.paragraphs = []

    def heading(self, depth: int, text: str) -> None:
        self.flush()
        self.headings = [(d, t) for d, t in self.headings if d < depth] + [(depth, text)]

    def table(self, rows: list[list[str]], page: int | None) -> None:
        self.flush()
        # A table's caption is the heading it sits under (unstructured keeps no <caption>).
        caption = self.headings[-1][1] if self.headings else ""
        self.sections.extend(
            table_row_sections(rows, caption=caption, heading_path=self.heading_path, page=page)
        )

    def flat_table(self, text: str, page: int | None) -> None:
        """A table unstructured gave no cell structure for: its text as one section."""
        self.flush()
        self.sections.append(Section(text=text, kind="table", heading_path=self.heading_path, page=page))

    def body(self, category: str, text: str, page: int | None) -> None:
        if page != self.page:
            self.flush()
            self.page = page
        if category == "ListItem" and self.last_category == "ListItem" and self.paragraphs:
            self.paragraphs[-1] += "\n" + text  # a list stays one paragraph, an item per line
        else:
            self.paragraphs.append(text)


def sections_from_elements(
    elements: Iterable[Any], *, markup_headings: bool
) -> tuple[str | None, list[Section]]:
    """(first heading text or None, sections) for a list of unstructured elements."""
    builder = _SectionBuilder()
    first_heading: str | None = None
    for element in elements:
        category = element.category
        text = (element.text or "").strip()
        page = element.metadata.page_number
        if category in _SKIPPED_CATEGORIES or not text:
            continue
        if _is_heading(element, markup_headings=markup_headings):
            first_heading = first_heading or text
            builder.heading(element.metadata.category_depth or 0, text)
        elif category == "Table":
            html = element.metadata.text_as_html
            rows = html_table_rows(html) if html else []
            if rows:
                builder.table(rows, page)
            else:
                builder.flat_table(text, page)
        else:
            builder.body(category, text, page)
        builder.last_category = category
    builder.flush()
    return first_heading, builder.sections
