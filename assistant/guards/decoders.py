"""Decoders for smuggled payloads: base64, hex, URL-encoding and unicode/HTML escapes.

Each decoder finds encoded spans and returns only readable decodings (mostly letters, printable),
so random ids and hashes that happen to be valid base64 or hex are ignored.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

_BASE64 = re.compile(r"[A-Za-z0-9+/\-_]{16,}={0,2}")
_HEX = re.compile(r"(?:\\x[0-9a-fA-F]{2}){4,}|(?:0x)?(?:[0-9a-fA-F]{2}[ :]?){8,}")
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}|&#x?[0-9a-fA-F]+;")
_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")
_LETTER = re.compile(r"[^\W\d_]")
MAX_DEPTH = 2


@dataclass(frozen=True)
class Decoded:
    kind: str  # "base64", "hex", "url", "escape"; nested as "base64+url"
    text: str


def readable(text: str) -> bool:
    """At least 4 letters, nearly all printable, and letters make up most non-space chars."""
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return False
    letters = len(_LETTER.findall(text))
    printable = sum(ch.isprintable() for ch in visible)
    return letters >= 4 and printable / len(visible) >= 0.95 and letters / len(visible) >= 0.6


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _base64(text: str) -> Iterator[str]:
    for token in _BASE64.findall(text):
        urlsafe = "-" in token or "_" in token
        padded = token.rstrip("=") + "=" * (-len(token.rstrip("=")) % 4)
        try:
            raw = base64.b64decode(padded, altchars=b"-_" if urlsafe else None, validate=True)
        except (binascii.Error, ValueError):
            continue
        decoded = _utf8(raw)
        if decoded is not None:
            yield decoded


def _hex(text: str) -> Iterator[str]:
    for token in _HEX.findall(text):
        digits = re.sub(r"\\x|0x|[ :]", "", token)
        if len(digits) % 2:
            digits = digits[:-1]
        decoded = _utf8(bytes.fromhex(digits))
        if decoded is not None:
            yield decoded


def _url(text: str) -> Iterator[str]:
    if len(_PERCENT.findall(text)) >= 3:
        yield unquote(text)


def _unicode_char(m: re.Match[str]) -> str:
    code = int(m.group(1) or m.group(2), 16)
    return chr(code) if code <= 0x10FFFF else ""


def _escape(text: str) -> Iterator[str]:
    if len(_ESCAPE.findall(text)) >= 3:
        yield html.unescape(_UNICODE_ESCAPE.sub(_unicode_char, text))


DECODERS: dict[str, Callable[[str], Iterator[str]]] = {
    "base64": _base64,
    "hex": _hex,
    "url": _url,
    "escape": _escape,
}


def decode_payloads(text: str, depth: int = MAX_DEPTH) -> list[Decoded]:
    """Readable decodings of every encoded span, following nested encodings up to depth."""
    found: list[Decoded] = []
    seen = {text}
    frontier = [Decoded("", text)]
    for _ in range(depth):
        next_frontier: list[Decoded] = []
        for item in frontier:
            for kind, decoder in DECODERS.items():
                for decoded in decoder(item.text):
                    if decoded in seen or not readable(decoded):
                        continue
                    seen.add(decoded)
                    next_frontier.append(Decoded(f"{item.kind}+{kind}" if item.kind else kind, decoded))
        found += next_frontier
        frontier = next_frontier
    return found
