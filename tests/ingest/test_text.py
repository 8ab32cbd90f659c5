"""ingest.text: the one rule for CJK, language, citations and tokens that every package uses."""

from __future__ import annotations

import pytest

from ingest.text import (
    CJK_CLASS,
    cjk_count,
    cjk_share,
    citation_numbers,
    citations_in,
    count_tokens,
    detect_language,
    has_cjk,
    is_chinese,
    strip_citations,
    truncate_tokens,
)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # product names and ids count once each, so they do not outvote the Chinese around them
        ("Hub Pro X2怎么重置", "zh"),
        ("我的hub无法连接WiFi", "zh"),
        ("订单 ORD-2024-118833 到哪了", "zh"),
        ("Lumo Plus 会员享有60天退货期，无需小票。", "zh"),
        # a Chinese name does not flip an English sentence
        ("How do I set up 网关?", "en"),
        ("Members get 60 days. Contact 王先生 for details about the returns policy.", "en"),
        # URLs and redaction placeholders are no language
        ("See https://example.com/a/b/c 说明书在这里", "zh"),
        ("[EMAIL_1] [PHONE_2] 退货", "zh"),
        ("", "en"),
        ("12345 -- 678", "en"),
    ],
)
def test_one_language_rule(text: str, lang: str) -> None:
    assert detect_language(text) == lang
    assert is_chinese(text) == (lang == "zh")


def test_a_text_without_letters_gets_the_default() -> None:
    assert detect_language("12345 -- 678", default="zh") == "zh"
    assert detect_language("退货", default="en") == "zh"


def test_cjk_helpers() -> None:
    assert has_cjk("abc 退") and not has_cjk("abc ｱ")  # half-width katakana is not an ideograph
    assert cjk_count("退货 return 政策") == 4
    assert cjk_share("退货 return") == pytest.approx(2 / 3)
    assert cjk_share("") == 0.0
    assert "\u4e00-\u9fff" in CJK_CLASS


@pytest.mark.parametrize(
    ("answer", "numbers"),
    [
        ("a [1] b [2]", [1, 2]),
        ("a [1, 2]", [1, 2]),
        ("a [1][2] and again [1]", [1, 2, 1]),
        ("见【2】和［3］", [2, 3]),
        ("见【1，2、3】", [1, 2, 3]),
        # a range is not a citation: each number must be cited as [n]
        ("a [1-3]", []),
        ("a [1–3]", []),
        ("[EMAIL_1] (2)", []),
    ],
)
def test_citation_syntax(answer: str, numbers: list[int]) -> None:
    assert citation_numbers(answer) == numbers
    assert citations_in(answer) == list(dict.fromkeys(numbers))


def test_strip_citations_keeps_the_words() -> None:
    assert strip_citations("Returns take 30 days [1][2].").split() == ["Returns", "take", "30", "days", "."]
    assert strip_citations("a [1-3]") == "a [1-3]"


def test_tokens() -> None:
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2  # cl100k_base
    assert count_tokens("<|endoftext|>") > 1  # a special token in a document is plain text
    long = "Returns are accepted within 30 days with the receipt. " * 20
    cut = truncate_tokens(long, 10)
    assert long.startswith(cut) and count_tokens(cut) <= 10
    assert truncate_tokens("short", 10) == "short"
