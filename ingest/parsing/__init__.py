"""Files -> ParsedDocument: one parser per file type, looked up in a registry.

from ingest.parsing import parse_file
document = parse_file(Path("returns.md"), max_bytes=settings.max_file_bytes)
"""

from __future__ import annotations

from ingest.parsing.archive import ZIP_FORMATS, ZipLimits
from ingest.parsing.formats import FileFormat, Parser
from ingest.parsing.registry import (
    detect_file_type,
    extensions,
    file_formats,
    parse_file,
    parsers,
    supported_extensions,
)
from ingest.parsing.source import SourceFile
from ingest.text import detect_language

__all__ = [
    "FileFormat",
    "Parser",
    "SourceFile",
    "ZIP_FORMATS",
    "ZipLimits",
    "detect_file_type",
    "detect_language",
    "extensions",
    "file_formats",
    "parse_file",
    "parsers",
    "supported_extensions",
]
