"""Answer-level scoring on hand-made cases: bilingual facts, correctness, wrong facts,
irrelevant sentences, and the per-type summary (eval.facts, eval.answer_scores, eval.scoring)."""

from __future__ import annotations

import pytest

from eval.answer_scores import (
    AnswerGold,
    alias_correct,
    check_answer,
    irrelevant_sentences,
    split_sentences,
    wrong_facts,
)
from eval.facts import chinese_number, key_fact, mentions, polarity, quantities
from eval.scoring import answer_level_metrics, breakdown, score_rows


def dims(text: str) -> list[tuple[str, float]]:
    return [(q.dim, q.value) for q in quantities(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HK$120", [("HKD", 120)]),
        ("120港元", [("HKD", 120)]),
        ("S$4.90", [("SGD", 4.9)]),
        ("US$1,200", [("USD", 1200)]),
        ("NT$1,500", [("TWD", 1500)]),
        ("新台币1,500元", [("TWD", 1500)]),
        ("1,500元", [("money", 1500)]),  # the mark names no currency: any one's 1,500
        ("RM150", [("MYR", 150)]),
        ("A$15", [("AUD", 15)]),
        ("MOP 928", [("MOP", 928)]),
        ("928澳门元", [("MOP", 928)]),
        ("form 5", [("number", 5)]),  # not ringgit
        ("三十天", [("duration", 30 * 1440)]),
        ("30 days", [("duration", 30 * 1440)]),
        ("a 14-day trial", [("duration", 14 * 1440)]),
        ("two working days", [("working_day", 2)]),
        ("2个工作日", [("working_day", 2)]),
        ("48小时", [("duration", 48 * 60)]),
        ("九折", [("percent", 10)]),
        ("九五折", [("percent", 5)]),
        ("百分之三十", [("percent", 30)]),
        ("99.95%", [("percent", 99.95)]),
        ("10年", [("months", 120)]),
        ("18岁", [("age", 18)]),
        ("100 GB", [("data", 100000)]),
        ("512 kbps", [("speed", 512)]),
        ("1 January 2024", [("date", 20240101)]),
        ("自2024年1月1日起生效", [("date", 20240101)]),
        ("2022年版", [("year", 2022)]),
        ("上午8时至晚上11时", [("clock", 480), ("clock", 1380)]),
        ("8 am to 11 pm", [("clock", 480), ("clock", 1380)]),
        ("Galaxy S20 or Pixel 3", [("number", 3)]),  # a number inside a word is not a fact
        ("See [1] and [2, 3].", []),  # citation markers are not numbers
        ("一次性开通费", []),  # a Chinese numeral without a unit is not a number
    ],
)
def test_quantities_in_both_languages(text: str, expected: list[tuple[str, float]]) -> None:
    assert dims(text) == [(d, pytest.approx(v)) for d, v in expected]


def test_chinese_numerals() -> None:
    assert [chinese_number(t) for t in ("十四", "三十", "一百二十", "两", "一万二千", "abc")] == [
        14,
        30,
        120,
        2,
        12000,
        None,
    ]


def test_mentions_matches_quantities_across_languages_and_units() -> None:
    assert mentions("港湾学生计划月费78港元", "HK$78")
    assert mentions("Returns are accepted within thirty days.", "30 days")
    assert mentions("可享月费九折优惠", "10%")
    assert mentions("Day pass (HK$ per day): 58", "HK$58")  # a table cell under a unit header
    assert not mentions("HK$58 per day", "HK$68")
    assert not mentions("within 30 days", "30 hours")
    assert mentions("Go to Settings > Roaming.", "Settings > Roaming")


def test_polarity_and_key_fact_kinds() -> None:
    assert polarity("Yes. Moving your number is free.") == "yes"
    assert polarity("No credit card is needed.") == "no"
    assert polarity("我们不接受PayPal及货到付款。") == "no"
    assert polarity("可以。携号转台免费。") == "yes"
    assert polarity("You can return an item within 60 days.") is None  # a plain statement
    assert [key_fact(t).kind for t in ("HK$120", "yes", "Okta", "1 January 2024", "18 Tai Seng Street")] == [
        "quantity",
        "yes_no",
        "name",
        "quantity",
        "name",
    ]


def test_sentences_leave_out_markers_lead_ins_and_citation_dumps() -> None:
    answer = "According to our help centre:\nYou can return items within 60 days [1]. [2] [3]\n退款5个工作日内到账。"
    assert split_sentences(answer) == ["You can return items within 60 days  .", "退款5个工作日内到账。"]


ROAMING = AnswerGold(
    question="How much is the roaming day pass for Japan?",
    aliases=[["HK$58"]],
    key_facts=["HK$58"],
    gold_texts=[
        "Destination: Japan and South Korea; Day pass (HK$ per day): 58; Data per day: 1 GB; Calls (HK$ per minute): 4\n"
        "Destination: USA and Canada; Day pass (HK$ per day): 78; Data per day: 1 GB; Calls (HK$ per minute): 8\n"
        "Each day pass lasts 24 hours from your first use."
    ],
    gold_passages=[
        "Destination: Japan and South Korea; Day pass (HK$ per day): 58; Data per day: 1 GB; Calls (HK$ per minute): 4"
    ],
    names=["Harbour Max", "Okta"],
)


def test_right_answer_in_either_language() -> None:
    for answer in ("The Japan day pass costs HK$58 per day [1].", "日本及韩国的漫游日费为每日58港元[1]。"):
        check = check_answer(answer, ROAMING)
        assert check.correct and not check.wrong_fact and check.irrelevant == [], answer


def test_a_number_absent_from_the_gold_documents_is_a_wrong_fact() -> None:
    reasons = wrong_facts("The Japan day pass costs HK$58, or HK$45 if you book ahead.", ROAMING)
    assert reasons == ["unsupported HKD 'HK$45'"]


def test_another_cell_of_the_same_table_instead_of_the_asked_one_is_a_wrong_fact() -> None:
    # The per-minute call price where the day pass was asked: in the gold document, but not the fact.
    check = check_answer("Calls in Japan cost HK$4 per minute.", ROAMING)
    assert not check.correct and check.wrong_fact
    assert check.wrong_facts == ["HKD stated as 'HK$4', not 'HK$58'"]


def test_swapped_unit_is_a_wrong_fact() -> None:
    assert wrong_facts("The day pass lasts 24 days.", ROAMING) == ["unsupported duration '24 days'"]
    assert wrong_facts("Each day pass lasts 24 hours.", ROAMING) == []
    assert wrong_facts("Each day pass lasts one day.", ROAMING) == []  # 24 hours, said differently


def test_numbers_restated_from_the_question_are_not_wrong_facts() -> None:
    gold = AnswerGold(
        question="I have 10 months left. What is the fee per month left?",
        aliases=[["HK$100"]],
        key_facts=["HK$100"],
        gold_texts=["The fee is HK$100 for each remaining month."],
    )
    assert wrong_facts("With 10 months left the fee is HK$100 for each month.", gold) == []


def test_flipped_yes_no_is_a_wrong_fact() -> None:
    gold = AnswerGold(
        question="Do you accept PayPal?",
        aliases=[["do not accept PayPal"]],
        key_facts=["no"],
        gold_texts=["We do not accept PayPal or cash on delivery."],
    )
    assert wrong_facts("No, we do not accept PayPal.", gold) == []
    assert wrong_facts("Q: Do you accept PayPal? A: We do not accept PayPal.", gold) == []
    assert wrong_facts("Yes, PayPal is accepted.", gold) == ["says 'yes' where the answer is 'no'"]
    team = AnswerGold(
        question="Does the Team plan include SSO?",
        aliases=[["No"]],
        key_facts=["no"],
        gold_texts=["SSO is included in the Business and Enterprise plans."],
    )
    assert wrong_facts("SSO is included in the Business and Enterprise plans.", team) == []  # says neither


def test_a_name_of_the_help_centre_absent_from_the_gold_is_a_wrong_fact() -> None:
    assert wrong_facts("Harbour Max includes the Japan pass at HK$58.", ROAMING) == [
        "names 'Harbour Max', absent from the gold documents"
    ]


def test_wrong_edition_is_a_wrong_fact() -> None:
    gold = AnswerGold(
        question="How much notice do I give to cancel?",
        aliases=[["14 days"]],
        key_facts=["14 days"],
        gold_texts=["Effective from 1 January 2024. Give us 14 days' notice."],
    )
    assert check_answer("Give us 14 days' notice.", gold).wrong_facts == []
    reasons = wrong_facts("Give us 30 days' notice (2022 edition).", gold)
    assert "unsupported duration '30 days'" in reasons and "unsupported year '2022'" in reasons
    assert "duration stated as '30 days', not '14 days'" in reasons


def test_an_incomplete_two_page_answer_is_incorrect_but_not_wrong() -> None:
    gold = AnswerGold(
        question="Monthly fee of Harbour Plus and the Japan day pass?",
        aliases=[["HK$168"], ["HK$58"]],
        key_facts=["HK$168", "HK$58"],
        gold_texts=["Harbour Plus: HK$168", "Japan: HK$58 per day"],
    )
    check = check_answer("Harbour Plus costs HK$168 a month.", gold)
    assert not check.correct and not check.wrong_fact
    assert alias_correct("Harbour Plus costs HK$168 a month; the Japan pass is 58港元 a day.", gold.aliases)


def test_irrelevant_sentences() -> None:
    answer = (
        "The Japan day pass costs HK$58 per day [1]. "
        "The Japan day pass costs HK$58 per day [2]. "  # repeated from a near-duplicate passage
        "Each day pass lasts 24 hours from your first use [1]. "  # a fact that was not asked
        "Our shops are open every day. "  # unrelated
        "Day passes are for Japan and South Korea."  # no fact, but about what was asked
    )
    count, irrelevant = irrelevant_sentences(answer, ROAMING)
    assert count == 5
    assert irrelevant == [
        "The Japan day pass costs HK$58 per day  .",
        "Each day pass lasts 24 hours from your first use  .",
        "Our shops are open every day.",
    ]


def _row(qtype: str, answerable: bool, answer: str, refused: bool, centre: str = "carrier") -> dict:
    return {
        "id": f"{qtype}-{answer[:8]}",
        "question": ROAMING.question,
        "history": [],
        "reference": "",
        "aliases": ROAMING.aliases if answerable else [],
        "gold_doc_ids": ["roaming.html"] if answerable else [],
        "answerable": answerable,
        "answer": answer,
        "mode": "refused" if refused else "extractive",
        "refused": refused,
        "passages": [{"doc_id": "roaming.html", "text": "", "n": 1}],
        "citations": [1],
        "latency_ms": 1.0,
        "error": None,
        "meta": {
            "type": qtype,
            "centre": centre,
            "key_facts": ROAMING.key_facts if answerable else [],
            "gold_passages": ROAMING.gold_passages if answerable else [],
            "names": [],
        },
    }


def test_summary_per_type_counts_refusals_wrong_facts_and_sentences() -> None:
    rows = [
        _row("table", True, "The Japan day pass costs HK$58 per day [1].", False),
        _row("table", True, "Calls in Japan cost HK$4 per minute [1]. Our shops are open every day.", False),
        _row("plain", True, "Sorry, I cannot find that.", True),
        _row("nearmiss", False, "Sorry, I cannot find that.", True),
        _row("offtopic", False, "The pass costs HK$58.", False, centre="shop"),
    ]
    score_rows(rows, {"roaming.html": ROAMING.gold_texts[0]})
    metrics = answer_level_metrics(rows)
    assert metrics["answer_correct"] == pytest.approx(1 / 3)
    assert metrics["wrong_fact_rate"] == pytest.approx(1 / 2)  # of the two answered answerable
    assert metrics["false_refusal_rate"] == pytest.approx(1 / 3)
    assert metrics["refusal_recall"] == pytest.approx(1 / 2)
    assert metrics["irrelevant_sentence_rate"] == pytest.approx(2 / 3)  # 2 of 3 counted sentences
    by_type = breakdown(rows, "type")
    assert by_type["table"]["answer_correct"] == 0.5 and by_type["table"]["wrong_fact_rate"] == 0.5
    assert by_type["plain"]["false_refusal_rate"] == 1.0 and by_type["plain"]["wrong_fact_rate"] is None
    assert by_type["nearmiss"]["refusal_recall"] == 1.0 and by_type["offtopic"]["refusal_recall"] == 0.0
    assert breakdown(rows, "centre")["shop"]["questions"] == 1
    assert rows[1]["answer_check"]["wrong_facts"] == ["HKD stated as 'HK$4', not 'HK$58'"]


def test_a_year_the_question_names_is_not_an_unasked_fact() -> None:
    gold = AnswerGold(
        question="What was the notice period in the 2022 policy?",
        aliases=[["30 days"]],
        key_facts=["30 days"],
        gold_texts=["Contract cancellation policy (2022 edition). 30 days' notice."],
        gold_passages=["To cancel, give us 30 days' notice."],
    )
    assert irrelevant_sentences("The 2022 policy set the notice period. Give us 30 days' notice.", gold) == (
        2,
        [],
    )
    assert irrelevant_sentences("The 2023 edition changed the notice period.", gold)[1] != []
