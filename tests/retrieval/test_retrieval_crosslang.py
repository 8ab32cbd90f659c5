"""Cross-language retrieval: a question in one language whose answer is a page in the other.
The embedder ranks any same-language text above the answer in the other language, so each
language is searched on its own and calibrated (assistant/retrieval/dense.py)."""

from __future__ import annotations

import pytest

from assistant.retrieval import HybridRetriever
from assistant.retrieval.dense import background, calibrate
from assistant.retrieval.types import ScoredChunk
from ingest.config import Settings
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
    assert background(hits("x", [0.9, 0.8, 0.8])) is None
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
