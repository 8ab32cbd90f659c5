"""The tiny data set the eval tests write, and fixed answers whose metric values are computed by hand.

Corpus: A (returns), B (shipping), C (warranty, Chinese). Questions:
  q1 answerable, gold A           answer cites [1]; ranking A,B            -> rank 1
  q2 answerable, gold B, 2 turns  answer cites [3]; ranking C,A,B          -> rank 3
  q3 answerable, gold C (zh)      answer cites 【1】; ranking C             -> rank 1
  q4 UNANSWERABLE                 refused
  q5 answerable, gold A+B, free   answer cites [4] of 2 passages (invalid); ranking C,B -> rank 2
  q6 answerable, gold B           falsely refused; ranking B               -> rank 1
The expected values are in EXPECTED, worked out in the comments there.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from api.cli import eval_commands
from api.cli.console import console
from ingest.config import get_settings
from eval.contract import AnswerRecord

CORPUS = {
    "A": (
        "Returns policy",
        "You can return any product within 30 days of purchase with the original receipt.",
    ),
    "B": ("Shipping", "Standard shipping takes 3 to 5 business days. Express shipping costs 15 dollars."),
    "C": ("保修政策", "所有产品享有两年保修。保修期内的质量问题可以免费维修或更换。"),
}

QUESTIONS: list[dict[str, Any]] = [
    {
        "id": "q1",
        "question": "How many days do I have to return a product?",
        "answer": "30 days",
        "answer_aliases": [["30 days", "thirty days"]],
        "gold_doc_ids": ["A"],
        "answerable": True,
        "history": [],
    },
    {
        "id": "q2",
        "question": "How much does it cost?",
        "answer": "15 dollars",
        "answer_aliases": [["15 dollars", "$15"]],
        "gold_doc_ids": ["B"],
        "answerable": True,
        "history": [
            {"role": "user", "content": "I need express shipping."},
            {"role": "assistant", "content": "We offer express shipping."},
        ],
    },
    {
        "id": "q3",
        "question": "产品保修多久？",
        "answer": "两年",
        "answer_aliases": [["两年", "2年"]],
        "gold_doc_ids": ["C"],
        "answerable": True,
        "history": [],
    },
    {
        "id": "q4",
        "question": "Do you sell gift cards?",
        "answer": "Not in the knowledge base.",
        "answer_aliases": [],
        "gold_doc_ids": [],
        "answerable": False,
        "history": [],
    },
    {
        "id": "q5",
        "question": "Tell me about returns and shipping.",
        "answer": "Returns within 30 days; shipping 3 to 5 days.",
        "answer_aliases": [],
        "gold_doc_ids": ["A", "B"],
        "answerable": True,
        "history": [],
    },
    {
        "id": "q6",
        "question": "How fast is standard shipping?",
        "answer": "3 to 5 business days",
        "answer_aliases": [["3 to 5 business days"]],
        "gold_doc_ids": ["B"],
        "answerable": True,
        "history": [],
    },
]


def _passages(*doc_ids: str) -> list[dict[str, Any]]:
    return [
        {"chunk_id": f"{d}-0", "doc_id": d, "text": CORPUS[d][1], "score": 1.0 - i / 10}
        for i, d in enumerate(doc_ids)
    ]


# question text (as the runner sends it) -> the fixed record
ANSWERS: dict[str, AnswerRecord] = {
    QUESTIONS[0]["question"]: AnswerRecord(
        "You can return it within 30 days [1].",
        "generated",
        False,
        _passages("A", "B"),
        [1],
        100.0,
        {"retrieve": 10.0},
        refusal_probability=0.1,
    ),
    QUESTIONS[1]["question"]: AnswerRecord(
        "Express shipping costs $15 [3].",
        "generated",
        False,
        _passages("C", "A", "B"),
        [3],
        200.0,
        refusal_probability=0.2,
    ),
    QUESTIONS[2]["question"]: AnswerRecord(
        "根据资料，保修期为两年【1】。",
        "extractive",
        False,
        _passages("C"),
        [1],
        300.0,
        refusal_probability=0.3,
    ),
    QUESTIONS[3]["question"]: AnswerRecord(
        "Sorry, I could not find that.", "refused", True, _passages("B"), [], 400.0, refusal_probability=0.9
    ),
    QUESTIONS[4]["question"]: AnswerRecord(
        "Returns take 30 days [4].",
        "generated",
        False,
        _passages("C", "B"),
        [],
        500.0,
        refusal_probability=0.4,
    ),
    QUESTIONS[5]["question"]: AnswerRecord(
        "Sorry, I could not find that.", "refused", True, _passages("B"), [], 600.0, refusal_probability=0.6
    ),
}

NDCG_Q5 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))  # gold A,B; B at rank 2 of C,B

EXPECTED = {
    # retrieval over q1 q2 q3 q5 q6 (answerable with gold): ranks of first gold 1, 3, 1, 2, 1
    "hit@1": 3 / 5,
    "hit@3": 1.0,
    "hit@5": 1.0,
    "hit@10": 1.0,
    "mrr@10": (1 + 1 / 3 + 1 + 1 / 2 + 1) / 5,
    "ndcg@10": (1 + 0.5 + 1 + NDCG_Q5 + 1) / 5,  # q2: 1/log2(4) = 0.5
    # refusal: tp q4, fp q6, fn none, tn q1 q2 q3 q5
    "refusal_precision": 0.5,
    "refusal_recall": 1.0,
    "refusal_f1": 2 * 0.5 * 1.0 / 1.5,
    "refusal_balanced_accuracy": (1.0 + 4 / 5) / 2,
    "false_refusal_rate": 1 / 5,
    # aliases on q1 q2 q3 (match) and q6 (refused -> no match)
    "answer_match": 3 / 4,
    "exact_match": 0.0,
    # correct: q1 q2 q3 yes, q4 refused = yes, q6 no; q5 free text = not judged
    "correct": 4 / 5,
    # citations: q1 q2 q3 valid, q5 [4] of 2 passages invalid; refusals not checked
    "citation_valid": 3 / 4,
    "citation_rate": 1.0,
    # latencies 100..600 ms: p50 = 350; p95 at rank 4.75 -> 575; p99 at 4.95 -> 595
    "latency_p50_ms": 350.0,
    "latency_p95_ms": 575.0,
    "latency_p99_ms": 595.0,
    "latency_mean_ms": 350.0,
    # Ragas ID-based on q1 q2 q3 q5 q6: recall 1,1,1,1/2,1; precision 1/2,1/3,1,1/2,1
    "id_based_context_recall": (1 + 1 + 1 + 0.5 + 1) / 5,
    "id_based_context_precision": (0.5 + 1 / 3 + 1 + 0.5 + 1) / 5,
    "error_rate": 0.0,
}


def fixed_answer(question: str, history: list[dict[str, str]]) -> AnswerRecord:
    if question == QUESTIONS[1]["question"]:
        assert history == QUESTIONS[1]["history"], "the multi-turn history must reach the answer function"
    return ANSWERS[question]


def write_dataset(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for doc_id, (title, text) in CORPUS.items():
            handle.write(json.dumps({"id": doc_id, "title": title, "text": text}, ensure_ascii=False) + "\n")
    with (folder / "questions.jsonl").open("w", encoding="utf-8") as handle:
        for row in QUESTIONS:
            handle.write(json.dumps({**row, "meta": {}}, ensure_ascii=False) + "\n")
    return folder


def eval_cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    """`kefu eval` as a Typer app whose settings are read afresh from the test's environment (set
    it before starting this): the body of the test modules' `cli` fixtures."""
    monkeypatch.setattr(console, "_width", 200)  # CliRunner's terminal is 80 columns
    get_settings.cache_clear()
    app = typer.Typer(pretty_exceptions_enable=False)
    eval_commands.register(app)
    app.command("version")(lambda: None)  # a second command, so "eval" stays a sub-command
    yield app
    get_settings.cache_clear()
