"""Bytes -> text for every text-based format, robust to the encodings customer files arrive in.

Order of attempts (first that succeeds wins):
1. a byte-order mark: UTF-8-SIG, UTF-32, UTF-16;
2. UTF-16 without a BOM, recognised by NUL bytes in every other position;
3. strict UTF-8;
4. GB18030 (a superset of GBK and GB2312), accepted only when nearly all non-ASCII characters
   are common Simplified Chinese (encodable in GB2312). charset-normalizer alone guesses short
   GBK text wrong (it reads "退货期限是多久？" as Korean cp949), and GBK is the legacy encoding
   Chinese help-desk files are most likely to use, so it gets its own check;
5. for short input, the Latin single-byte pages: cp1252 (Western, a superset of Latin-1's
   letters), cp1250 and ISO-8859-2 (Central European), each scored by the share of its non-ASCII
   characters that are letters of the languages it serves; ties go to cp1252. On a few dozen
   bytes charset-normalizer guesses rare pages ("crème brûlée" came out as cp1250 "crčme brűlée",
   "café" as UTF-16);
6. charset-normalizer's best guess for everything else (Big5, Shift-JIS, cp1251, ...).
Anything left, or text that decodes into control characters, is reported as binary.
"""

from __future__ import annotations

import codecs
import re
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
_SHORT_TEXT_BYTES = 2048  # charset-normalizer was right on prose from about 100 bytes up

# Accented letters of the languages each Latin page serves (the rest of the page is rare).
_WESTERN_LETTERS = frozenset("ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿŒœ")
_CENTRAL_LETTERS = frozenset(
    "ĄĆĘŁŃÓŚŹŻąćęłńóśźżÁÄČĎÉĚÍŇÔÖŘŠŤÚŮÜÝŽáäčďéěíňôöřšťúůüýžŐŰőűĂÂÎȘȚăâîșțŞŢşţĹĽŔĺľŕß"
)
# Punctuation and signs these pages share; fine between words, a sign of a wrong page inside one.
_LATIN_SIGNS = frozenset("€‚„…†‡‰‹›‘’“”•–—™¡¿«»°§©®·×÷¢£½\u00a0")
_LATIN_PAGES = (("cp1252", _WESTERN_LETTERS), ("cp1250", _CENTRAL_LETTERS), ("iso-8859-2", _CENTRAL_LETTERS))
_MIN_LATIN_SCORE = 0.95
_MAX_NON_ASCII_WORDS = 0.2  # Cyrillic, Greek... read as Latin give words without an ASCII letter
_WORD = re.compile(r"[^\W\d_]{2,}")


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


def _latin_score(text: str, letters: frozenset[str]) -> float:
    """The share of non-ASCII characters that are expected letters, or signs outside words."""
    expected = total = 0
    for i, char in enumerate(text):
        if ord(char) < 128:
            continue
        total += 1
        if char in letters:
            expected += 1
        elif char in _LATIN_SIGNS:
            inside_word = 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha()
            expected += not inside_word
    return expected / total if total else 0.0


def _short_latin(data: bytes) -> str | None:
    """Short text in a Latin single-byte page, when one reads as plausible text (see above)."""
    best: tuple[float, str] | None = None
    for encoding, letters in _LATIN_PAGES:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _latin_score(text, letters)
        if best is None or score > best[0]:
            best = (score, text)
    if best is None or best[0] < _MIN_LATIN_SCORE:
        return None
    words = _WORD.findall(best[1])
    foreign = sum(1 for word in words if not any(char.isascii() for char in word))
    return best[1] if words and foreign / len(words) <= _MAX_NON_ASCII_WORDS else None


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
    if len(data) <= _SHORT_TEXT_BYTES:
        latin = _short_latin(data)
        if latin is not None:
            return latin
    best = charset_normalizer.from_bytes(data).best()
    return str(best) if best is not None else None


def decode_text(data: bytes) -> str:
    """Decode a text file's bytes; raise IngestError if they are not text."""
    text = _decode(data)
    if text is None or _control_share(text) > _MAX_CONTROL_SHARE:
        raise IngestError("binary or garbage content: the file is not readable text")
    return text.replace("\r\n", "\n").replace("\r", "\n")
