"""The answerability evidence that reads a question the way a customer writes it: a table row's
cells with the row's name, asks joined in one sentence that two passages answer, light verbs,
and numbers or codes the passages lack."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.answerability import (
    asked_to_exist,
    counted_thing,
    FULL_COVERAGE_FLOOR,
    AnswerabilityParams,
    evidence,
    missing_numbers,
    passage_sentences,
)
from assistant.retrieval.text import key_terms
from assistant.types import Passage, PassageScores


def passage(text: str, lang: str = "en", title: str = "Help", **extra: object) -> Passage:
    return Passage(
        chunk_id=text[:8],
        doc_id=text[:8],
        text=text,
        title=title,
        lang=lang,
        scores=PassageScores(),
        extra=extra,
    )


def test_a_table_rows_sentences_are_its_cells_with_the_rows_name() -> None:
    row = passage("Plan: Starter; Billed monthly: US$12; Seats: 1 to 3; SSO: No")
    assert passage_sentences(row) == [
        "Starter, Billed monthly: US$12",
        "Starter, Seats: 1 to 3",
        "Starter, SSO: No",
    ]
    structured = passage(
        "whatever the renderer wrote",
        table_row={"table": "Plans", "headers": ["套餐", "月费"], "cells": ["学生计划", "78港元"]},
    )
    assert passage_sentences(structured) == ["学生计划, 月费: 78港元"]
    # Prose is split into sentences as before.
    assert passage_sentences(passage("Seats are billed monthly. Add one any time.")) == [
        "Seats are billed monthly.",
        "Add one any time.",
    ]


def test_two_asks_in_one_sentence_count_against_their_own_passages() -> None:
    assembly = passage("Wardrobe assembly costs RM 120 per wardrobe.")
    surcharge = passage("A bulky item surcharge of RM 40 applies to sofas and beds.")
    question = "How much does wardrobe assembly cost, and what is the bulky item surcharge?"
    both = evidence(question, [assembly, surcharge]).features["coverage"]
    one = evidence(question, [assembly]).features["coverage"]
    assert both == pytest.approx(1.0) and one < 0.7


def test_light_verbs_are_not_key_terms() -> None:
    assert key_terms("How much local data comes with Harbour Max?") == ["local", "data", "harbour", "max"]
    # "Become a Gold member" is being one: the tier row names the tier, not becoming.
    assert key_terms("What do I spend to become a Gold member?") == ["spend", "gold", "member"]
    assert "allow" not in key_terms("How many seats does the Starter plan allow?")
    # A topic word stays.
    assert "refund" in key_terms("Do you allow refunds?")


def test_an_faq_entrys_similar_question_asking_most_of_the_question_is_evidence() -> None:
    hotspot = passage(
        "Q: Can I use my phone as a hotspot?\nA: Yes. Tethering is allowed on every plan and uses your local data.",
        questions="Can I use my phone as a hotspot?\nIs tethering allowed?\nShare my data with my laptop",
    )
    question = "Can I share my data with my laptop?"
    assert evidence(question, [hotspot]).features["coverage"] == pytest.approx(1.0)
    assert evidence(question, [replace(hotspot, extra={})]).features["coverage"] < 0.5
    # A similar question sharing one word of several is no evidence for the rest.
    gift_cards = passage(
        "问：有礼品卡吗？\n答：有。电子礼品卡面额20至500新元，有效期3年。",
        lang="zh",
        questions="有礼品卡吗？\n送朋友礼品卡",
    )
    found = evidence("可以请朋友代我到仓库取货吗？", [gift_cards])
    assert found.features["coverage"] == pytest.approx(
        evidence("可以请朋友代我到仓库取货吗？", [replace(gift_cards, extra={})]).features["coverage"]
    )


def test_what_time_is_no_key_term_and_open_is_held_by_its_synonym() -> None:
    """ "几点开门" asks a time of day ("what time ... open"): 几点 names nothing a passage holds, and
    a lounge that 开放 (opens) is open (开门)."""
    question = "商务候车室几点开门？"
    assert "几点" not in key_terms(question)
    lounge = passage("商务候车室开放时间为早上6时30分至晚上9时30分。", lang="zh")
    assert evidence(question, [lounge]).features["coverage"] == pytest.approx(1.0)


def test_a_part_of_the_day_is_held_by_a_passages_times_of_day() -> None:
    """ "On a Saturday morning" is answered by opening hours; no passage writes "morning"."""
    question = "Can I go to the Xihu service hall on a Saturday morning?"
    hours = passage("Xihu service hall: Monday to Friday 8:30–17:00; closed on Saturdays and Sundays.")
    assert evidence(question, [hours]).features["coverage"] == pytest.approx(1.0)
    hall = passage("西湖营业厅营业时间：周一至周五 8:30–17:00。", lang="zh")
    assert "晚上" not in evidence("晚上可以去西湖营业厅吗？", [hall]).missing_terms
    # A passage stating no time of day does not hold it.
    no_hours = passage("The Xihu service hall is on Wensan Road; it is closed on Saturdays.")
    assert "morn" in evidence(question, [no_hours]).missing_terms
    # A word that only stems like one ("even if") is none.
    assert "even" in evidence("Can I return it even if it is opened?", [hours]).missing_terms


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("深圳北站的商务候车室有淋浴间吗？", "淋浴间"),
        ("酒店可以借婴儿推车吗？要交多少押金？", "推车"),
        ("有没有不限次数坐车的通票？7天的多少钱？", "通票"),
        ("Can I borrow a baby stroller?", "stroller"),
        ("Is there free shipping to New Zealand?", "ship"),
        ("Do you have connecting rooms?", "room"),
        # Not an existence question: 所有, 没有; "is there a way" asks how.
        ("所有套餐都包括吗？", None),
        ("没有收到怎么办？", None),
        ("Is there a way to pay later?", None),
        # A fee or a discount asks an amount: "costs S$5" answers it without the word.
        ("Is there a fee for gift wrapping?", None),
        ("有手续费吗？", None),
        ("How much is it?", None),
    ],
)
def test_the_thing_a_question_asks_to_exist(question: str, thing: str | None) -> None:
    assert asked_to_exist(question) == thing


def test_a_thing_asked_to_exist_that_no_passage_names_is_missing() -> None:
    """ "有淋浴间吗" over a page on the lounges' places and hours was answered with them: the
    passages hold the station and the lounge, not the shower."""
    lounges = passage(
        "深圳北站（2层，东侧候车大厅）设有商务候车室，开放时间为早上6时30分至晚上9时30分。", lang="zh"
    )
    assert evidence("深圳北站的商务候车室有淋浴间吗？", [lounges]).features["missing_number"] == 1.0
    assert evidence("深圳北站的商务候车室开放时间是几点？", [lounges]).features["missing_number"] == 0.0
    showers = passage("商务候车室设有淋浴间，可免费使用。", lang="zh")
    assert evidence("深圳北站的商务候车室有淋浴间吗？", [showers]).features["missing_number"] == 0.0


@pytest.mark.parametrize(
    ("question", "thing"),
    [
        ("莲花会金卡需要多少积分？", "积分"),
        ("入门版每月最多可以开多少张发票？", "发票"),
        ("How many webhooks can I create on the Team plan?", "webhook"),
        # A unit is stated with its figure ("30天", "23 kg"); an amount is stated without the word.
        ("暂停号码最长多少天免费？", None),
        ("寄去日本的包裹最重可以多少公斤？", None),
        ("How many days do I have to return an item?", None),
        ("已开封商品退货要收多少费用？", None),
        # Any count can be of times or people.
        ("How many times can I change my ticket?", None),
        ("How much is it?", None),
    ],
)
def test_the_thing_a_question_counts(question: str, thing: str | None) -> None:
    assert counted_thing(question) == thing


def test_a_counted_thing_that_no_passage_names_is_missing() -> None:
    """ "莲花会金卡需要多少积分？" over the gold members' baggage allowance was answered with "1件"
    of baggage: the passages hold the club and the card, not the points it asks to count."""
    baggage = passage("莲花会金卡及白金卡会员均可额外免费托运1件不超过23公斤的行李。", lang="zh")
    assert evidence("莲花会金卡需要多少积分？", [baggage]).features["missing_number"] == 1.0
    assert evidence("莲花会金卡可以多带几件行李？", [baggage]).features["missing_number"] == 0.0
    points = passage("12个月内累积50,000积分即可升级为莲花会金卡。", lang="zh")
    assert evidence("莲花会金卡需要多少积分？", [points]).features["missing_number"] == 0.0


def test_numbers_and_codes_the_passages_lack_are_missing() -> None:
    sla = passage("Below 99.0% the credit is 25%, and below 95.0% it is 50%. Effective from 1 March 2024.")
    assert missing_numbers("What if uptime drops below 95%?", [sla]) == []  # 95 is 95.0
    assert missing_numbers("What was the credit in the 2021 edition?", [sla]) == ["2021.0"]
    assert missing_numbers(
        "Does it support SSO with Auth0?", [passage("SSO works with Okta and Entra ID.")]
    ) == ["auth0"]
    assert missing_numbers("2021年版的目标是多少？", [passage("2024年版：99.95%", lang="zh")]) == ["2021.0"]
    assert evidence("What was the credit in the 2021 edition?", [sla]).features["missing_number"] == 1.0
    assert evidence("What is the credit below 95%?", [sla]).features["missing_number"] == 0.0


def test_a_customers_number_inside_a_band_the_passage_states_is_held() -> None:
    tiers = passage("100 to 499 parcels a month: 5% off. 500 to 1,999 parcels a month: 10% off.")
    assert missing_numbers("我们公司每月寄600件左右，月结能打几折？", [tiers]) == []
    assert missing_numbers("If we send 3,000 parcels a month, what discount do we get?", [tiers]) == [
        "3000.0"
    ]
    # A year is held by a band of years only, not by a band of amounts.
    assert missing_numbers("What was the fee in 2021?", [passage("From 2020 to 2023 the fee was ¥5.")]) == []
    assert missing_numbers("What was the fee in 2021?", [passage("Claims of 1,000 to 5,000 yuan.")]) == [
        "2021.0"
    ]


def test_the_condense_label_is_no_word_of_the_question() -> None:
    sla = passage("Below 95.0% the credit is 50% of the monthly fee.", title="SLA credits")
    found = evidence(
        "And what if uptime drops below 95%? (previous: What credit do I get below the SLA)", [sla]
    )
    # Its best-covered sentence is the context's, whole: the label "previous" is not counted.
    assert "previous" not in found.missing_terms and found.features["coverage"] == 1.0
    # The situation a customer describes is no number they ask about.
    assert (
        missing_numbers("I am 50 and work here. Can I apply? (answered: Are you under 19? Yes)", [sla]) == []
    )


def test_an_acronym_is_found_where_the_passage_spells_it_out() -> None:
    sla = passage("Ledgerly aims for 99.5% uptime.", title="Uptime service level agreement (2022 edition)")
    assert evidence("What uptime does the 2022 SLA aim for?", [sla]).features["coverage"] == 1.0
    # Initials that are not consecutive words do not spell it.
    slow = passage("Ledgerly aims for 99.5% uptime on a slow lane.", title="Uptime (2022 edition)")
    assert evidence("What uptime does the 2022 SLA aim for?", [slow]).features["coverage"] < 1.0


def test_a_run_on_message_asks_from_its_last_question_word() -> None:
    rules = passage("You can get the payment if you were born before 6 April 1953.")
    assert missing_numbers("I was born in 1960 Can I get the payment?", [rules]) == []
    assert missing_numbers("Can I get the 1960 payment?", [rules]) == ["1960.0"]
    # A range is its numbers; a Chinese character after a number is no part of it.
    battles = passage("普鲁士在1866年击败奥地利，1870年至71年击败法国。", lang="zh")
    assert missing_numbers("普鲁士在1866年和1870-71年又击败了哪些国家？", [battles]) == []


def test_a_question_whose_every_word_the_passages_hold_is_answered_from_a_lower_probability() -> None:
    params = AnswerabilityParams(
        features=["coverage", "sentence_top"],
        weights=[0.0, 1.0],
        bias=0.0,
        mean=[0.0, 0.9],
        scale=[1.0, 0.03],
        full_coverage_floor=FULL_COVERAGE_FLOOR,
    )
    # "When did the current SLA take effect?" over "Effective from 1 March 2024.": every word held,
    # the terse sentence's cosine low.
    terse = {"coverage": 1.0, "missing_number": 0.0, "sentence_top": 0.86}
    assert FULL_COVERAGE_FLOOR <= params.probability(terse) < params.threshold
    assert params.answers(terse)
    # A word missing, or a number asked about that no passage holds: the threshold holds.
    assert not params.answers({**terse, "coverage": 0.8})
    assert not params.answers({**terse, "missing_number": 1.0})
    # Far below the floor, complete words do not answer either; nor without a floor.
    assert not params.answers({**terse, "sentence_top": 0.75})
    assert not replace(params, full_coverage_floor=None).answers(terse)


def test_a_sentence_naming_one_word_is_read_with_the_one_before_it() -> None:
    """ "What would that cost us?" asks about the sentence before it; alone, its one word was held
    by a price list and made it the best-covered sentence (100 %), and a mahjong room's price
    answered an early check-in."""
    prices = passage("Private mahjong rooms cost MOP 800 for the first 3 hours.", title="FAQ")
    found = evidence(
        "Our flight gets in at 6 in the morning and we'd love to crash at the Cotai hotel. What would that cost us?",
        [prices],
    )
    assert found.features["coverage"] < 0.5
    # A situation followed by a question of its own still counts that question alone.
    found = evidence("I work part-time. How much do private mahjong rooms cost?", [prices])
    assert found.features["coverage"] == 1.0


def test_a_customers_figure_within_a_limit_the_passage_states_is_held() -> None:
    """ "A 4-year-old" is the case of "children under 5 years old": the limit holds the figure,
    of its own kind only (an age is not held by a weight limit)."""
    minors = passage("Children under 5 years old cannot travel alone.")
    assert missing_numbers("Can a 4-year-old fly alone?", [minors]) == []
    assert evidence("Can a 4-year-old fly alone?", [minors]).features["coverage"] == pytest.approx(1.0)
    assert missing_numbers("Can a 7-year-old fly alone?", [minors]) == ["7.0"]
    assert missing_numbers("Can a 4-year-old fly alone?", [passage("Bags of up to 5 kg are free.")]) == [
        "4.0"
    ]
    # "No more than" is the limit from above ("more than" alone is the one from below).
    carrier = passage("The pet and its carrier must weigh no more than 8 kg.")
    assert missing_numbers("Can my cat and its carrier weigh 6 kg?", [carrier]) == []
    assert missing_numbers("Can my cat and its carrier weigh 9 kg?", [carrier]) == ["9.0"]


def test_words_for_a_price_are_held_by_an_amount_or_free_of_charge() -> None:
    """ "Does a wheelchair cost anything?" is answered by "free of charge", "how much can I spend"
    by a refund up to an amount: neither page writes the question's word."""
    wheelchair = passage("Wheelchair assistance is free of charge.")
    assert evidence("Does a wheelchair cost anything?", [wheelchair]).features["coverage"] == pytest.approx(
        1.0
    )
    essentials = passage(
        "While your bag is missing, we refund essential purchases of up to NT$1,500 per day."
    )
    assert "spend" not in evidence("How much can I spend on essentials?", [essentials]).missing_terms
    # A page stating no amount does not hold it.
    steps = passage("Request wheelchair assistance at least 48 hours before departure.")
    assert "cost" in evidence("Does a wheelchair cost anything?", [steps]).missing_terms


def test_words_for_opening_hours_are_held_by_a_time_of_day() -> None:
    lounge = passage("The Zhuhai lounge is open from 6:30 am to 9:30 pm.")
    assert evidence("What time does the Zhuhai lounge close?", [lounge]).features[
        "coverage"
    ] == pytest.approx(1.0)
    where = passage("The Zhuhai lounge is on Level 1, next to the ticket office.")
    assert "close" in evidence("What time does the Zhuhai lounge close?", [where]).missing_terms


def test_somewhere_is_no_thing_asked_to_exist() -> None:
    assert asked_to_exist("Is there somewhere to change my baby's nappy at the station?") != "somewhere"
    assert "somewhere" not in key_terms("Is there somewhere to change my baby's nappy?")
