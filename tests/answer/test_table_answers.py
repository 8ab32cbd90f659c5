"""Table look-ups (issue 12): a question answered by a table cell gets "<row>, <column>: <value>"
from the row ingest kept with its headers, and a question naming a row the table does not have
gets no other row's value. The passages are real chunks of real files, parsed and chunked as
ingest does; run with and without the embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.extractive import ExtractiveAnswerer, NoAnswerInPassages
from assistant.grounding import GroundingChecker, lexical_units
from assistant.table_answer import TableAnswerer, lacks_asked_column, names_row, question_names
from assistant.types import Passage
from ingest.chunking import chunk_document
from ingest.parsing import parse_file
from tests.answer.conftest import passage

PLANS_MD = """# Mobile plans

All prices are per month.

| Plan | Monthly price (EUR) | Data | Contract |
|---|---|---|---|
| Basic | 10 | 5 GB | 12 months |
| Premium | 30 | 50 GB | 24 months |
"""
ROAMING_HTML = """<html><body><h1>漫游日费计划</h1><table>
<tr><th>目的地</th><th>日费（港元/日）</th><th>每日数据</th><th>通话（港元/分钟）</th></tr>
<tr><td>日本及韩国</td><td>58</td><td>1 GB</td><td>4</td></tr>
<tr><td>英国及欧洲</td><td>68</td><td>1 GB</td><td>6</td></tr>
</table></body></html>"""


def _passages(tmp_path: Path, name: str, content: str) -> list[Passage]:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    doc = parse_file(path, max_bytes=1_000_000)
    chunks = [c for c in chunk_document(doc, chunk_tokens=200, overlap_tokens=20) if c.kind == "table"]
    return [
        Passage(
            chunk_id=f"{name}-{n}",
            doc_id=name,
            title=doc.title,
            text=c.text,
            n=n,
            kind=c.kind,
            lang=c.lang,
            heading_path=c.heading_path,
            extra=dict(c.extra),
        )
        for n, c in enumerate(chunks, start=1)
    ]


def _ranked(passages: list[Passage], first: int) -> list[Passage]:
    """Retrieval's order with row `first` (1-based) on top, numbered as ranked."""
    ordered = [passages[first - 1], *(p for i, p in enumerate(passages, start=1) if i != first)]
    return [Passage(**{**p.__dict__, "n": n}) for n, p in enumerate(ordered, start=1)]


@pytest.fixture
def plans(tmp_path: Path) -> list[Passage]:
    return _passages(tmp_path, "plans.md", PLANS_MD)


@pytest.fixture
def roaming(tmp_path: Path) -> list[Passage]:
    return _passages(tmp_path, "roaming.html", ROAMING_HTML)


def test_the_row_and_the_column_asked_for(extractor: ExtractiveAnswerer, plans: list[Passage]) -> None:
    question = "How much is the Premium plan per month?"
    passages = _ranked(plans, first=2)
    answer = extractor.run(question, passages, "en")
    assert answer.text == "According to our help centre:\nPremium plan, monthly price (EUR): 30 [1]."
    assert answer.citations_used == [1]
    assert GroundingChecker().run(answer.text, passages, question=question).ok

    contract = extractor.run("How long is the contract on the Basic plan?", _ranked(plans, first=1), "en")
    assert contract.text == "According to our help centre:\nBasic plan, contract: 12 months [1]."


def test_the_named_row_wins_over_a_better_ranked_one(
    extractor: ExtractiveAnswerer, plans: list[Passage]
) -> None:
    answer = extractor.run("How much data does the Basic plan include?", _ranked(plans, first=2), "en")
    assert answer.text == "According to our help centre:\nBasic plan, data: 5 GB [2]."


def test_a_chinese_question_over_a_chinese_table(
    extractor: ExtractiveAnswerer, roaming: list[Passage]
) -> None:
    answer = extractor.run("去日本漫游，打电话每分钟多少钱？", roaming, "zh")
    assert answer.text == "根据帮助中心的资料：\n日本及韩国，通话（港元/分钟）：4[1]。"


def test_an_english_question_over_a_chinese_table(
    extractor: ExtractiveAnswerer, roaming: list[Passage]
) -> None:
    answer = extractor.run("How much data per day do I get when roaming?", roaming, "en")
    assert answer.text == "Our help centre says (in Chinese):\n日本及韩国，每日数据：1 GB[1]。"


def test_two_questions_in_one_get_two_columns(extractor: ExtractiveAnswerer, roaming: list[Passage]) -> None:
    answer = extractor.run("英国漫游日费多少？每分钟通话多少钱？", _ranked(roaming, first=2), "zh")
    assert answer.text == "根据帮助中心的资料：\n英国及欧洲，日费（港元/日）：68；通话（港元/分钟）：6[1]。"


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("How much is the Ultra plan per month?", "en"),
        ("What is the monthly price for Brazil?", "en"),
        ("How much is the Premium Plus plan per month?", "en"),  # "Premium" matches, "Plus" does not
    ],
)
def test_a_row_the_table_does_not_have_gets_no_other_rows_value(
    extractor: ExtractiveAnswerer, plans: list[Passage], question: str, lang: str
) -> None:
    with pytest.raises(NoAnswerInPassages):
        extractor.run(question, plans, lang)


def test_a_chinese_row_the_table_does_not_have(extractor: ExtractiveAnswerer, roaming: list[Passage]) -> None:
    with pytest.raises(NoAnswerInPassages):
        extractor.run("去巴西漫游，打电话每分钟多少钱？", roaming, "zh")


def test_a_table_look_up_takes_the_extractive_route(plans: list[Passage]) -> None:
    prose = Passage(chunk_id="p", doc_id="d2", title="Plans", text="Every plan includes EU roaming.", n=1)
    assert ExtractiveAnswerer.answers_from_table(plans)
    assert not ExtractiveAnswerer.answers_from_table([prose, *plans])


def test_an_unnamed_row_below_a_prose_answer_does_not_block_it(
    extractor: ExtractiveAnswerer, plans: list[Passage]
) -> None:
    prose = Passage(
        chunk_id="p",
        doc_id="d2",
        title="Roaming",
        text="Roaming in the EU costs nothing extra on every plan.",
        n=1,
        kind="text",
        lang="en",
    )
    rows = [Passage(**{**p.__dict__, "n": n}) for n, p in enumerate(plans, start=2)]
    answer = extractor.run("Does roaming in the EU cost extra?", [prose, *rows], "en")
    assert (
        answer.text
        == "According to our help centre:\nRoaming in the EU costs nothing extra on every plan [1]."
    )


SERVICES_ZH_CSV = """服务,月费（港元）,说明
来电过滤,15,自动拦截已知的骚扰及诈骗来电
云端储存50GB,38,手机照片及通讯录自动备份
"""
PLAN_PRICES = Passage(
    chunk_id="plans",
    doc_id="plans",
    title="Plans",
    text="All prices are per month in Hong Kong dollars and include unlimited local calls.",
    n=1,
)
FAMILY_FAQ = Passage(
    chunk_id="faq",
    doc_id="faq",
    title="FAQ",
    text="Q: Do you offer a family discount?\nA: Yes. Up to 4 extra lines can be added to one account "
    "and each extra line gets 20% off its monthly fee.",
    n=3,
    kind="faq",
)


@pytest.mark.parametrize(
    ("question", "row", "expected"),
    [
        ("How much is the cloud storage add-on per month?", 2, "云端储存50GB，月费（港元）：38[2]。"),
        ("How much is the call filtering add-on per month?", 1, "来电过滤，月费（港元）：15[2]。"),
    ],
)
def test_a_chinese_row_holding_the_asked_words_in_translation_beats_an_incidental_english_one(
    extractor: ExtractiveAnswerer, tmp_path: Path, question: str, row: int, expected: str
) -> None:
    # The English FAQ states a percentage and shares only "add" and "month" with the question;
    # the Chinese row ranked above it is named by the question in translation (云端储存: cloud
    # storage, 过滤: filter) and states the monthly fee.
    services = _passages(tmp_path, "services.csv", SERVICES_ZH_CSV)
    passages = [PLAN_PRICES, Passage(**{**services[row - 1].__dict__, "n": 2}), FAMILY_FAQ]
    answer = extractor.run(question, passages, "en")
    assert answer.text == f"Our help centre says (in Chinese):\n{expected}"


IDENTITY_PROVIDERS_CSV = "Identity provider,Protocol\nOkta,SAML 2.0\nOneLogin,SAML 2.0\n"
IDENTITY_PROVIDERS_ZH_CSV = "身份提供商,协议\nOkta,SAML 2.0\nOneLogin,SAML 2.0\n"
API_LIMITS_CSV = "Plan,API requests per minute,Webhooks\nStarter,60,5\nBusiness,600,100\n"


@pytest.fixture
def single_sign_on_follow_up(tmp_path: Path) -> list[Passage]:
    """Retrieval's passages for a follow-up on single sign-on: an identity provider row in each
    language, then the Business plan's API limits row, which only the previous question names."""
    english = _passages(tmp_path, "idp.csv", IDENTITY_PROVIDERS_CSV)[1]
    chinese = _passages(tmp_path, "idp-zh.csv", IDENTITY_PROVIDERS_ZH_CSV)[1]
    business = _passages(tmp_path, "api-limits.csv", API_LIMITS_CSV)[1]
    return [Passage(**{**p.__dict__, "n": n}) for n, p in enumerate([english, chinese, business], start=1)]


def test_a_row_only_the_previous_question_names_does_not_answer_a_follow_up(
    extractor: ExtractiveAnswerer, single_sign_on_follow_up: list[Passage]
) -> None:
    # The identity provider rows hold the follow-up's own words but name no row it asks for (it
    # asks for all of them); the API limits row holds only "Business plan": no answer here.
    question = (
        "Which identity providers work with it? (previous: Does the Business plan include single sign-on)"
    )
    with pytest.raises(NoAnswerInPassages):
        extractor.run(question, single_sign_on_follow_up, "en")


def test_a_follow_up_still_gets_the_row_holding_its_own_words(
    extractor: ExtractiveAnswerer, single_sign_on_follow_up: list[Passage]
) -> None:
    question = "How many API requests per minute? (previous: Does the Business plan include single sign-on)"
    answer = extractor.run(question, single_sign_on_follow_up, "en")
    assert answer.text == "According to our help centre:\nBusiness plan, API requests per minute: 600 [3]."


@pytest.mark.parametrize(
    ("question", "column"),
    [
        ("How long does it take to assemble a dining table?", "time needed: 45 minutes"),
        ("How much does it cost to assemble a dining table?", "assembly fee (S$): 40"),
        ("How long does shipping to Taiwan take?", "delivery time: 5 to 8 working days"),
        ("How much is shipping to Taiwan?", "shipping fee: S$18"),
    ],
)
def test_the_kind_of_fact_asked_for_picks_the_column_over_a_topic_word_in_a_header(
    question: str, column: str
) -> None:
    # "assemble" and "shipping" are the table's topic, in a header stating an amount; "how long"
    # asks the other column's duration.
    rows = {
        "dining": [("Item", "Dining table"), ("Assembly fee (S$)", "40"), ("Time needed", "45 minutes")],
        "taiwan": [
            ("Zone", "Zone C"),
            ("Countries", "Hong Kong, Taiwan and mainland China"),
            ("Shipping fee", "S$18"),
            ("Delivery time", "5 to 8 working days"),
        ],
    }
    row = rows["dining" if "dining" in question else "taiwan"]
    quote = TableAnswerer().run(row, question, set(lexical_units(question)))
    assert quote is not None and quote.endswith(column)


def test_a_model_code_goes_with_the_row_name() -> None:
    # Several rows may share "Lumo Hub": the quote says which model the price is for.
    row = [("Product", "Lumo Hub"), ("Model", "LH-200"), ("Price (USD)", "89"), ("Warranty (years)", "2")]
    question = "What does the Lumo Hub cost?"
    assert (
        TableAnswerer().run(row, question, set(lexical_units(question))) == "Lumo Hub LH-200, price (USD): 89"
    )


FEES_CSV = """Route,Online per extra 5 kg (NT$),At the airport per extra 5 kg (NT$)
Flights within Taiwan,300,500
Japan and South Korea,1000,1500
Southeast Asia,1200,1800
"""


def test_a_city_names_the_row_of_its_region_and_a_column_is_named_across_languages(
    extractor: ExtractiveAnswerer, tmp_path: Path
) -> None:
    rows = _passages(tmp_path, "fees.csv", FEES_CSV)
    answer = extractor.run(
        "How much is an extra 5 kg bought online for a flight to Bangkok?", _ranked(rows, 1), "en"
    )
    assert "1200" in answer.text and "1000" not in answer.text, answer.text
    # "在机场" asks the "At the airport" column of the row of 日本.
    answer = extractor.run("飞日本，在机场买行李额，每5公斤多少钱？", _ranked(rows, 1), "zh")
    assert "1500" in answer.text and "1000" not in answer.text, answer.text


def test_a_place_named_elsewhere_in_the_message_picks_the_route_column() -> None:
    """ "我买的是Lite票飞曼谷，……？另外选一个前排座位要多少？": the seat's part names no place, the
    message does; the whole row (every route's price) had been quoted."""
    row = [
        ("座位类型", "前排座位"),
        ("台湾境内航线（新台币元）", "400"),
        ("日韩及东南亚航线（新台币元）", "600"),
        ("澳大利亚航线（新台币元）", "1000"),
    ]
    part = "另外选一个前排座位要多少？"
    units = set(lexical_units(part))
    assert TableAnswerer().run(row, part, units) is None  # no place: no column stands out
    quote = TableAnswerer().run(
        row, part, units, context="我买的是Lite票飞曼谷，想在网上加5公斤托运行李要多少钱？"
    )
    assert quote == "前排座位，日韩及东南亚航线（新台币元）：600"
    # A place the part names itself wins over the message's.
    quote = TableAnswerer().run(row, "飞悉尼的前排座位要多少？", units, context="我买的是Lite票飞曼谷")
    assert quote == "前排座位，澳大利亚航线（新台币元）：1000"


def test_a_value_holding_the_asked_words_in_translation_is_the_column() -> None:
    """Both cells state an amount; the one holding "repair" in translation (维修) answers "how
    much do I pay for each repair?": the whole row, monthly fee included, had been quoted."""
    row = [
        ("服务", "手机保障计划"),
        ("月费（港元）", "45"),
        ("说明", "每年最多2次维修或更换，每次自付800港元"),
    ]
    question = "With the phone protection plan, how much do I pay for each repair?"
    assert TableAnswerer().run(row, question, set(lexical_units(question))) == (
        "手机保障计划，说明：每年最多2次维修或更换，每次自付800港元"
    )


def test_how_often_asks_the_period_column() -> None:
    """ "How often does the shuttle run?" is answered by "Every: 30 minutes", not by the first and
    last bus and the fare too (the whole row had been quoted)."""
    row = [
        ("Route", "Peninsula – Outer Harbour Ferry Terminal"),
        ("First bus from the hotel", "8:00 am"),
        ("Last bus from the hotel", "10:00 pm"),
        ("Every", "30 minutes"),
        ("Fare per person", "Free"),
    ]
    question = "How often does the shuttle run to the ferry terminal?"
    quote = TableAnswerer().run(row, question, set(lexical_units(question)))
    assert quote == "Peninsula – Outer Harbour Ferry Terminal, every: 30 minutes"


def test_of_columns_of_the_asked_kind_the_one_adding_no_unasked_qualifier_answers() -> None:
    """Both prices are amounts; the members' price qualifies it by what the customer did not name:
    the whole row (and its member price, a fact not asked for) had been quoted."""
    row = [
        ("项目", "芳香精油按摩"),
        ("时长", "90分钟"),
        ("价格（澳门元）", "928"),
        ("翡翠会会员价（澳门元）", "838"),
        ("说明", "可选薰衣草、甜橙或檀香精油"),
    ]
    question = "How much is a 90-minute aromatherapy massage at your spa?"
    assert (
        TableAnswerer().run(row, question, set(lexical_units(question)))
        == "芳香精油按摩，价格（澳门元）：928"
    )
    member = "How much is a 90-minute aromatherapy massage for members?"
    assert (
        TableAnswerer().run(row, member, set(lexical_units(member)))
        == "芳香精油按摩，翡翠会会员价（澳门元）：838"
    )


PASSES_CSV = """Route,Monthly pass (second class),Monthly pass (first class),Quarterly pass (second class)
Guangzhou South – Shenzhen North,"¥1,680","¥2,700","¥4,750"
Guangzhou South – Zhuhai,"¥1,260","¥2,020","¥3,560"
"""
FARES_MD = """# Fares

| Route | Second class | First class | Business class |
|---|---|---|---|
| Guangzhou South – Shenzhen North | ¥75 | ¥120 | ¥225 |
"""


@pytest.mark.parametrize(
    ("question", "answered"),
    [
        ("How much is a first-class monthly pass between Guangzhou South and Shenzhen North?", "¥2,700"),
        ("How much is a business-class monthly pass between Guangzhou South and Shenzhen North?", None),
        ("What does a weekly pass cost between Guangzhou South and Shenzhen North?", None),
    ],
)
def test_a_column_the_row_does_not_have_gets_no_other_columns_value(
    extractor: ExtractiveAnswerer, tmp_path: Path, question: str, answered: str | None
) -> None:
    """The passes' rows tell their columns apart by class and period; a class or period they do not
    have is not answered by another column, nor by the single fares' business-class column."""
    passes = _passages(tmp_path, "passes.csv", PASSES_CSV)
    fares = _passages(tmp_path, "fares.md", FARES_MD)
    passages = [Passage(**{**p.__dict__, "n": n}) for n, p in enumerate([*passes, *fares], start=1)]
    if answered is None:
        with pytest.raises(NoAnswerInPassages):
            extractor.run(question, passages, "en")
    else:
        assert answered in extractor.run(question, passages, "en").text


def test_a_page_holding_more_of_the_question_than_an_unnamed_top_row_answers(
    extractor: ExtractiveAnswerer,
) -> None:
    """Retrieval's best passage is a fares row the question does not name; the page below it holds
    the question's words, so it is not another topic (as the opening-hours FAQ is to the price
    for Brazil): its sentence answers."""
    fares = passage(
        1, "票价", "区间: 广州南—东莞; 运行时间: 32分钟; 二等座: 36元; 一等座: 58元", kind="table", lang="zh"
    )
    pass_page = passage(
        2, "旅客通票", "旅客通票可不限次数乘坐二等座。3天通票360元，7天通票680元。", lang="zh"
    )
    answer = extractor.run("有没有不限次数坐车的通票？7天的多少钱？", [fares, pass_page], "zh")
    assert "680元" in answer.text and "36元" not in answer.text, answer.text
    with pytest.raises(NoAnswerInPassages):  # a page holding no more of it than the row: refused
        extractor.run("去巴西的车票多少钱？", [fares, pass_page], "zh")


def test_a_function_word_before_a_header_word_asks_no_missing_column() -> None:
    """ "Data per day" and "Day pass (HK$ per day)" tell "per" apart by the word before it; "how
    much data do I get per day" puts "get" there, which asks for no column."""
    row = [
        ("Destination", "Japan and South Korea"),
        ("Day pass (HK$ per day)", "58"),
        ("Data per day", "1 GB"),
        ("Calls (HK$ per minute)", "4"),
    ]
    assert not lacks_asked_column(row, "And how much data do I get per day?")


def test_the_top_row_whose_column_the_question_quotes_is_the_one_meant() -> None:
    """ "寄存一个小背包，6小时以内多少钱？" names no row of the left-luggage table ("小件", "大件"), but
    quotes its column as written: retrieval's best row is read, not dropped as unnamed."""
    small = passage(
        1,
        "行李寄存",
        "物品: 小件（长度不超过55厘米，重量不超过10公斤）; 6小时以内: 10元; 24小时以内: 20元",
        kind="table",
        lang="zh",
    )
    page = passage(2, "购票及证件", "驾驶证、学生证及社保卡均不能作为乘车证件。", lang="zh")
    answer = ExtractiveAnswerer().run("在深圳北站寄存一个小背包，6小时以内多少钱？", [small, page], "zh").text
    assert "6小时以内：10元" in answer, answer
    # Not a row ranked below another passage: the customer's words name nothing of it.
    answer = ExtractiveAnswerer().run("寄存一个小背包，6小时以内多少钱？", [page, small], "zh").text
    assert "10元" not in answer


def test_the_statements_setting_up_two_asks_name_the_row_of_one(extractor: ExtractiveAnswerer) -> None:
    """ "I'm going from Guangzhou South to Zhuhai in second class next Friday. How much is the
    ticket, and ...?": the setting names the route's fare row, "Friday" names no other row, and a
    row of "Season tickets" is a season ticket's record, not the ticket asked about. The price
    part had been refused, or answered with the monthly passes."""
    meal = passage(
        1,
        "Onboard services",
        "You can order a hot meal to your seat in the app, up to 2 hours before departure.",
    )
    fare = passage(
        2,
        "Fares",
        "Route: Guangzhou South – Zhuhai; Journey time: 62 minutes; Second class: ¥70; First class: ¥112",
        kind="table",
    )
    season = passage(
        3,
        "Season tickets",
        "Route: Guangzhou South – Zhuhai; Monthly pass (second class): ¥1,580; Monthly pass (first class): ¥2,550",
        kind="table",
    )
    lounge = passage(4, "Station services", "Show your first class ticket at the lounge at Guangzhou South.")
    answer = extractor.run(
        "I'm going from Guangzhou South to Zhuhai in second class next Friday. How much is the ticket, "
        "and how late can I order a hot meal to be brought to my seat?",
        [meal, fare, season, lounge],
        "en",
    ).text
    assert "second class: ¥70" in answer and "2 hours" in answer, answer
    assert "1,580" not in answer, answer


def test_days_and_months_name_no_row() -> None:
    """A capitalised word names a thing a row must hold, but a day or month dates the customer's
    case: "next Friday" left the fare row unnamed."""
    assert question_names("I travel to Zhuhai next Friday, or in March.") == question_names(
        "I travel to Zhuhai."
    )
    fare = passage(1, "Fares", "Route: Guangzhou South – Zhuhai; Second class: ¥70", kind="table")
    question = "How much is a second class seat from Guangzhou South to Zhuhai on Friday?"
    row = [("Route", "Guangzhou South – Zhuhai"), ("Second class", "¥70")]
    assert names_row(row, fare, question, set(lexical_units(question)))
    assert not names_row(row, fare, question.replace("Zhuhai", "Shenzhen"), set(lexical_units(question)))


def test_unlimited_states_how_many() -> None:
    """ "企业版可以建多少个webhook？" had the Business row's 100: the Enterprise row's "unlimited"
    stated no count, and the row stating one went first."""
    enterprise = passage(
        1, "API limits", "Plan: Enterprise; API requests per minute: 2000; Webhooks: unlimited", kind="table"
    )
    business = passage(
        2, "API limits", "Plan: Business; API requests per minute: 600; Webhooks: 100", kind="table"
    )
    for question in ("企业版可以建多少个webhook？", "How many webhooks does the Enterprise plan have?"):
        answer = (
            ExtractiveAnswerer()
            .run(question, [enterprise, business], "zh" if "版" in question else "en")
            .text
        )
        assert "unlimited" in answer and "100" not in answer, answer


def test_a_part_asking_a_column_of_several_takes_the_one_its_sibling_names() -> None:
    """ "What does Express cost for the first kg ..., and how much for each extra kg?": the second
    ask fits "Standard each extra kg" and "Express each extra kg" alike; the first names Express."""
    row = [
        ("Zone", "Zone 2"),
        ("Destination", "Neighbouring provinces"),
        ("Standard first kg", "¥12"),
        ("Standard each extra kg", "¥4"),
        ("Express first kg", "¥18"),
        ("Express each extra kg", "¥6"),
    ]
    question = (
        "What does Express cost for the first kg to a neighbouring province? how much for each extra kg?"
    )
    quoted = TableAnswerer(None, None).run(row, question, set(lexical_units(question)))
    assert quoted == "Zone 2 Neighbouring provinces, express first kg: ¥18; express each extra kg: ¥6"
    alone = "How much is Standard to a neighbouring province per extra kg?"
    assert TableAnswerer(None, None).run(row, alone, set(lexical_units(alone))) == (
        "Zone 2 Neighbouring provinces, standard each extra kg: ¥4"
    )


def test_the_customers_figure_names_the_row_of_its_band(extractor: ExtractiveAnswerer) -> None:
    """ "We're taking our 8-year-old to Jade Harbour Cotai. How much is breakfast for her if we pay
    at the restaurant?": the row "Child aged 6 to 11" lacks the hotel's name the question
    writes, yet the child's age names it; it had been dropped as another row."""
    club = passage(1, "Kids' club", "The kids' club at Jade Harbour Cotai welcomes children aged 4 to 12.")
    buffet = passage(
        2, "Breakfast", "Each hotel serves a breakfast buffet, at Jade Kitchen at Jade Harbour Cotai."
    )
    child = passage(
        3,
        "Breakfast",
        "Guest: Child aged 6 to 11; Added to your booking in advance: MOP 78; Paid at the restaurant: MOP 98",
        kind="table",
    )
    answer = extractor.run(
        "We're taking our 8-year-old to Jade Harbour Cotai. How much is breakfast for her if we pay at the "
        "restaurant?",
        [club, buffet, child],
        "en",
    ).text
    assert "MOP 98" in answer and "MOP 78" not in answer, answer
