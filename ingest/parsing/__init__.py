"""Files -> ParsedDocument: one parser per file type, looked up in a registry.

from ingest.parsing import parse_file
document = parse_file(Path("returns.md"), max_bytes=settings.max_file_bytes)
"""

from __future__ import annotations

from ingest.parsing.archive import ZIP_FORMATS, ZipLimits
from ingest.parsing.registry import (
    EXTENSIONS,
    PARSERS,
    SUPPORTED_EXTENSIONS,
    Parser,
    detect_file_type,
    parse_file,
)
from ingest.parsing.source import SourceFile
from ingest.text import detect_language

__all__ = [
    "EXTENSIONS",
    "PARSERS",
    "SUPPORTED_EXTENSIONS",
    "Parser",
    "SourceFile",
    "ZIP_FORMATS",
    "ZipLimits",
    "detect_file_type",
    "detect_language",
    "parse_file",
]
