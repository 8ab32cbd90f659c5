"""Which parser reads which file, and the one entry point that runs it: parse_file.

PARSERS maps a file type to a function SourceFile -> ParsedDocument; EXTENSIONS maps file name
suffixes to file types. Adding a format is one function plus one entry in each dict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ingest.parsing.archive import ZIP_FORMATS, ZipLimits, check_zip
from ingest.parsing.edition import detect_edition
from ingest.parsing.faq import parse_faq_jsonl
from ingest.parsing.markup import parse_docx, parse_html, parse_markdown, parse_text
from ingest.parsing.pdf import parse_pdf
from ingest.parsing.source import SourceFile, read_source
from ingest.parsing.tables import parse_csv, parse_xlsx
from ingest.text import detect_language
from ingest.types import IngestError, ParsedDocument

Parser = Callable[[SourceFile], ParsedDocument]

PARSERS: dict[str, Parser] = {
    "md": parse_markdown,  # also Markdown FAQs (file_type "faq-md")
    "txt": parse_text,
    "html": parse_html,
    "docx": parse_docx,
    "pdf": parse_pdf,
    "csv": parse_csv,  # FAQ sheets come out as "faq-csv"
    "xlsx": parse_xlsx,  # FAQ workbooks come out as "faq-xlsx"
    "faq-jsonl": parse_faq_jsonl,
}

EXTENSIONS: dict[str, str] = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".pdf": "pdf",
    ".csv": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".jsonl": "faq-jsonl",
}

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(EXTENSIONS)


def detect_file_type(path: Path) -> str:
    """The PARSERS key for a file, from its extension; IngestError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        shown = f"'{suffix}'" if suffix else "(no extension)"
        raise IngestError(
            f"unsupported file type {shown}; supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}"
        )
    return EXTENSIONS[suffix]


def _document_text(document: ParsedDocument) -> str:
    return "\n".join(f"{section.question or ''}\n{section.text}" for section in document.sections)


def parse_file(path: Path, *, max_bytes: int, zip_limits: ZipLimits = ZipLimits()) -> ParsedDocument:
    """Read one file into sections in reading order, with title and language filled in, and the
    document's edition (ingest.parsing.edition) in extra["edition"] when it states one.

    Raises IngestError with a reason a person can act on: unsupported type, empty, too large,
    binary/garbage, a zip bomb (zip_limits, checked before the parser runs), corrupt (including
    anything the format library fails on), no text.
    """
    path = Path(path)
    file_type = detect_file_type(path)
    source = read_source(path, file_type, max_bytes=max_bytes)
    if file_type in ZIP_FORMATS:
        check_zip(source.data, file_type, zip_limits)
    try:
        document = PARSERS[file_type](source)
    except IngestError:
        raise
    except Exception as exc:  # the format libraries raise anything on damaged input
        raise IngestError(
            f"corrupt or unreadable {path.suffix.lower()} file ({type(exc).__name__}: {exc})"
        ) from exc
    if not document.sections:
        raise IngestError("no text content found in the file")
    title = " ".join(document.title.split()) or source.default_title
    text = _document_text(document)
    edition = detect_edition(
        title=title, text=text, source=str(path), front_matter=document.extra, metadata=document.extra
    )
    extra = {**document.extra, "edition": edition.to_extra()} if edition else document.extra
    return replace(document, title=title, lang=detect_language(text), extra=extra)
