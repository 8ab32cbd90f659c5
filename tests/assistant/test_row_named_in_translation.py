"""The row of a table in the other language that names the question's words in translation is
read (issue 12): the embedder ranks a table's rows much alike across languages, so "How much is
the roast goose rice you can order to your seat?" had found the menu's 腊味煲仔饭 row and was
refused for holding no goose."""

from __future__ import annotations

from assistant.answering import with_record_named_in_translation, with_row_named_in_translation
from assistant.types import Passage


def _row(chunk_id: str, text: str, lang: str = "zh", doc_id: str = "menu") -> Passage:
    return Passage(
        chunk_id=chunk_id, doc_id=doc_id, title="车上餐饮", text=text, n=0, kind="table", lang=lang
    )


def _page(chunk_id: str, text: str = "A trolley with snacks and drinks comes through the train.") -> Passage:
    return Passage(chunk_id=chunk_id, doc_id=chunk_id, title=chunk_id, text=text, n=0, lang="en")


GOOSE = _row("goose", "品名: 广式烧鹅饭; 价格: 45元; 供应方式: 到座送餐; 说明: 须在开车前2小时下单")
CLAYPOT = _row("claypot", "品名: 腊味煲仔饭; 价格: 48元; 供应方式: 到座送餐; 说明: 须在开车前2小时下单")
NOODLES = _row("noodles", "品名: 鲜虾云吞面; 价格: 38元; 供应方式: 小吃吧; 说明: 仅部分列车")
FOUND = [_page("seats"), _page("trolley"), _page("station"), _page("luggage"), CLAYPOT]


def rows_of(doc_id: str, k: int) -> list[Passage]:
    assert doc_id == "menu"
    return [CLAYPOT, NOODLES, GOOSE][:k]


def test_the_row_naming_the_asked_dish_in_translation_is_read_second() -> None:
    found = with_row_named_in_translation(
        FOUND, "How much is the roast goose rice you can order to your seat?", rows_of
    )
    assert [p.chunk_id for p in found] == ["seats", "goose", "trolley", "station", "luggage"]
    assert [p.n for p in found] == [1, 2, 3, 4, 5]


def test_the_row_found_naming_as_many_or_a_tie_changes_nothing() -> None:
    # The claypot row names rice and seat as the goose row does: nothing says goose.
    assert (
        with_row_named_in_translation(FOUND, "How much is a rice dish brought to my seat?", rows_of) == FOUND
    )
    # A question in the table's own language: its words found the row.
    assert with_row_named_in_translation(FOUND, "广式烧鹅饭多少钱？", rows_of) == FOUND


def test_a_row_whose_twin_in_the_customers_language_is_read_is_not_added() -> None:
    goose_en = _row(
        "goose-en", "Dish: Roast goose rice; Price: 45; Ordered: 2 hours before", lang="en", doc_id="menu-en"
    )
    found = [goose_en, _page("trolley"), _page("station"), _page("luggage"), CLAYPOT]
    assert with_row_named_in_translation(found, "How much is the roast goose rice?", rows_of) == found


def test_a_place_the_question_names_picks_the_row_of_its_region() -> None:
    # 曼谷 (Bangkok) lies in Thailand, which the route "Southeast Asia" covers.
    def fees(doc_id: str, k: int) -> list[Passage]:
        return [
            _row(
                "fees-" + route[:5],
                f"Route: {route}; Online per extra 5 kg (NT$): {fee}",
                lang="en",
                doc_id="fees",
            )
            for route, fee in (
                ("Mainland China", 900),
                ("Japan and South Korea", 1000),
                ("Southeast Asia", 1200),
            )
        ][:k]

    found = [_page("limits"), fees("fees", 1)[0], _page("seats"), _page("faq"), _page("check-in")]
    found = with_row_named_in_translation(found, "飞曼谷的话，网上加5公斤托运行李要多少钱？", fees)
    assert [p.chunk_id for p in found][:3] == ["limits", "fees-South", "fees-Mainl"]


def _faq_zh(chunk_id: str, question: str, answer: str) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        doc_id="faq-zh",
        title="常见问题",
        text=f"问：{question}\n答：{answer}",
        n=0,
        kind="faq",
        lang="zh",
    )


MAHJONG = _faq_zh("mahjong", "可以预订麻将房吗？", "可以。路氹酒店设有4间私人麻将房，每间首3小时800澳门元。")
READ = [
    _page(
        "car",
        "A private car for up to 3 passengers costs MOP 380 one way between our hotels and the airport.",
    ),
    _page("accessible", "Hotel: Jade Harbour Cotai; Accessible rooms: 10; Bathroom: Roll-in shower"),
    _page("extra-bed", "An extra bed costs MOP 400 per night and does not include breakfast."),
]


def test_an_faq_entry_naming_most_of_the_question_in_translation_is_read() -> None:
    found = with_record_named_in_translation(
        [*READ, MAHJONG, _page("spa")], "Can we rent a private mahjong room at the hotel?"
    )
    assert [p.chunk_id for p in found] == ["car", "mahjong", "accessible", "extra-bed", "spa"]
    assert [p.n for p in found] == [1, 2, 3, 4, 5]


def test_a_record_naming_few_of_the_words_or_no_more_than_those_read_stays() -> None:
    # The customer's language says it as well among the passages read: nothing to move.
    english = _page(
        "mahjong-en", "Q: Can I book a mahjong room?\nA: Yes. The hotel has 4 private mahjong rooms."
    )
    found = [READ[0], english, READ[2], MAHJONG, _page("spa")]
    assert (
        with_record_named_in_translation(found, "Can we rent a private mahjong room at the hotel?") == found
    )
    # A paraphrase's few words found loosely (night, room) are not most of it.
    check_in = _row(
        "check-in",
        "Request: Early check-in before 9:00 am; Fee per room: The full room rate of the previous night",
        lang="en",
        doc_id="fees",
    )
    chinese = [
        Passage(chunk_id=c, doc_id=c, title=c, text=t, n=0, lang="zh")
        for c, t in (
            ("breakfast", "最迟可在抵达前1天加订早餐。"),
            ("kitchen", "我们的厨房可以准备素食菜式。"),
            ("season", "旺季须至少连住2晚。"),
        )
    ]
    found = [*chinese, check_in]
    assert (
        with_record_named_in_translation(found, "半岛那家，半夜肚子饿了想在房间里叫东西吃，最晚几点前能叫？")
        == found
    )


def test_a_record_only_bm25_in_translation_found_is_read_when_it_names_every_word() -> None:
    # Fusion ranked no menu row at all; BM25 in translation offers the goose row, which names
    # roast, goose, rice, order and seat.
    read = [_page("seats"), _page("trolley"), _page("station"), _page("luggage"), _page("toilets")]
    question = "How much is the roast goose rice you can order to your seat?"
    found = with_record_named_in_translation(read, question, [CLAYPOT, GOOSE])
    assert [p.chunk_id for p in found] == ["seats", "goose", "trolley", "station", "luggage"]
    assert [p.n for p in found] == [1, 2, 3, 4, 5]
    # Offered records naming only some of the words (rice, seat) are weaker evidence than a rank.
    assert (
        with_record_named_in_translation(
            read, "How much is a rice dish with duck brought to my seat?", [CLAYPOT]
        )
        == read
    )
