"""Traditional Chinese characters read as simplified ones, so that a customer in Hong Kong, Macau or
Taiwan writing "手機遺失後，暫停號碼最長多少天免費？" matches a help centre written in simplified
characters ("手机遗失后……"), and the other way round.

Every matching step reads text through this: the tokeniser (retrieval.text.normalise: BM25, key
words), the answer step's words (grounding.lexical_units) and the question itself before it is
condensed, so the patterns that read a question ("多少钱", "有没有") read one written either way.
Quotes stay as the passage writes them.

The mapping is one character to one character (so a text keeps its length and positions), taken
from CC-CEDICT as the lexicon is (the `pinyin` package's cedict.txt.gz; nothing is downloaded): each
entry pairs a word's traditional and simplified forms, and a character is read as the simplified
character it most often stands for ("後" -> "后", "於" -> "于"), unless simplified words also
write it (儿, 么, 著 of 著名, 乾 of 乾隆 stay; see SIMPLIFIED_USE_RATIO). Word-level conversions (OpenCC's
phrases) are not needed for matching: both sides are read the same way.
"""

from __future__ import annotations

import gzip
from collections import Counter, defaultdict
from pathlib import Path

from assistant.retrieval import packaged_data
from ingest.text import CJK_RUN_RE

CEDICT_PACKAGE = "pinyin"
CEDICT_FILE = "cedict.txt.gz"
FORMAT_VERSION = 3
SIMPLIFIED_USE_RATIO = 10


def to_simplified(text: str) -> str:
    """text with its traditional characters replaced by simplified ones (same length)."""
    if not CJK_RUN_RE.search(text):
        return text
    return text.translate(_table())


def parse_cedict(lines: list[str]) -> dict[int, str]:
    """The translate table: code point of a traditional character -> its simplified character."""
    stands_for: dict[str, Counter[str]] = defaultdict(Counter)
    written_simplified: Counter[str] = Counter()  # how often simplified words write a character
    for line in lines:
        if line.startswith("#"):
            continue
        fields = line.split(" ", 2)
        if len(fields) < 3 or len(fields[0]) != len(fields[1]):
            continue
        written_simplified.update(fields[1])
        for traditional, simplified in zip(fields[0], fields[1], strict=True):
            if simplified != traditional:
                stands_for[traditional][simplified] += 1
    table: dict[int, str] = {}
    for traditional, counts in stands_for.items():
        simplified, times = counts.most_common(1)[0]
        # A character simplified words also write is left alone unless it stands for another far
        # more often: 儿 and 么 (a few variant entries list them as traditional forms) and 著, 乾
        # (著名, 乾隆: read as 着, 乾洗's 干, they broke simplified words apart: one cmrc2018
        # question of 257 refused) stay; 於 (a surname in simplified) is read as 于.
        if times > SIMPLIFIED_USE_RATIO * written_simplified[traditional]:
            table[ord(traditional)] = simplified
    return table


def _table() -> dict[int, str]:
    return packaged_data.load("hanzi", CEDICT_PACKAGE, CEDICT_FILE, _parse_file, dict, FORMAT_VERSION)


def _parse_file(path: Path) -> dict[int, str]:
    return parse_cedict(cedict_lines(path))


def cedict_lines(path: Path) -> list[str]:
    """The lines of the packaged CC-CEDICT file (also read by retrieval.lexicon)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return handle.readlines()
