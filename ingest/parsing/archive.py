"""Zip bomb limits for the formats that are zip archives (docx, xlsx), checked before any parser
opens the file.

A 1 MB .docx can unpack to gigabytes, and the format libraries inflate it in memory. Two checks:
1. the sizes the central directory declares: the entry count (read from the end record, before the
   directory itself is loaded), the total unpacked size and its ratio to the file's size;
2. each member streamed through the decompressor with a running cap, so a header that understates
   its member's size cannot slip past check 1 (zipfile also stops at the declared size and fails
   the CRC check, which is reported as a corrupt file).
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from io import BytesIO

from ingest.types import IngestError

ZIP_FORMATS = frozenset({"docx", "xlsx"})  # file types (parsing registry keys) stored as zips

_MB = 1024 * 1024
_RATIO_FLOOR_BYTES = 1 * _MB  # below this unpacked size the ratio cannot hurt: not checked
_MAX_ENTRIES = 10_000  # Office files have tens to a few hundred parts
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_MAX_COMMENT = 0xFFFF
_BLOCK = 1 << 20


@dataclass(frozen=True)
class ZipLimits:
    max_unzipped_mb: float = 200.0  # total unpacked size of one file
    max_ratio: float = 100.0  # total unpacked size / file size

    @property
    def max_unzipped_bytes(self) -> int:
        return int(self.max_unzipped_mb * _MB)


def _declared_entries(data: bytes) -> int | None:
    """The entry count in the end-of-central-directory record; None when absent or ZIP64."""
    at = data.rfind(_END_RECORD, max(0, len(data) - _END_RECORD_SIZE - _MAX_COMMENT))
    if at < 0 or at + _END_RECORD_SIZE > len(data):
        return None
    (entries,) = struct.unpack_from("<H", data, at + 10)
    return None if entries == 0xFFFF else int(entries)


def open_zip(data: bytes, file_type: str) -> zipfile.ZipFile:
    """The file as a zip archive; IngestError when it is not one."""
    try:
        return zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise IngestError(f"corrupt .{file_type} file: not a valid Office Open XML (zip) archive") from exc


def check_zip(data: bytes, file_type: str, limits: ZipLimits) -> None:
    """Raise IngestError when the archive would unpack past the limits (or is not a zip)."""
    kind = f".{file_type}"
    entries = _declared_entries(data)
    if entries is not None and entries > _MAX_ENTRIES:
        raise IngestError(f"refused {kind} file: it holds {entries} parts, over the {_MAX_ENTRIES} limit")
    with open_zip(data, file_type) as archive:
        members = archive.infolist()
        if len(members) > _MAX_ENTRIES:
            raise IngestError(
                f"refused {kind} file: it holds {len(members)} parts, over the {_MAX_ENTRIES} limit"
            )
        _check_size(sum(m.file_size for m in members), len(data), kind, limits)
        unpacked = 0
        try:
            for member in members:
                with archive.open(member) as stream:
                    while block := stream.read(_BLOCK):
                        unpacked += len(block)
                        _check_size(unpacked, len(data), kind, limits)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as exc:
            raise IngestError(f"corrupt {kind} file: {exc}") from exc
        except RuntimeError as exc:  # encrypted members
            raise IngestError(f"unreadable {kind} file: {exc}") from exc


def _check_size(unpacked: int, packed: int, kind: str, limits: ZipLimits) -> None:
    if unpacked > limits.max_unzipped_bytes:
        raise IngestError(
            f"refused {kind} file (zip bomb?): it unpacks to {unpacked / _MB:.1f} MB, over the "
            f"{limits.max_unzipped_mb:g} MB limit"
        )
    if unpacked > _RATIO_FLOOR_BYTES and unpacked > limits.max_ratio * max(packed, 1):
        raise IngestError(
            f"refused {kind} file (zip bomb?): it unpacks to {unpacked // max(packed, 1)} times its size; "
            f"the limit is {limits.max_ratio:g}"
        )
