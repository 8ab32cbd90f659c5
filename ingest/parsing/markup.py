"""Markdown, plain text, HTML and Word files, partitioned by unstructured.

unstructured is imported on first use (about a second), and only after its spaCy loader has
been pointed at the installed model (see offline_spacy.py).
"""

from __future__ import annotations

import importlib
import re
from io import BytesIO
from typing import Any

from ingest.parsing.elements import sections_from_elements
from ingest.parsing.faq import is_markdown_faq, parse_markdown_faq
from ingest.parsing.frontmatter import split_front_matter
from ingest.parsing.offline_spacy import use_packaged_spacy_model
from ingest.parsing.source import SourceFile
from ingest.types import IngestError, ParsedDocument

_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


# partitioner per format: (module, function), imported on first use
_PARTITIONERS = {
    "md": ("unstructured.partition.md", "partition_md"),
    "txt": ("unstructured.partition.text", "partition_text"),
    "html": ("unstructured.partition.html", "partition_html"),
    "docx": ("unstructured.partition.docx", "partition_docx"),
}


def _partition(kind: str, **kwargs: Any) -> list[Any]:
    use_packaged_spacy_model()
    module, function = _PARTITIONERS[kind]
    return list(getattr(importlib.import_module(module), function)(**kwargs))


def parse_markdown(source: SourceFile) -> ParsedDocument:
    meta, body = split_front_matter(source.text)
    if is_markdown_faq(meta, body, source.path):
        title, sections = parse_markdown_faq(body)
        file_type = "faq-md"
    else:
        title, sections = sections_from_elements(_partition("md", text=body), markup_headings=True)
        file_type = "md"
    extra = {key: value for key, value in meta.items() if key not in ("title", "url")}
    return ParsedDocument(
        source=str(source.path),
        title=meta.get("title") or title or "",
        file_type=file_type,
        sections=sections,
        url=meta.get("url") or None,
        extra=extra,
    )


def parse_text(source: SourceFile) -> ParsedDocument:
    title, sections = sections_from_elements(_partition("txt", text=source.text), markup_headings=False)
    return ParsedDocument(source=str(source.path), title=title or "", file_type="txt", sections=sections)


def parse_html(source: SourceFile) -> ParsedDocument:
    text = source.text
    # Page chrome (<header>, <footer>; unstructured drops <nav> itself) is not knowledge.
    elements = _partition("html", text=text, skip_headers_and_footers=True)
    title, sections = sections_from_elements(elements, markup_headings=True)
    if not title:
        match = _HTML_TITLE.search(text)
        title = " ".join(match.group(1).split()) if match else None
    return ParsedDocument(source=str(source.path), title=title or "", file_type="html", sections=sections)


def parse_docx(source: SourceFile) -> ParsedDocument:
    with source.zip_archive() as archive:
        if "word/document.xml" not in archive.namelist():
            raise IngestError("corrupt .docx file: the archive has no word/document.xml")
    title, sections = sections_from_elements(
        _partition("docx", file=BytesIO(source.data)), markup_headings=True
    )
    return ParsedDocument(source=str(source.path), title=title or "", file_type="docx", sections=sections)
