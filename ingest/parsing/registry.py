"""Which parser reads which file, and the one entry point that runs it: parse_file.

The formats are the `kefu.parsers` plug-ins (ingest.plugins): each a FileFormat named by its file
type, kefu's own in ingest.parsing.formats. Adding a format is one FileFormat and one entry point.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ingest import plugins
from ingest.parsing.archive import ZIP_FORMATS, ZipLimits, check_zip
from ingest.parsing.edition import detect_edition
from ingest.parsing.formats import FileFormat, Parser
from ingest.parsing.source import read_source
from ingest.text import detect_language
from ingest.types import IngestError, ParsedDocument

GROUP = "kefu.parsers"


def file_formats() -> dict[str, FileFormat]:
    """File type -> its format, from the installed plug-ins."""
    return plugins.load(GROUP, FileFormat)


def parsers() -> dict[str, Parser]:
    """File type -> the function SourceFile -> ParsedDocument that reads it."""
    return {name: fmt.parse for name, fmt in file_formats().items()}


def extensions() -> dict[str, str]:
    """File name suffix -> file type; a suffix two formats claim is a PluginError."""
    found: dict[str, str] = {}
    for name, fmt in file_formats().items():
        for suffix in fmt.extensions:
            if suffix.lower() in found:
                first, second = sorted((found[suffix.lower()], name))
                raise plugins.PluginError(
                    f"the suffix {suffix!r} is claimed by parsers {first!r} and {second!r}"
                )
            found[suffix.lower()] = name
    return found


def supported_extensions() -> frozenset[str]:
    return frozenset(extensions())


def detect_file_type(path: Path) -> str:
    """The file type (a `kefu.parsers` name) of a file, from its extension; IngestError for anything else."""
    suffix = Path(path).suffix.lower()
    known = extensions()
    if suffix not in known:
        shown = f"'{suffix}'" if suffix else "(no extension)"
        raise IngestError(f"unsupported file type {shown}; supported: {', '.join(sorted(known))}")
    return known[suffix]


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
        document = file_formats()[file_type].parse(source)
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
