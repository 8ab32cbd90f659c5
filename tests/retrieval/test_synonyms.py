"""Customer-service synonyms (assistant/retrieval/synonyms.py): a paraphrase written in the
customer's words is searched with the help centre's, and its words count as found where the
passage writes a synonym, while a near miss's missing thing stays missing."""

from __future__ import annotations

from pathlib import Path

from assistant.answerability import evidence
from assistant.retrieval import HybridRetriever
from assistant.retrieval.synonyms import parse_synonyms, synonym_groups
from assistant.retrieval.text import key_terms
from assistant.types import Passage, PassageScores
from ingest.config import Settings
from ingest.pipeline import IngestPipeline
from ingest.types import Section
from tests.retrieval.conftest import document

LOST = "If your phone is lost or stolen, call 1833 1833 to suspend your number at once."


def passage(text: str, lang: str = "en") -> Passage:
    return Passage(
        chunk_id=text[:8], doc_id=text[:8], text=text, title="Help", lang=lang, scores=PassageScores()
    )


def held(question: str, text: str) -> set[str]:
    return synonym_groups().held(question, key_terms(question), text)


def test_a_customers_word_is_held_where_the_page_writes_a_synonym() -> None:
    assert {"mobile", "miss"} <= held("My mobile went missing, what do I do?", LOST)
    # Phrases match as a whole, in any inflection: "money back" is a refund.
    assert held("Can I get my money back?", "Refunds are paid within 5 working days.") == {"money", "back"}
    assert held("Is the sofa refunded?", "You get your money back within 5 days.") == {"refund"}
    # Across languages, the trade's words CC-CEDICT lacks: 积分 are loyalty points.
    assert held("会员积分怎么用？", "Earn 1 loyalty point per S$1 spent.") >= {"积分", "#积分"}
    assert held("How do loyalty points work?", "每消费1新元可得1积分。") == {"loyalty", "point"}
    # A target is what a page says it aims for.
    assert held("What uptime target was in the 2022 SLA?", "Ledgerly aims for 99.5% uptime.") == {"target"}


def test_a_utility_customers_words_are_held_where_the_page_writes_its_own() -> None:
    assert held("If I ring you, how soon will someone come?", "Call 96577 from outside.") == {"ring"}
    assert held("How much do I owe before you cut off my supply?", "We may disconnect your supply.") == {
        "cut"
    }
    assert held("What was the daily late-payment charge?", "0.2% of the unpaid amount for each day") == {
        "daily"
    }
    assert held("账单要在几天内交清？", "请在账单日起15天内缴清每期账单。") >= {"交清"}
    assert held("How much do I need to spend in a year?", "会员等级: 金卡会员; 年度消费: 满800新元") == {
        "spend"
    }
    assert held(
        "When do you warn me that my balance is running low?", "We send an SMS when it falls below ¥50."
    ) == {
        "run",
        "low",
    }
    assert held("Under the 2023 version of the policy?", "Arrears policy (2023 edition)") == {"version"}
    assert held("在房间抽烟会被罚钱吗？", "在客房内吸烟将被罚款2,000澳门元。") >= {"罚钱"}


def test_a_phrase_is_held_where_the_page_writes_a_member_the_question_also_writes() -> None:
    """ "How many days after the disconnection notice could you cut off the supply?" writes two
    members of one group; the page writes "disconnect", which holds the phrase too (it had been
    refused for "cut"). A single word is not held so: the monthly fee and the switching charge
    are two things, and a page's activation fee is not the charge."""
    question = "How many days after the disconnection notice could you cut off the supply?"
    assert held(question, "We may disconnect your supply 7 days after the notice.") >= {"cut"}
    fees = "If I switch to an eSIM, what's the monthly fee and the one-off switching charge?"
    assert "charge" not in held(fees, "A one-off activation fee of HK$120 is due.")


def test_a_travellers_words_are_held_where_the_page_writes_its_own() -> None:
    assert held("Will you keep our bags after we check out?", "The concierge stores your luggage.") >= {"bag"}
    assert held("导盲犬可以进泳池吗？", "Assistance dogs can go everywhere except the pools.") >= {"导盲犬"}


def test_a_size_or_weight_asked_with_an_adjective_is_held_where_the_page_states_the_limit() -> None:
    limits = "One parcel can weigh up to 40 kg. No side may be longer than 120 cm."
    assert held("What's the heaviest parcel you take?", limits) == {"heaviest"}
    assert "longest" in held("How long can the longest side be?", limits)
    assert held("How tall can a box be?", "A medium compartment takes parcels up to 19 cm high.") == {"tall"}
    assert held("Which is the biggest locker?", "Lockers have small, medium and large compartments.") == {
        "biggest"
    }
    # "longer" of time is no length: keeping a parcel longer is not held by a side's limit.
    assert held("Can I keep it in the locker longer?", limits) == set()
    assert held("What do I owe?", "You pay it in the app before the compartment opens.") == {"owe"}
    assert held("How long is the card good for?", "The card costs ¥30 and is valid for 1 year.") == {"good"}


def test_a_figure_inside_a_chinese_word_does_not_hide_it() -> None:
    """ "分3期" writes 分期 (instalments), the member "可以分期付款吗？" writes inside its word 分期付款;
    a word merely holding a member of another group is not held by it (分期付款 is no 付款)."""
    instalments = "订单满100新元可通过Atome分3期免息付款。"
    assert held("可以分期付款吗？", instalments) == {"分期付款"}
    assert held("可以分期付款吗？", "我们接受Visa及PayNow付款。") == set()
    assert held("可以分期付款吗？", "订单满100新元可通过Atome分期付款。") == {"分期付款"}


def test_a_near_misses_missing_thing_stays_missing() -> None:
    # A rug is no mattress, and a bed is not one either: the group holds what means the same.
    assert held("How long is the warranty on rugs?", "Product type: Mattresses; Warranty: 10 years") == set()
    assert held("Is my bed frame covered?", "A mattress is covered when it sags by more than 3 cm.") == set()
    # Words that are apart in the question are no phrase: "money is back" is not "money back".
    assert held("Where does my money go back to?", "Refunds take 5 days.") == set()


def test_a_word_with_another_everyday_sense_is_no_member() -> None:
    # "support" is also a verb: phones that support eSIM are no customer-support hotline.
    question = "Which phones support eSIM?"
    assert held(question, "客户服务热线每日上午8时至晚上11时开放。") == set()
    assert synonym_groups().searched_with(question, lambda term: term != "support") == []
    assert held("How do I reach customer support?", "Call our hotline on 1833 1833.") >= {
        "customer",
        "support",
    }


def test_the_file_format() -> None:
    groups = parse_synonyms(["# a comment", "", "refund | money back | 退款", "lonely"])
    assert [[m.text for m in g] for g in groups.groups] == [["refund", "money back", "退款"]]


def test_only_words_the_knowledge_base_lacks_are_searched_with_synonyms() -> None:
    # The index's terms, stemmed as key terms are ("lost" is "lose").
    known = {"phone", "lose", "suspend", "number"}.__contains__
    searched = synonym_groups().searched_with("My handset went missing", known)
    assert {"phone", "lost"} <= set(searched)
    assert all(set(key_terms(s)) <= {"phone", "lose"} for s in searched)
    # "phone" is a word of the knowledge base: it finds its pages without help.
    assert synonym_groups().searched_with("My phone went missing", known) == ["lost"]


def test_the_judge_finds_a_paraphrases_words_in_their_synonyms() -> None:
    question = "My mobile went missing, how do I stop someone using my line?"
    found = evidence(question, [passage(LOST)])
    assert found.features["coverage"] >= 0.8
    assert not {"mobile", "miss", "line"} & set(found.missing_terms)


def test_the_judge_reads_a_chinese_word_a_figure_interrupts() -> None:
    # 分期付款 through its member 分期 in "分3期", and the bigram 分期 in the text without the 3.
    found = evidence("可以分期付款吗？", [passage("订单满100新元可通过Atome分3期免息付款。", lang="zh")])
    assert found.features["coverage"] == 0.75 and found.missing_terms == []


def test_keyword_search_finds_a_paraphrase_by_the_pages_words(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "kefu-data", embed_batch_size=8)
    documents = [
        document("lost.md", "Lost or stolen phone", [Section(LOST)]),
        document("roaming.md", "Roaming", [Section("Roaming day passes cost HK$68 in Europe.")]),
        document("plans.md", "Plans", [Section("Harbour Max has 100 GB of local data for HK$298 a month.")]),
    ]
    assert not IngestPipeline(settings).ingest_documents(documents, "synonyms").failed
    result = HybridRetriever(settings).run("My handset went missing, what now?", "synonyms", top_k=2)
    # Not one of the question's words is on any page: keyword search finds the page by "phone"
    # and "lost", the synonyms of "handset" and "missing" the knowledge base uses.
    lexical = result.candidates["bm25"].hits
    assert lexical and lexical[0].chunk_id == result.passages[0].chunk_id
    assert result.passages[0].title == "Lost or stolen phone"


def test_only_a_phrase_the_question_writes_can_be_asked_to_name_a_thing() -> None:
    groups = synonym_groups()
    question = "Do gold members get free shipping?"
    assert groups.held(question, key_terms(question), "免运费", phrases_only=True) == {"free", "ship"}
    # "tax" is one word: it names the question's predicate as often as a thing.
    question = "Do you support Japanese consumption tax?"
    assert groups.held(question, key_terms(question), "税种", phrases_only=False) == {"tax"}
    assert groups.held(question, key_terms(question), "税种", phrases_only=True) == set()


def test_a_cover_holds_the_narrower_word_not_the_broader_one() -> None:
    every_day = "Standard and Express deliver 7 days a week, weekends included."
    assert held("Do couriers deliver on Sundays?", every_day) == {"sunday"}
    assert held("周日可以送货吗？", "我们每天都派送，周末照常。") >= {"周日"}
    # The days a service runs answer for any day: "Monday to Saturday" says not on Sundays.
    assert held("Is the pickup counter open on Sundays?", "The counter is open Monday to Saturday.") == {
        "sunday"
    }
    # A question on weekends is not answered by one day's hours, nor Sunday by Saturday's.
    assert held("Do you deliver at weekends?", "We deliver on Saturdays from 9 am to 1 pm.") == set()
    assert held("Do you deliver on Sundays?", "We deliver on Saturdays from 9 am to 1 pm.") == set()


def test_the_file_format_of_a_cover() -> None:
    groups = parse_synonyms(["sunday | 周日 > weekend | every day"])
    assert groups.groups == ()
    assert [[[m.text for m in side] for side in cover] for cover in groups.covers] == [
        [["sunday", "周日"], ["weekend", "every day"]]
    ]


def test_chinese_new_year_is_the_spring_festival() -> None:
    question = "Do you deliver during Chinese New Year?"
    spring_festival = "During the 7-day Spring Festival holiday, Standard deliveries are paused."
    assert held(question, spring_festival) == {"chinese", "new", "year"}


def written(question: str) -> set[str]:
    return {m.text for _, members in synonym_groups().written_in(question) for m in members}


def test_a_word_another_member_only_begins_is_not_that_member() -> None:
    """A member matches a word's forms ("charged" is "charge", "deliveries" a "delivery"), not a
    longer word it begins: "free" is no "freeze", "help" no "helpdesk", "pass" no "passport"."""
    assert "freeze" not in written("Is return shipping free?")
    assert "helpdesk" not in written("Can you help me with my homework?")
    assert not {"passport", "password"} & written("How much is a monthly pass?")
    assert "undergraduate" not in written("Under the 2022 policy, how long did refunds take?")
    assert "charge" in written("Will I be charged?")
    # In a page too: a passage writing "freeze" holds no question's "free".
    assert held("Is it free?", "We can freeze your account for 3 months.") == set()


def test_a_customers_pet_and_travel_words_are_held_where_the_page_writes_its_own() -> None:
    assert {"cat", "ride"} <= held("Can my cat ride in first class?", "Pets cannot travel in first class.")
    assert "dog" in held("How heavy can my dog be?", "The pet and its carrier must weigh no more than 10 kg.")
    # A cover: the page's rule for pets does not say what a question about pets is told of dogs.
    assert held("Can pets travel in first class?", "Guide dogs travel free of charge.") == set()
    assert {"e", "scooter"} <= held(
        "Can I take my e-scooter on board?", "Electric scooters cannot be taken on trains."
    )
    assert "consider" in held(
        "When is a bag considered lost?", "A bag not found after 21 days is treated as lost."
    )
    assert "typhoon" in held("Is a hotel paid for a typhoon?", "They are not given for bad weather.")
    assert "website" in held("Can I book a pet on the website?", "Pets cannot be added online.")
