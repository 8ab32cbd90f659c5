"""The follow-up rule of the condenser (the local model cannot rewrite), English and Chinese."""

from __future__ import annotations

from assistant.condense import QueryCondenser, combine, is_follow_up
from ingest.config import RetrievalSettings, Settings
from assistant.types import Message

EN = [Message("user", "How long do I have to return an item?"), Message("assistant", "30 days [1].")]
ZH = [Message("user", "退货期限是多久？"), Message("assistant", "30天 [1]。")]


def condenser(window: int = 6) -> QueryCondenser:
    return QueryCondenser(Settings(), retrieval=RetrievalSettings(condense_history_messages=window))


def test_local_model_uses_the_rule() -> None:
    assert condenser().client is None


def test_english_follow_ups_get_the_previous_question() -> None:
    c = condenser()
    for question in ("what about for members?", "and the shipping?", "how much does it cost?", "members?"):
        result = c.run(question, EN)
        assert result.method == "rule"
        assert result.query == f"{question} (previous: How long do I have to return an item)"


def test_chinese_follow_ups_get_the_previous_question() -> None:
    c = condenser()
    for question in ("那会员呢？", "它多少钱", "运费呢"):
        result = c.run(question, ZH)
        assert result.method == "rule"
        assert result.query == f"{question}（上一个问题：退货期限是多久）"


def test_standalone_questions_are_unchanged() -> None:
    c = condenser()
    for question, history in (
        ("Can I return a gift card I bought in a store?", EN),
        ("What is the warranty on the Lumo Hub?", EN),
        ("Lumo Hub 的保修期是多久？", ZH),
        ("what about for members?", []),
    ):
        assert c.run(question, history).method == "unchanged"
        assert c.run(question, history).query == question


def test_previous_question_skips_follow_ups_and_short_answers() -> None:
    history = [*EN, Message("user", "and for members?"), Message("assistant", "60 days.")]
    assert (
        condenser()
        .run("what about refurbished items?", history)
        .query.endswith("(previous: How long do I have to return an item)")
    )
    # The first question leans on no earlier turn, whatever its "it" looks like.
    dog = [
        Message("user", "How much does it cost to take my dog in the cabin?"),
        Message("assistant", "A pet in the cabin costs NT$2,000 per flight."),
    ]
    assert (
        condenser()
        .run("And if it has to go in the hold?", dog)
        .query.endswith("(previous: How much does it cost to take my dog in the cabin)")
    )
    # A clarifying exchange alone ("Are you under 19?" / "Yes") is no question to lean on.
    clarifying = [Message("assistant", "Are you under 19?"), Message("user", "Yes")]
    assert not condenser().run("and the rate?", clarifying).query.count("previous")


def test_answered_clarifying_questions_join_the_query() -> None:
    c = condenser()
    history = [
        Message("assistant", "Are you under 19?"),
        Message("user", "Yes"),
        Message("assistant", "Are you an apprentice?"),
        Message("user", "No, I am not."),
    ]
    result = c.run("Am I entitled to the apprentice rate?", history)
    assert result.method == "rule"
    assert result.query == (
        "Am I entitled to the apprentice rate? (answered: Are you under 19? Yes; Are you an apprentice? No, I am not)"
    )
    # A short reply to the assistant's last question: the earlier question is still what is asked.
    asked = [Message("user", "Can I get the apprentice rate?"), Message("assistant", "Are you under 19?")]
    assert c.run("Yes", asked).query == "Can I get the apprentice rate? (answered: Are you under 19? Yes)"
    zh = [Message("user", "退货期限是多久？"), Message("assistant", "您是会员吗？")]
    assert c.run("是的", zh).query == "退货期限是多久？（已回答：您是会员吗？是的）"
    # A statement of the assistant, or a long reply, is no clarifying exchange.
    told = [Message("assistant", "30 days [1]."), Message("user", "Yes")]
    assert c.run("Can I return a gift card?", told).method == "unchanged"
    long_reply = [
        Message("assistant", "Are you a member?"),
        Message("user", "I bought it in a store last week with cash"),
    ]
    assert c.run("Can I return a gift card?", long_reply).method == "unchanged"


def test_window_limits_how_far_back_the_rule_looks() -> None:
    history = [*EN, *(Message("assistant", "Anything else?") for _ in range(5))]
    assert condenser(window=6).run("what about members?", history).method == "unchanged"
    assert condenser(window=8).run("what about members?", history).method == "rule"


def test_is_follow_up() -> None:
    assert is_follow_up("And what if I lost the receipt?")
    assert not is_follow_up("How do I reset the Lumo Hub to factory settings?")
    assert is_follow_up("会员呢")
    assert not is_follow_up("会员退货期限是多久，需要小票吗？")


def test_an_elliptical_follow_up_asks_the_previous_question_of_its_new_entity() -> None:
    c = condenser()
    for previous, question, query in (
        ("入门版每分钟可以调用多少次API？", "那商业版呢？", "商业版每分钟可以调用多少次API？"),
        ("家具保修多久？", "那电器呢？", "电器保修多久？"),
        ("会员退货期限是多久？", "非会员呢", "非会员退货期限是多久？"),
        (
            "How many API requests per minute can I make on the Starter plan?",
            "What about the Business plan?",
            "How many API requests per minute can I make on the Business plan?",
        ),
        (
            "How long does standard shipping take?",
            "How about for express shipping?",
            "How long does express shipping take?",
        ),
        (
            "Does the Business plan include single sign-on?",
            "And Enterprise?",
            "Does the Enterprise plan include single sign-on?",
        ),
        ("How much is shipping to Malaysia?", "And to Australia?", "How much is shipping to Australia?"),
    ):
        result = c.run(question, [Message("user", previous), Message("assistant", "...")])
        assert (result.query, result.method) == (query, "rule")


def test_without_a_safe_substitution_the_follow_up_joins_the_previous_question() -> None:
    c = condenser()
    for previous, question in (
        ("Can I return unopened items?", "What about opened ones?"),  # no noun of that shape
        ("Is Basic or Pro cheaper for Teams?", "And Enterprise?"),  # two names: which one?
        ("How many days do I have to return something?", "And is return shipping free?"),  # a clause
        ("月付可以用支付宝吗？", "那如果是年付呢？"),
        ("退货期限是多久？", "那会员呢？"),  # 退货 starts the predicate: no subject to swap
    ):
        query = c.run(question, [Message("user", previous), Message("assistant", "...")]).query
        assert query == combine(question, previous), query


def test_a_chinese_question_starting_at_its_predicate_leans_on_the_previous_one() -> None:
    """ "要在多长时间内申请？" has dropped its subject (the compensation asked about before); it had
    been searched alone and refused."""
    history = [Message("user", "航班延误有没有补偿？"), Message("assistant", "有，可获得1,500元现金。")]
    for question in ("要在多长时间内申请？", "需要什么材料？", "多少钱？"):
        result = condenser().run(question, history)
        assert result.query == f"{question}（上一个问题：航班延误有没有补偿）"
    # Going past the limit the last turn was about: "超过了怎么收费？" after the free storage time.
    lockers = [Message("user", "快递柜的包裹可以免费放多久？"), Message("assistant", "可免费存放24小时。")]
    assert (
        condenser().run("超过了怎么收费？", lockers).query
        == "超过了怎么收费？（上一个问题：快递柜的包裹可以免费放多久）"
    )
    assert not is_follow_up("行李超重要收多少钱？")  # it names its subject
    assert not is_follow_up("可以用支付宝付款，还是只能刷信用卡，分期的话手续费怎么算？")  # not short


def test_a_short_question_taking_up_a_word_of_the_last_answer_leans_on_it() -> None:
    """ "家里的系统最大可以装多大？" names no pronoun, but "系统" is the answer's solar system: alone it
    retrieved the foreign residents' guide and was answered with the mains voltage."""
    history = [
        Message("user", "我想在自家屋顶装光伏板接入你们的电网，怎么申请？"),
        Message("assistant", "可以在App中或到营业厅申请，须提供身份证、房产证及安装单位的系统设计方案。"),
    ]
    query = condenser().run("家里的系统最大可以装多大？", history).query
    assert query == "家里的系统最大可以装多大？（上一个问题：我想在自家屋顶装光伏板接入你们的电网，怎么申请）"
    english = [
        Message("user", "How do I connect rooftop solar panels to your grid?"),
        Message("assistant", "Apply in the app with your ID and the installer's system design."),
    ]
    assert "(previous: " in condenser().run("What's the biggest system allowed?", english).query
    # Sharing no word with the answer, or long enough to stand alone, it stands alone.
    assert (
        condenser().run("What's the gas emergency number?", english).query
        == "What's the gas emergency number?"
    )
    long_question = "What is the biggest rooftop system a detached house in Xihu district can connect?"
    assert condenser().run(long_question, english).query == long_question


def test_a_follow_up_pointing_at_a_thing_of_the_last_answer_takes_that_answer_sentence() -> None:
    """ "What time does that office open?": the office is the answer's, not the previous question's
    (which asked where a lost jacket ends up); joined with that question alone, the query found
    no office and was refused."""
    history = [
        Message("user", "I left my jacket on a train yesterday. Where will it end up?"),
        Message(
            "assistant",
            "According to our help centre: It is kept at the station for 3 days [1]. "
            "Then it is sent to the Lost Property Office at Guangzhou South station [1].",
        ),
    ]
    query = condenser().run("What time does that office open and close?", history).query
    assert query == (
        "What time does that office open and close? (previous: I left my jacket on a train yesterday. "
        "Where will it end up; Then it is sent to the Lost Property Office at Guangzhou South station)"
    )
    chinese = [
        Message("user", "包裹没人签收会怎样？"),
        Message("assistant", "快递员会把包裹放进附近的迅达柜，柜子在小区门口。"),
    ]
    assert "放进附近的迅达柜" in condenser().run("那个迅达柜几点关门？", chinese).query
    # The previous question names the thing, or the message points at nothing: the question alone.
    named = [Message("user", "Where is the lost property office?"), history[1]]
    assert condenser().run("When does that office open?", named).query == (
        "When does that office open? (previous: Where is the lost property office)"
    )
    assert "Lost Property" not in condenser().run("Can I do that online?", history).query


def test_a_follow_up_swapping_a_name_for_its_sibling_asks_the_previous_question_of_it() -> None:
    """ "And when does the last one leave Jade Harbour Cotai?" after a question on Jade Harbour
    Taipa's airport shuttle: the old hotel's "Taipa" had found the Cotai - Taipa Ferry Terminal
    row, not Cotai's airport one."""
    history = [
        Message("user", "Is there a shuttle from Jade Harbour Taipa to the airport?"),
        Message("assistant", "Yes: it is free, every 20 minutes from 7:00 am to 11:00 pm."),
    ]
    result = condenser().run("And when does the last one leave Jade Harbour Cotai?", history)
    assert result.query == (
        "And when does the last one leave Jade Harbour Cotai? "
        "(previous: Is there a shuttle from Jade Harbour Cotai to the airport)"
    )
    # Names that are no siblings (another first word) stay as the previous question wrote them.
    result = condenser().run(
        "How long does it take from Guangzhou South?",
        [
            Message("user", "How much is a ticket from Shenzhen North to Zhuhai?"),
            Message("assistant", "Second class: ¥85."),
        ],
    )
    assert result.query.endswith("(previous: How much is a ticket from Shenzhen North to Zhuhai)")
