"""Cross-language retrieval: a question in one language whose answer is a page in the other.
The embedder ranks any same-language text above the answer in the other language, so each
language is searched on its own and calibrated (assistant/retrieval/dense.py); BM25 can read the
question's words in translation (assistant/retrieval/crosslingual.py, opt-in)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval import HybridRetriever
from assistant.retrieval.bm25 import BM25Index
from assistant.retrieval.crosslingual import TranslatedBM25, slot_scores, slots
from assistant.retrieval.lexicon import parse_cedict
from assistant.retrieval.text import terms
from assistant.retrieval.background import background
from assistant.retrieval.dense import calibrate
from assistant.retrieval.types import ScoredChunk
from ingest.config import RetrievalSettings, Settings
from ingest.pipeline import IngestPipeline
from ingest.types import ParsedDocument, Section


def hits(prefix: str, scores: list[float]) -> list[ScoredChunk]:
    return [ScoredChunk(f"{prefix}{i}", s) for i, s in enumerate(scores)]


def test_calibration_lifts_the_distinct_lead_of_the_other_language() -> None:
    zh = hits("zh", [0.89, 0.88, 0.88, 0.87, 0.87, 0.86, 0.86])  # a Chinese question: Chinese text sits high
    en = hits("en", [0.85, 0.80, 0.80, 0.79, 0.79, 0.78, 0.78])  # the English answer leads its language
    merged = calibrate({"zh": zh, "en": en}, top_n=5)
    assert merged[0].chunk_id == "en0"
    assert merged[0].score == pytest.approx(0.85 + (0.87 - 0.79))
    assert merged[1] == ScoredChunk("zh0", 0.89)  # the question's own language keeps its cosines
    assert len(merged) == 5


def test_a_language_with_too_few_hits_is_left_as_it_is() -> None:
    assert background([0.9, 0.8, 0.8]) is None
    merged = calibrate(
        {"zh": hits("zh", [0.89, 0.88, 0.88, 0.87, 0.87, 0.86]), "en": hits("en", [0.85, 0.80])}, top_n=10
    )
    assert [h.score for h in merged if h.chunk_id.startswith("en")] == [0.85, 0.80]


ZH_TOPICS = [
    ("会员积分", "每消费1元可获得1积分，积分可在下次购物时抵扣现金。"),
    ("配送时间", "标准配送需时3至5个工作日，加急配送次日送达。"),
    ("退货政策", "自签收之日起三十天内可凭订单号退货。"),
    ("付款方式", "我们接受信用卡、支付宝及微信支付。"),
    ("发票", "电子发票会在发货后24小时内发送到您的邮箱。"),
    ("账户安全", "如忘记密码，可在登录页点选“忘记密码”重设。"),
    ("门市地址", "旗舰店位于中环皇后大道中88号，每日上午10时至晚上9时营业。"),
    ("客服热线", "客服热线每日上午8时至晚上11时开放。"),
]
EN_TOPICS = [
    ("Gift wrapping", "Gift wrapping costs HK$25 per item and includes a handwritten card."),
    ("Assembly service", "Our team assembles a wardrobe for HK$450; a bed frame takes about 90 minutes."),
    ("Price match", "We match the price of an identical item sold by a local competitor."),
    ("Warranty", "Furniture carries a two-year warranty against manufacturing defects."),
    ("Delivery areas", "We deliver to every district except outlying islands."),
    ("Order changes", "An order can be changed until it is packed, usually within 2 hours."),
]


@pytest.fixture
def bilingual_kb(fresh_settings: Settings) -> Settings:
    documents = [
        ParsedDocument(
            source=f"{lang}/{title}.md", title=title, file_type="md", sections=[Section(text)], lang=lang
        )
        for lang, topics in (("zh", ZH_TOPICS), ("en", EN_TOPICS))
        for title, text in topics
    ]
    report = IngestPipeline(fresh_settings).ingest_documents(documents, "shop")
    assert not report.failed and report.pending == 0
    return fresh_settings


def test_a_chinese_question_finds_the_english_page_and_back(bilingual_kb: Settings) -> None:
    retriever = HybridRetriever(bilingual_kb)
    sources = [p.source for p in retriever.run("组装衣柜要多少钱？", "shop", top_k=3).passages]
    assert "en/Assembly service.md" in sources
    sources = [
        p.source
        for p in retriever.run("How soon is an electronic invoice emailed?", "shop", top_k=3).passages
    ]
    assert "zh/发票.md" in sources


def test_translated_bm25_finds_the_other_language_on_the_questions_words(bilingual_kb: Settings) -> None:
    """Opt-in (translated_weight): BM25 over the question's words in translation ranks the
    other language's chunks only, and off (the default) it costs nothing and lists nothing."""
    on = HybridRetriever(bilingual_kb, retrieval=RetrievalSettings(translated_weight=1.25))
    result = on.run("组装衣柜要多少钱？", "shop", top_k=3)
    translated = result.candidates["translated"].hits
    catalog = on.snapshot("shop").catalog
    assert translated and {catalog.langs[catalog.position[h.chunk_id]] for h in translated} == {"en"}
    best = result.passages[0] if result.passages[0].scores.translated_rank == 1 else None
    assert best is not None and best.source == "en/Assembly service.md"
    assert (
        on.run("How soon is an electronic invoice emailed?", "shop", top_k=3).passages[0].source
        == "zh/发票.md"
    )
    assert HybridRetriever(bilingual_kb).run("组装衣柜要多少钱？", "shop").candidates["translated"].hits == []


def test_a_word_fills_its_slot_once_however_many_translations_a_chunk_holds() -> None:
    lexicon = parse_cedict(
        [
            "房間 房间 [fang2 jian1] /room/\n",
            "客房 客房 [ke4 fang2] /guest room/room/\n",
            "麻將 麻将 [ma2 jiang4] /mahjong/\n",
            "金 金 [jin1] /gold/\n",
        ]
    )
    rows = ["客房 房间 客房 房间", "客房", "麻将 房间", "金色 黄金", "A room of our own"]
    index = BM25Index.build(rows)
    found = slots(terms("mahjong room gold"), lexicon, index)
    assert [s.word for s in found] == ["mahjong", "room"]  # a single character ("金") is no slot
    other = np.array([True, True, True, True, False])
    scores = slot_scores(index, found, other)
    assert scores[4] == 0  # the question's own language is BM25's
    assert scores[2] > scores[0] > 0  # two words in translation beat one word written twice
    assert scores[0] <= index.idf("room") + 1e-6  # one slot: never more than the word's own IDF


def test_the_question_frame_and_names_alone_rank_no_chunk_of_the_other_language() -> None:
    """ "How long" asks for a duration (no 多久 to find), and a name is written alike in both
    languages, so BM25 finds it: a Chinese FAQ asking 保修多久 about the Lumo Hub is not ranked
    for "How long does standard shipping take, and how do I reset my Lumo Hub?"; the Chinese
    shipping page, holding "shipping" in translation, is."""
    rows = ["问 Lumo Hub 保修 多久 答 Lumo Hub 保修 2 年", "标准 运送 需时 3 至 5 个 工作日", "How to reset"]
    index = BM25Index.build(rows)
    langs = np.array(["zh", "zh", "en"])
    ranked = TranslatedBM25().run(
        "How long does standard shipping take, and how do I reset my Lumo Hub?",
        index,
        ["warranty", "shipping", "reset"],
        langs,
        top_n=3,
    )
    assert [h.chunk_id for h in ranked.hits] == ["shipping"]
