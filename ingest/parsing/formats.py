"""The file formats kefu reads: a parser and the file name suffixes it takes, per format.

Each is registered in the `kefu.parsers` entry-point group (pyproject.toml) under its file type,
as a plug-in's format would be; ingest.parsing.registry reads the group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ingest.parsing.faq import parse_faq_jsonl
from ingest.parsing.markup import parse_docx, parse_html, parse_markdown, parse_text
from ingest.parsing.pdf import parse_pdf
from ingest.parsing.source import SourceFile
from ingest.parsing.tables import parse_csv, parse_xlsx
from ingest.types import ParsedDocument

Parser = Callable[[SourceFile], ParsedDocument]


@dataclass(frozen=True)
class FileFormat:
    parse: Parser
    extensions: tuple[str, ...]  # lower case, with the dot: (".md", ".markdown")


MARKDOWN = FileFormat(parse_markdown, (".md", ".markdown"))  # also Markdown FAQs (file_type "faq-md")
TEXT = FileFormat(parse_text, (".txt", ".text"))
HTML = FileFormat(parse_html, (".html", ".htm"))
DOCX = FileFormat(parse_docx, (".docx",))
PDF = FileFormat(parse_pdf, (".pdf",))
CSV = FileFormat(parse_csv, (".csv", ".tsv"))  # FAQ sheets come out as "faq-csv"
XLSX = FileFormat(parse_xlsx, (".xlsx",))  # FAQ workbooks come out as "faq-xlsx"
FAQ_JSONL = FileFormat(parse_faq_jsonl, (".jsonl",))
