"""The Chinese-English lexicon the answerability judge compares key words with across languages:
parsed from CC-CEDICT lines, looked up both ways, and cached under the data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.retrieval import packaged_data
from assistant.retrieval.lexicon import bilingual_lexicon, parse_cedict
from assistant.retrieval.text import key_terms

LINES = [
    "# CC-CEDICT comment line\n",
    "過濾 过滤 [guo4 lu:4] /to filter/filter/\n",
    "電子 电子 [dian4 zi3] /electronic/electron (particle physics)/\n",
    "禮品 礼品 [li3 pin3] /gift/present/CL:份[fen4],件[jian4]/\n",
    "天才 天才 [tian1 cai2] /talent/gift/genius/talented/\n",
    "增值稅 增值税 [zeng1 zhi2 shui4] /value-added tax (VAT)/\n",
    "天氣 天气 [tian1 qi4] /weather/\n",
    "卡 卡 [ka3] /card/\n",
    "金 金 [jin1] /gold/metal/\n",
    "會員 会员 [hui4 yuan2] /member/\n",
    "長途 长途 [chang2 tu2] /long distance travel over long distance/\n",
    "月費 月费 [yue4 fei4] /monthly fee/\n",
    "來電 来电 [lai2 dian4] /incoming telephone call (or telegram)/to have chemistry with sb/\n",
    "malformed line without brackets\n",
]


def test_entries_are_read_both_ways() -> None:
    parsed = parse_cedict(LINES)
    assert parsed.english("过滤") == {"filter"}
    assert "过滤" in parsed.chinese("filter")
    # Notes and cross-references are not words: "(particle physics)", "CL:份[fen4]".
    assert parsed.english("电子") == {"electronic", "electron"}
    assert parsed.english("礼品") == {"gift", "present"}
    # An acronym in a note translates exactly, however long its gloss.
    assert "增值税" in parsed.chinese("vat") and "vat" in parsed.english("增值税")
    # A long gloss describes rather than translates: not listed under its words.
    assert "长途" not in parsed.chinese("distance")
    # A single character is part of too many words to be looked for in a text.
    assert "卡" not in parsed.chinese("card") and parsed.english("卡") == {"card"}


def test_an_unknown_word_means_what_its_known_parts_mean() -> None:
    parsed = parse_cedict(LINES)
    assert parsed.english("电子礼品") == {"electronic", "electron", "gift", "present"}
    assert parsed.english("断网") == frozenset()  # no known part: nothing


def test_terms_held_across_languages() -> None:
    parsed = parse_cedict(LINES)
    english = "E-gift cards are available from S$20 to S$500."
    held = parsed.held_across(key_terms("电子礼品卡面额"), english, set(key_terms(english)))
    # 电子礼品 and 卡 translate; its bigrams inside them come along; 面额 is unknown here, so it
    # says nothing either way; the bigram spanning 卡 and 面额 lies in held words.
    assert {"电子礼品", "卡", "#礼品", "#子礼", "面额"} <= held
    assert parsed.held_across(key_terms("天气"), english, set(key_terms(english))) == set()
    chinese = "地区: 中国内地; 税种: 增值税"
    assert parsed.held_across(["vat", "auth0", "filter"], chinese, set(key_terms(chinese))) == {"vat"}


def test_a_single_character_says_nothing_across_languages() -> None:
    # 月结 (monthly account) is cut to 月 and 结 by the dictionary; 金 alone means too much to look for.
    parsed = parse_cedict([*LINES, "結 结 [jie2] /knot/sturdy/bond/to tie/\n"])
    english = "500 to 1,999 parcels a month: 10% off."
    assert parsed.held_across(["结", "金"], english, set(key_terms(english))) == {"结", "金"}


def test_an_english_term_is_held_by_a_chinese_word_whose_gloss_holds_it() -> None:
    # 来电 ("incoming telephone call") and 月费 ("monthly fee") are not listed under "call" or
    # "month": their glosses describe. Read from the Chinese side, they hold those words.
    parsed = parse_cedict(LINES)
    assert "来电" not in parsed.chinese("call") and "月费" not in parsed.chinese("month")
    row = "服务: 来电过滤; 月费（港元）: 15"
    held = parsed.held_across(key_terms("call filtering add-on per month"), row, set(key_terms(row)))
    assert held == {"call", "filter", "month"}
    assert parsed.held_across(["weather", "roaming"], row, set(key_terms(row))) == set()


def test_a_compound_the_lexicon_lacks_holds_what_its_characters_mean() -> None:
    # 金卡 ("gold card") is no entry: read from the Chinese side, its characters hold "gold".
    parsed = parse_cedict(LINES)
    row = "会员等级: 金卡会员; 折扣: 九五折"
    terms = {"金卡", "会员", "折扣"}
    assert parsed.english("金卡") == frozenset()  # as a question's word it still says nothing
    assert parsed.held_across(key_terms("Do gold members get a discount?"), row, terms) >= {"gold", "member"}
    assert "gold" not in parsed.held_across(["gold"], "会员等级: 白银会员", {"白银", "会员"})


def test_the_packaged_dictionary_is_parsed_once_and_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packaged_data, "_cache_dir", tmp_path)
    packaged_data.forget()
    parsed = bilingual_lexicon()
    assert "gift" in parsed.english("礼品") and "增值税" in parsed.chinese("vat")
    (cached,) = tmp_path.glob("cedict-*.pickle")
    packaged_data.forget()
    assert bilingual_lexicon() == parsed  # read back from the cache
    # A torn cache file is parsed again and rewritten, not an error.
    cached.write_bytes(b"\x80\x05 torn")
    packaged_data.forget()
    assert bilingual_lexicon() == parsed
    assert cached.stat().st_size > 1000
    packaged_data.forget()


def test_a_chinese_word_is_searched_in_english_by_its_short_glosses_only() -> None:
    parsed = parse_cedict(LINES)
    # "long distance travel over long distance" describes 长途: its words are no search terms.
    assert parsed.english("长途", close=True) == frozenset() and "travel" in parsed.english("长途")
    assert parsed.english("月费", close=True) == {"monthly", "fee"}
    assert parsed.english("电子礼品", close=True) == {"electronic", "electron", "gift", "present"}


def test_a_short_gloss_word_inside_a_long_word_is_not_held() -> None:
    # 入门 glosses "enter": "Enterprise" is not it (the Starter plan's question had been given the
    # Enterprise row); a gloss and a text word of one stem still match ("assemble", "Assembly").
    lexicon = bilingual_lexicon()
    assert lexicon.known_held(["入门"], "Plan: Enterprise; Webhooks: unlimited") == set()
    assert lexicon.known_held(["组装"], "Assembly costs S$60") == {"组装"}
