"""Text normalisation shared by every guard (language detection is ingest.text's).

Attackers and angry customers write the same words in many shapes: full-width letters, zero-width
characters, Cyrillic look-alikes, traditional characters, letters spaced out or written in leetspeak.
The guards match rules against a normalised view so one rule covers all of these.
"""

from __future__ import annotations

import re
import unicodedata

from ingest.text import CJK_CLASS

ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f"
_ZERO_WIDTH_RE = re.compile(f"[{ZERO_WIDTH}]")
# A zero-width character between two letters is an attempt to split a word; inside emoji it is not.
_ZERO_WIDTH_IN_WORD = re.compile(f"(?<=[^\\W\\d_])[{ZERO_WIDTH}]+(?=[^\\W\\d_])")

# Cyrillic and Greek letters that look like Latin ones (after casefold).
_HOMOGLYPHS = {
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "ӏ": "l",
    "ү": "y",
    "ɡ": "g",
    "ɑ": "a",
    "α": "a",
    "β": "b",
    "ε": "e",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
}
_CONFUSABLE_SCRIPT = re.compile("[" + "".join(_HOMOGLYPHS) + "]")

# Traditional characters that occur in the guard rules and word lists, folded to simplified,
# so one rule set serves mainland, Hong Kong and Taiwan customers.
_TRADITIONAL = dict(
    zip(
        "無視憶記們個這說設規則詞統輸顯訴為開發應該請隱製約東縛護機語啟啓換進處從現於給帶過濾審裝讓將對話題權員導遺復複寫傳訊務號碼專責問錢賠償訟師業貨詐騙媽豬騷滾經當時後麼沒嗎頭蠢腦殘廢圾邏輯種",
        "无视忆记们个这说设规则词统输显诉为开发应该请隐制约东缚护机语启启换进处从现于给带过滤审装让将对话题权员导遗复复写传讯务号码专责问钱赔偿讼师业货诈骗妈猪骚滚经当时后么没吗头蠢脑残废圾逻辑种",
        strict=True,
    )
)
_FOLD = str.maketrans({**_HOMOGLYPHS, **_TRADITIONAL})

# Separators smuggled between Chinese characters ("忽 略", "忽-略") carry no meaning.
_CJK_GAP = re.compile(f"(?<=[{CJK_CLASS}])[\\s\\-_.*·|/\\\\~]+(?=[{CJK_CLASS}])")
_HSPACE = re.compile(r"[^\S\n]+")

_LEET = str.maketrans("013457@$8", "oieastasb")
_LEET_TOKEN = re.compile(r"(?=[a-z0-9@$]*[a-z])(?=[a-z0-9@$]*[0-9@$])[a-z0-9@$]+")
# Six or more single letters separated by spaces or dots: "i g n o r e".
_SPACED = re.compile(r"(?:(?<![a-z])[a-z][\s.\-_*|/·,]{1,3}){5,}[a-z](?![a-z])")
_IN_WORD_PUNCT = re.compile(r"(?<=[a-z])[.*·|'`_\-]+(?=[a-z])")
_NOT_COMPACT = re.compile(f"[^a-z0-9{CJK_CLASS}]+")


def strip_zero_width(text: str) -> str:
    return _ZERO_WIDTH_RE.sub("", text)


def has_zero_width_in_word(text: str) -> bool:
    return bool(_ZERO_WIDTH_IN_WORD.search(text))


def has_mixed_script_word(text: str) -> bool:
    """A word mixing Latin with Cyrillic/Greek look-alikes ("ignоre" with a Cyrillic o)."""
    for word in re.findall(r"[^\W\d_]+", text.casefold()):
        if _CONFUSABLE_SCRIPT.search(word) and re.search("[a-z]", word):
            return True
    return False


def normalize(text: str) -> str:
    """Casefolded NFKC text without zero-width characters, look-alikes folded, CJK gaps closed.

    Newlines are kept (rules anchor fake "SYSTEM:" lines on them); other whitespace runs
    become one space.
    """
    text = unicodedata.normalize("NFKC", strip_zero_width(text))
    text = text.casefold().translate(_FOLD)
    text = _CJK_GAP.sub("", text)
    return _HSPACE.sub(" ", text).strip()


def fold_leet(normalized: str) -> str:
    """'1gn0r3 4ll' -> 'ignore all'; only tokens mixing letters and digits are touched."""
    return _LEET_TOKEN.sub(lambda m: m.group().translate(_LEET), normalized)


def join_split_words(normalized: str) -> str:
    """'ig.nore pre-vious' -> 'ignore previous': punctuation inside a Latin word removed."""
    return _IN_WORD_PUNCT.sub("", normalized)


def has_spaced_letters(normalized: str) -> bool:
    return bool(_SPACED.search(normalized))


def compact(normalized: str) -> str:
    """Letters, digits and CJK only: 'i g n o r e  a l l' -> 'ignoreall'."""
    return _NOT_COMPACT.sub("", normalized)
