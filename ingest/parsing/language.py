"""Which language a text is in, "zh" or "en": the two the assistant answers in.

Rule: "zh" when CJK ideographs outnumber Latin words. A Chinese character carries about as much
as an English word, so counting characters against words (not letters) keeps product names like
"Lumo Plus" from outvoting a Chinese sentence, and a Chinese name from flipping an English page.
"""

from __future__ import annotations

import re

_CJK_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def detect_language(text: str, *, default: str = "en") -> str:
    """"zh" if CJK ideographs dominate, "en" if Latin words do, `default` if it has neither."""
    cjk = len(_CJK_IDEOGRAPH.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    if cjk == 0 and latin == 0:
        return default
    return "zh" if cjk >= latin else "en"


def has_cjk(text: str) -> bool:
    return _CJK_IDEOGRAPH.search(text) is not None
