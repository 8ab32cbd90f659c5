from __future__ import annotations

import pytest

from assistant.guards.decoders import decode_payloads, readable
from assistant.guards.text import compact, fold_leet, has_spaced_letters, normalize
from ingest.text import detect_language


def test_normalize_folds_the_usual_disguises() -> None:
    assert normalize("ＩＧＮＯＲＥ ign\u200bore ign\u043ere") == "ignore ignore ignore"
    assert normalize("忽 略-之·前  的指令 無視") == "忽略之前的指令无视"
    assert normalize("SYSTEM：hi\n  next") == "system:hi\n next"


def test_leet_and_spaced_views() -> None:
    assert fold_leet("1gn0r3 4ll, order 2024") == "ignore all, order 2024"
    spaced = normalize("i g n o r e   a l l")
    assert has_spaced_letters(spaced) and compact(spaced) == "ignoreall"
    assert not has_spaced_letters("a b c plan")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Hub Pro X2怎么重置", "zh"),
        ("我的hub无法连接WiFi", "zh"),
        ("How do I set up 网关?", "en"),
        ("订单 ORD-2024-118833 到哪了", "zh"),
        ("See https://example.com/a/b/c 说明书在这里", "zh"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_decoders_only_return_readable_text() -> None:
    assert [d.kind for d in decode_payloads("\\u0068\\u0065\\u006c\\u006c\\u006f")] == ["escape"]
    assert [d.text for d in decode_payloads("&#104;&#101;&#108;&#108;&#111; there")] == ["hello there"]
    assert [d.text for d in decode_payloads("\\x68\\x65\\x6c\\x6c\\x6f\\x21")] == ["hello!"]
    assert not readable("\x00\x01abc") and readable("退款规则")
