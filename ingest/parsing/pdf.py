"""PDF files: text per page with pypdf, pdfminer.six when pypdf fails or finds no text.

One section per page (page numbers 1-based), so every chunk cites exactly one page; wrapped
lines are joined back into paragraphs (a Chinese line without a space: Chinese wraps at any
character, inside a number too).
Scanned PDFs have no text layer; OCR is not part of the default install, so they are
reported, not silently ingested empty.
"""

from __future__ import annotations

import logging
import unicodedata
from io import BytesIO

from ingest.parsing.source import SourceFile, normalize_text
from ingest.text import has_cjk
from ingest.types import IngestError, ParsedDocument, Section

logger = logging.getLogger(__name__)

_HEADER_WINDOW = 1024  # the %PDF- marker must appear within the first 1 KB
_SENTENCE_END = tuple(".!?:;。！？：；")
_WRAPPED_LINE_SHARE = 0.6  # of the page's longest line


def _display_width(line: str) -> int:
    """Width in half-width cells: a full-width (CJK) glyph is about twice a Latin one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _glue(previous: str, line: str) -> str:
    """What joins a wrapped line to the next one: a space, or nothing for Chinese text.

    Chinese text wraps at any character, inside a number or a Latin word too ("上限为1,20" /
    "0港元"), and has no space at the break; a space the text had there stays at the line's end
    or start. Latin text wraps at the spaces between words, which extraction drops.
    """
    if has_cjk(previous) or has_cjk(line):
        broke_at_space = previous[-1:].isspace() or line[:1].isspace()
        return " " if broke_at_space else ""
    # Latin text also wraps after the hyphen of a compound ("check-" / "out"), which keeps it:
    # "released at check- out" is no sentence.
    if previous.endswith("-") and previous[-2:-1].isalpha() and line[:1].isalpha():
        return ""
    return " "


def reflow(text: str) -> str:
    """Join the lines a PDF wrapped to fit its width back into paragraphs.

    A line about as wide as the page's widest line that does not end a sentence continues on
    the next line; short lines (headings, a paragraph's last line) keep their break. Without
    this every wrapped line looks like a paragraph end and chunks stop mid-sentence. Width
    counts a CJK glyph as two Latin ones, so a Chinese paragraph on a page with English lines
    is seen as wrapped too.
    """
    raw_lines = text.split("\n")
    width = max((_display_width(line.strip()) for line in raw_lines), default=0)
    paragraphs: list[str] = []
    continues = False
    previous_raw = ""
    for raw in raw_lines:
        line = raw.strip()
        if continues and line:
            paragraphs[-1] += _glue(previous_raw, raw) + line
        else:
            paragraphs.append(line)
        continues = _display_width(line) >= _WRAPPED_LINE_SHARE * width and not line.endswith(_SENTENCE_END)
        previous_raw = raw
    return "\n".join(paragraphs)


def _pypdf_pages(data: bytes) -> tuple[str | None, list[str]]:
    """(metadata title, text of each page)."""
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        # Many "encrypted" PDFs only restrict printing and open with an empty password.
        raise IngestError("encrypted PDF: it is password protected, so its text cannot be read")
    title = reader.metadata.title if reader.metadata else None
    return title, [page.extract_text() or "" for page in reader.pages]


def _pdfminer_pages(data: bytes) -> list[str]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    return [
        "".join(item.get_text() for item in layout if isinstance(item, LTTextContainer))
        for layout in extract_pages(BytesIO(data))
    ]


def parse_pdf(source: SourceFile) -> ParsedDocument:
    if b"%PDF-" not in source.data[:_HEADER_WINDOW]:
        raise IngestError("not a PDF file: the %PDF header is missing")
    title: str | None = None
    pages: list[str] = []
    pypdf_error: Exception | None = None
    try:
        title, pages = _pypdf_pages(source.data)
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files; pdfminer may cope
        logger.info("pypdf could not read %s (%s); trying pdfminer", source.path, exc)
        pypdf_error = exc
    if not any(page.strip() for page in pages):
        try:
            pages = _pdfminer_pages(source.data)
        except Exception as exc:
            reason = pypdf_error or exc
            raise IngestError(f"corrupt PDF: {type(reason).__name__}: {reason}") from exc
    sections = [
        Section(text=normalize_text(reflow(text)), page=number)
        for number, text in enumerate(pages, start=1)
        if text.strip()
    ]
    if not sections:
        raise IngestError("no extractable text (scanned? OCR not enabled)")
    return ParsedDocument(
        source=str(source.path),
        title=" ".join((title or "").split()),
        file_type="pdf",
        sections=sections,
        extra={"pages": len(pages)},
    )
