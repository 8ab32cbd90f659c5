"""Answer or refuse: the shipped answerability model on obvious cases in both languages, the
features on hand-made passages, and the numpy logistic regression."""

from __future__ import annotations

import pytest

from assistant.answerability import AnswerabilityJudge, AnswerabilityParams, evidence, fit, load_params
from assistant.retrieval import HybridRetriever
from ingest.config import RetrievalSettings, Settings
from assistant.sentence_vectors import SentenceVectors
from assistant.types import Passage, PassageScores

KB = "help"


def judge(settings: Settings, retriever: HybridRetriever) -> AnswerabilityJudge:
    """The judge as the answer pipeline builds it: with the sentence vectors of the KB's database."""
    return AnswerabilityJudge(vectors=SentenceVectors.from_settings(settings, retriever.db))


def verdict(settings: Settings, question: str):  # type: ignore[no-untyped-def]
    retriever = HybridRetriever(settings)
    result = retriever.run(question, KB, top_k=5)
    return judge(settings, retriever).run(question, result.passages, term_weights=result.query_terms)


@pytest.mark.parametrize(
    "question",
    [
        "How many days do Plus members have to return items?",
        "会员退货期限是多少天？",
        "How do I reset the Lumo Hub?",
    ],
)
def test_answers_when_the_passages_hold_the_answer(kb_settings: Settings, question: str) -> None:
    result = verdict(kb_settings, question)
    assert result.answerable, result
    assert 0.5 <= result.probability <= 1.0


@pytest.mark.parametrize(
    "question",
    [
        "Who won the football world cup in 1998?",
        "广茂铁路全长多少公里？",
        "What is the battery life of the Lumo Toaster X9?",
    ],
)
def test_refuses_when_the_passages_do_not(kb_settings: Settings, question: str) -> None:
    result = verdict(kb_settings, question)
    assert not result.answerable, result
    assert result.reason


def sample_verdict(settings: Settings, question: str):  # type: ignore[no-untyped-def]
    retriever = HybridRetriever(settings)
    result = retriever.run(question, "sample", top_k=5)
    return judge(settings, retriever).run(question, result.passages, term_weights=result.query_terms)


def test_question_words_are_not_looked_for_in_the_passages(sample_kb_settings: Settings) -> None:
    # The shipping page says "3-5 business days": "how long" and "take" are nowhere in it.
    answered = sample_verdict(sample_kb_settings, "How long does standard shipping take?")
    assert answered.answerable and answered.features["coverage"] == 1.0, answered
    # The help centre sells devices, not insurance: on-topic passages, but not the key terms.
    refused = sample_verdict(sample_kb_settings, "Does Lumo sell travel insurance?")
    assert not refused.answerable, refused
    # The reason names the missing key word, unless the best passage is in the other language
    # (the sample help centre is bilingual and dense scores are calibrated across languages).
    assert "insurance" in refused.reason or "another language" in refused.reason, refused.reason


def test_nothing_retrieved_is_refused() -> None:
    assert not AnswerabilityJudge().run("anything", []).answerable


def passage(text: str, ranks: dict[str, int] | None = None, **scores: float) -> Passage:
    found = PassageScores(**scores, **{f"{name}_rank": rank for name, rank in (ranks or {}).items()})
    return Passage(chunk_id="c", doc_id="d", text=text, title="Returns", scores=found)


def test_features() -> None:
    passages = [
        passage(
            "Shipping is free. Plus members can return items within 60 days.",
            {"bm25": 1, "dense": 1},
            dense=0.9,
        )
    ]
    weights = {"plus": 3.0, "member": 2.0, "return": 1.0, "toaster": 9.0}
    found = evidence("Can Plus members return a toaster?", passages, weights)
    assert found.features == {
        "coverage": 0.75,
        "missing_rare": 1.0,
        "dense_top": 0.9,
        "agree": 1.0,
        "missing_number": 0.0,
    }
    assert found.missing_terms == ["toaster"]
    # Without a dense ranking (vectors pending) the dense features are absent, not zero.
    lexical_only = evidence(
        "Can Plus members return items?", [passage("Plus members can return items.", {"bm25": 1})]
    )
    assert lexical_only.features == {"coverage": 1.0, "missing_rare": 0.0, "missing_number": 0.0}


def test_context_sentences_of_a_message_do_not_dilute_its_question() -> None:
    passages = [passage("Apprentices under 19 are entitled to the apprentice rate.")]
    message = (
        "I started a new job last month and my employer pays weekly. Am I entitled to the apprentice rate?"
    )
    assert (
        evidence(message, passages).features["coverage"]
        >= evidence(message.split(".")[1], passages).features["coverage"]
    )


def test_fit_separates_and_round_trips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [{"coverage": c, "dense_top": 0.85} for c in (0.9, 0.8, 0.85, 0.7, 0.2, 0.1, 0.3, 0.25)]
    labels = [True] * 4 + [False] * 4
    params = fit(rows, labels, features=["coverage", "dense_top"])
    assert params.weights[0] > 0 and params.probability({"coverage": 0.9}) > 0.5 > params.probability(
        {"coverage": 0.1}
    )
    path = tmp_path / "params.json"
    path.write_text(params.to_json(), encoding="utf-8")
    assert load_params(RetrievalSettings(answerability_params=path)) == AnswerabilityParams.load(path)
    with pytest.raises(ValueError):
        fit(rows[:4], labels[:4])
