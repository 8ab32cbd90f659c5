"""A file read into memory once, with the checks every format shares (size, emptiness, magic)."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ingest.parsing.archive import open_zip
from ingest.parsing.decoding import decode_text
from ingest.types import IngestError


@dataclass(frozen=True)
class SourceFile:
    path: Path
    file_type: str  # registry key chosen by detect_file_type
    data: bytes

    @cached_property
    def text(self) -> str:
        """The decoded text of a text-based file; IngestError if binary or only whitespace."""
        text = decode_text(self.data)
        if not text.strip():
            raise IngestError("empty file: it contains only whitespace")
        return text

    @property
    def default_title(self) -> str:
        """A title from the file name, for documents that carry none: "returns-and-refunds.md" ->
        "Returns and refunds"."""
        words = re.sub(r"[_\-]+", " ", self.path.stem).strip()
        return words[:1].upper() + words[1:] if words else self.path.name

    def zip_archive(self) -> zipfile.ZipFile:
        """The file as a zip archive (docx, xlsx are zips); IngestError when it is not one."""
        return open_zip(self.data, self.file_type)


def read_source(path: Path, file_type: str, *, max_bytes: int) -> SourceFile:
    if not path.is_file():
        raise IngestError(f"file not found: {path}")
    size = path.stat().st_size
    if size == 0:
        raise IngestError("empty file: 0 bytes")
    if size > max_bytes:
        mb = 1024 * 1024
        raise IngestError(f"file too large: {size / mb:.1f} MB, the limit is {max_bytes / mb:.1f} MB")
    return SourceFile(path=path, file_type=file_type, data=path.read_bytes())


def normalize_text(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, no outer whitespace."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
