"""Text rules every package shares: CJK characters, which language a text is in, citation markers,
and tokens. It sits in ingest, the bottom layer, so ingest, assistant and eval all use the same rule:
one turn cannot be "zh" in one step and "en" in the next.

Language  "zh" when CJK ideographs are at least half of (CJK ideographs + Latin words). A Chinese
          character carries about as much as an English word, so counting characters against
          words (not letters) keeps product names ("Hub Pro X2") from outvoting a Chinese sentence
          and a Chinese name from flipping an English page. URLs and redaction placeholders
          ([EMAIL_1]) are no language and are left out. A Latin word is a run of letters, digits
          and id punctuation holding a letter, so "X2", "ORD-2024-1188" and a base64 blob each
          count once.
Citations [n], [n, m], [n][m], and the full-width forms 【n】 ［n］ with ，、 between numbers (hosted
          models use them in Chinese). A range "[1-3]" is not a citation: the answer steps ask for
          [n] and check each number against a passage.
Tokens    tiktoken cl100k_base, the unit of every kefu budget (chunks, prompts, stored counts).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, overload

if TYPE_CHECKING:
    import tiktoken

Lang = Literal["zh", "en"]

# CJK Unified Ideographs, extension A, and the compatibility ideographs.
CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(f"[{CJK_CLASS}]")
CJK_RUN_RE = re.compile(f"[{CJK_CLASS}]+")

_URL_RE = re.compile(r"https?://\S+|www\.\S+")
_PLACEHOLDER_RE = re.compile(r"\[[A-Z_]+_\d+\]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z0-9_+/=%\\.\-]*[A-Za-z][A-Za-z0-9_+/=%\\.\-]*")

CITATION_PATTERN = r"[\[【［]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】］]"
CITATION_RE = re.compile(CITATION_PATTERN)
_CITATION_SEPARATOR_RE = re.compile(r"\s*[,，、]\s*")

TOKEN_ENCODING = "cl100k_base"


# -- CJK and language ---------------------------------------------------------------------------


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None


def cjk_count(text: str) -> int:
    return len(CJK_RE.findall(text))


def _language_counts(text: str) -> tuple[int, int]:
    """(CJK ideographs, Latin words) of text, URLs and placeholders left out."""
    text = _PLACEHOLDER_RE.sub(" ", _URL_RE.sub(" ", unicodedata.normalize("NFKC", text)))
    return cjk_count(text), len(_LATIN_WORD_RE.findall(text))


def cjk_share(text: str) -> float:
    """CJK ideographs / (CJK ideographs + Latin words); 0.0 for a text with neither."""
    cjk, latin = _language_counts(text)
    return cjk / (cjk + latin) if cjk + latin else 0.0


@overload
def detect_language(text: str, *, default: Lang = "en") -> Lang: ...
@overload
def detect_language(text: str, *, default: str) -> str: ...  # a stored language code as the default


def detect_language(text: str, *, default: str = "en") -> str:
    """ "zh" or "en" by the rule in the module docstring; `default` for a text with neither."""
    cjk, latin = _language_counts(text)
    if cjk == 0 and latin == 0:
        return default
    return "zh" if cjk >= latin else "en"


def is_chinese(text: str) -> bool:
    return detect_language(text) == "zh"


# -- citations ----------------------------------------------------------------------------------


def citation_numbers(text: str) -> list[int]:
    """Every citation number in the text, in order of appearance, repeats kept."""
    return [
        int(number)
        for match in CITATION_RE.finditer(text)
        for number in _CITATION_SEPARATOR_RE.split(match.group(1).strip())
    ]


def citations_in(text: str) -> list[int]:
    """Citation numbers in order of first appearance."""
    return list(dict.fromkeys(citation_numbers(text)))


def strip_citations(text: str) -> str:
    return CITATION_RE.sub(" ", text)


# -- tokens -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    # Offline: ingest.runtime (run on importing ingest) points TIKTOKEN_CACHE_DIR at the cache
    # llama-index-core ships. Imported here so a module that only detects languages stays light.
    import tiktoken

    return tiktoken.get_encoding(TOKEN_ENCODING)


def tokenize(text: str) -> list[int]:
    # disallowed_special=(): a document containing "<|endoftext|>" is text, not an error.
    return _encoding().encode(text, disallowed_special=())


def count_tokens(text: str) -> int:
    """Tokens in cl100k_base, the unit of every kefu budget."""
    return len(tokenize(text))


def truncate_tokens(text: str, limit: int) -> str:
    """The longest prefix of text within `limit` tokens (cut on a token boundary)."""
    tokens = tokenize(text)
    return text if len(tokens) <= limit else _encoding().decode(tokens[: max(0, limit)])
