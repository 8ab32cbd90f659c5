"""Refusal that understands paraphrase and language: the semantic evidence (sentence and FAQ
question similarity) and language-aware key words, as features from explicit inputs and end to end
on a small bilingual help centre with the shipped model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.answerability import (
    CROSS_LANGUAGE_GAP,
    AnswerabilityJudge,
    SemanticEvidence,
    evidence,
    fit,
    passage_questions,
    passage_sentences,
    semantic_evidence,
)
from assistant.retrieval import HybridRetriever
from assistant.sentence_vectors import SentenceVectors
from assistant.types import Passage, PassageScores
from ingest.config import Settings
from ingest.db import open_database
from ingest.embedding import get_embedder
from ingest.pipeline import IngestPipeline
from ingest.registry import text_hash
from ingest.vector_cache import SQLVectorCache

KB = "scooters"

FAQ_ROWS = [
    {
        "question": "Where may I park the scooter?",
        "answer": "Park only inside a blue zone shown in the app. A ride that ends outside a blue zone costs a 10 euro fee.",
        "similar_questions": ["Can I end my ride anywhere?"],
    },
    {
        "question": "Can I take a passenger?",
        "answer": "No. The scooter carries one rider only; passengers are not allowed at any age.",
        "similar_questions": ["Can two people ride one scooter?"],
    },
    {
        "question": "如何申请退款？",
        "answer": "在订单页面点击“申请退款”，款项会在3个工作日内原路退回。",
        "similar_questions": ["退款多久到账？"],
    },
    {
        "question": "What is the top speed of the scooter?",
        "answer": "The scooter's top speed is 25 km/h.",
        "similar_questions": ["How fast does it go?"],
    },
]

BATTERY_PAGE = """# Battery and charging

The scooter can go up to 60 kilometres on one charge. A full charge takes 4 hours with the
supplied charger. The battery indicator turns red below 15 percent.
"""


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def passage(text: str, lang: str = "en", **extra: str) -> Passage:
    return Passage(
        chunk_id=text[:8],
        doc_id="d",
        text=text,
        title="Scooter help",
        lang=lang,
        scores=PassageScores(),
        extra=dict(extra),
    )


# -- features from explicit inputs --------------------------------------------------------------


def test_semantic_evidence_is_the_best_cosine_of_each_kind() -> None:
    query = unit(1, 0, 0)
    sentences = np.stack([unit(0, 1, 0), unit(1, 1, 0)])
    questions = np.stack([unit(1, 0, 0)])
    found = semantic_evidence(query, sentences, questions)
    assert found.sentence_top == pytest.approx(float(unit(1, 1, 0)[0]))
    assert found.question_top == pytest.approx(1.0)
    assert semantic_evidence(query, np.zeros((0, 3)), np.zeros((0, 3))) == SemanticEvidence(None, None)


def test_semantic_features_join_the_lexical_ones() -> None:
    passages = [passage("Park only inside a blue zone. Rides ending elsewhere cost a fee.")]
    found = evidence("Where may I park?", passages, semantic=SemanticEvidence(0.91, 0.88))
    assert found.features["sentence_top"] == 0.91 and found.features["question_top"] == 0.88
    assert "coverage" in found.features
    # Without semantic evidence (no embedder) the features are absent, so they count as average.
    assert "sentence_top" not in evidence("Where may I park?", passages).features


def test_key_words_are_compared_across_languages_through_the_lexicon() -> None:
    english = [passage("E-gift cards are available from S$20 to S$500 and are valid for 3 years.")]
    # A Chinese question over an English passage: 电子礼品卡 is "electronic gift card".
    answered = evidence("你们卖电子礼品卡吗？", english)
    assert answered.features["coverage"] > 0.5 and not {"电子礼品", "卡"} & set(answered.missing_terms)
    # An off-topic one shares no word with it in either language, and says which are missing.
    off_topic = evidence("明天上海天气怎么样？", english)
    assert off_topic.features["coverage"] == 0.0 and "天气" in off_topic.missing_terms
    # An English question over a Chinese table row: VAT is 增值税, supported is 支持.
    chinese = [passage("地区: 中国内地; 税种: 增值税; 是否支持: 不支持", lang="zh")]
    assert evidence("Is VAT supported?", chinese).features["coverage"] == 1.0
    # A name the passage lacks is missing in either language ("Auth0" is written so in Chinese).
    sso = [passage("单点登录支持Okta和Google Workspace。", lang="zh")]
    assert "auth0" in evidence("Does single sign-on work with Auth0?", sso).missing_terms


def test_a_sentence_in_the_other_language_is_compared_with_the_cross_language_gap() -> None:
    query = unit(1, 0)
    row = np.stack([unit(1, 1)])
    own = semantic_evidence(query, row, np.zeros((0, 2)), ["en"], [], query_lang="en")
    other = semantic_evidence(query, row, np.zeros((0, 2)), ["zh"], [], query_lang="en")
    assert other.sentence_top == pytest.approx(own.sentence_top + CROSS_LANGUAGE_GAP["en"])
    # Without the query's language nothing is adjusted.
    assert semantic_evidence(query, row, np.zeros((0, 2)), ["zh"], []).sentence_top == own.sentence_top


def test_faq_questions_and_titles_are_what_a_passage_answers() -> None:
    faq = passage(
        "Q: Where may I park?\nA: Inside a blue zone.",
        questions="Where may I park?\nCan I end my ride anywhere?",
    )
    assert passage_questions(faq) == ["Scooter help", "Where may I park?", "Can I end my ride anywhere?"]
    assert passage_sentences(passage("One. Park inside a blue zone. OK")) == [
        "One.",
        "Park inside a blue zone.",
    ]


def test_sample_weights_move_the_fit() -> None:
    rows = [{"coverage": c} for c in (0.9, 0.6, 0.5, 0.2)]
    labels = [True, True, False, False]
    light = fit(rows, labels, features=["coverage"], sample_weights=[1, 1, 1, 1])
    heavy = fit(rows, labels, features=["coverage"], sample_weights=[1, 10, 10, 1])
    assert heavy.weights[0] != light.weights[0]
    with pytest.raises(ValueError):
        fit(rows, labels, features=["coverage"], sample_weights=[1, 1])


def test_sentence_vectors_are_cached_in_sql(settings: Settings) -> None:
    embedder = get_embedder(settings)
    cache = SQLVectorCache(open_database(settings.sql_url), embedder.name)
    vectors = SentenceVectors(embedder, cache)
    texts = ["Park only inside a blue zone.", "The top speed is 25 km/h.", "Park only inside a blue zone."]
    first = vectors.texts(texts)
    assert first.shape == (3, embedder.dim) and np.allclose(first[0], first[2])
    assert set(cache.get([text_hash(t) for t in texts])) == {text_hash(texts[0]), text_hash(texts[1])}
    _, embedded = cache.vectors(texts[:2], embedder.embed_passages)
    assert embedded == 0  # a second question retrieving the same chunks embeds nothing


# -- end to end on a small bilingual help centre with the shipped parameters ----------------------


@pytest.fixture(scope="module")
def scooter_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    folder = tmp_path_factory.mktemp("scooter-help")
    (folder / "faq.jsonl").write_text(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in FAQ_ROWS) + "\n", encoding="utf-8"
    )
    (folder / "battery.md").write_text(BATTERY_PAGE, encoding="utf-8")
    settings = Settings(data_dir=folder / "kefu-data")
    report = IngestPipeline(settings).ingest_paths([folder / "faq.jsonl", folder / "battery.md"], KB)
    assert not report.failed and report.pending == 0
    yield settings


def judged(settings: Settings, question: str):  # type: ignore[no-untyped-def]
    retriever = HybridRetriever(settings)
    result = retriever.run(question, KB, top_k=5)
    judge = AnswerabilityJudge(vectors=SentenceVectors.from_settings(settings, retriever.db))
    return judge.run(question, result.passages, term_weights=result.query_terms)


@pytest.mark.parametrize(
    "question",
    [
        "How do I get my money back?",  # English over a Chinese FAQ row
        "滑板车最快能跑多快？",  # Chinese over an English FAQ row
    ],
)
def test_questions_in_the_other_language_are_answered(scooter_settings: Settings, question: str) -> None:
    verdict = judged(scooter_settings, question)
    assert verdict.answerable, verdict
    assert verdict.features["coverage"] >= 0.5  # key words found in translation


# Known gap, kept visible: with multilingual-e5-small the best sentence of the right FAQ entry is
# no closer to a zero-shared-word paraphrase (cosine 0.80-0.86) than to a near miss on the same
# page (0.82-0.86), so the fitted model refuses these. strict: the test fails once they pass.
@pytest.mark.xfail(
    strict=True,
    reason="paraphrases sharing no key word are still refused (dense similarity of e5-small does not separate them from near misses)",
)
@pytest.mark.parametrize(
    "question",
    [
        "Where should I leave it when I finish?",  # "park ... inside a blue zone"
        "Can my kid sit on the back?",  # "passengers", never "kid" or "back"
    ],
)
def test_paraphrases_sharing_no_key_word_are_answered(scooter_settings: Settings, question: str) -> None:
    verdict = judged(scooter_settings, question)
    assert verdict.answerable, verdict


@pytest.mark.parametrize(
    "question",
    ["How much does a replacement battery cost?", "Can I charge the scooter with a phone charger?"],
)
def test_near_misses_are_refused(scooter_settings: Settings, question: str) -> None:
    verdict = judged(scooter_settings, question)
    assert not verdict.answerable, verdict


def test_the_parameters_use_the_semantic_features() -> None:
    shipped = json.loads((Path(__file__).parents[2] / "assistant" / "answerability_params.json").read_text())
    assert {"sentence_top", "question_top"} <= set(shipped["features"])
