"""Bytes -> text for every text-based format, robust to the encodings customer files arrive in.

Order of attempts (first that succeeds wins):
1. a byte-order mark: UTF-8-SIG, UTF-32, UTF-16;
2. UTF-16 without a BOM, recognised by NUL bytes in every other position;
3. strict UTF-8;
4. GB18030 (a superset of GBK and GB2312), accepted only when nearly all non-ASCII characters
   are common Simplified Chinese (encodable in GB2312). charset-normalizer alone guesses short
   GBK text wrong (it reads "退货期限是多久？" as Korean cp949), and GBK is the legacy encoding
   Chinese help-desk files are most likely to use, so it gets its own check;
5. charset-normalizer's best guess for everything else (Big5, Shift-JIS, cp1252, ...).
Anything left, or text that decodes into control characters, is reported as binary.
"""

from __future__ import annotations

import codecs
import unicodedata

import charset_normalizer

from ingest.types import IngestError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: the UTF-32-LE BOM starts with UTF-16-LE's
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_GB2312_SHARE = 0.9  # share of non-ASCII characters that must be common Simplified Chinese
_MAX_CONTROL_SHARE = 0.02  # control characters (other than whitespace) allowed in real text
_SNIFF_BYTES = 8192


def _bom_encoding(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 text without a BOM has a NUL in every other byte for ASCII-range characters."""
    sample = data[:_SNIFF_BYTES]
    half = max(1, len(sample) // 2)
    if sample[1::2].count(0) / half > 0.4 and sample[0::2].count(0) / half < 0.1:
        return "utf-16-le"
    if sample[0::2].count(0) / half > 0.4 and sample[1::2].count(0) / half < 0.1:
        return "utf-16-be"
    return None


def _looks_simplified_chinese(text: str) -> bool:
    non_ascii = [char for char in text if ord(char) > 127]
    if not non_ascii:
        return False
    common = 0
    for char in non_ascii:
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 1
    return common / len(non_ascii) >= _GB2312_SHARE


def _control_share(text: str) -> float:
    sample = text[:_SNIFF_BYTES]
    if not sample:
        return 0.0
    bad = sum(
        1
        for char in sample
        if char == "\ufffd" or (unicodedata.category(char) == "Cc" and char not in "\t\n\r\f")
    )
    return bad / len(sample)


def _decode(data: bytes) -> str | None:
    encoding = _bom_encoding(data)
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            return None
    encoding = _bomless_utf16(data)  # first: ASCII-range UTF-16 is also valid UTF-8, with NULs
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:_SNIFF_BYTES]:
        return None  # NUL bytes outside UTF-16/32 mean binary data
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    else:
        if _looks_simplified_chinese(text):
            return text
    best = charset_normalizer.from_bytes(data).best()
    return str(best) if best is not None else None


def decode_text(data: bytes) -> str:
    """Decode a text file's bytes; raise IngestError if they are not text."""
    text = _decode(data)
    if text is None or _control_share(text) > _MAX_CONTROL_SHARE:
        raise IngestError("binary or garbage content: the file is not readable text")
    return text.replace("\r\n", "\n").replace("\r", "\n")
