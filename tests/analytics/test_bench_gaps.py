"""Smoke test of `python -m eval.bench_gaps` on a tiny data-set folder the test writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from eval import bench_gaps

GROUPS = {
    "How do I return shoes?": ["Can I send my shoes back?", "What is the return process for shoes?"],
    "When does the shop open?": ["What are your opening hours?", "What time do you open in the morning?"],
    "Do you ship to Canada?": ["Can you deliver to Canada?", "Is shipping to Canada available?"],
    "Can I pay with PayPal?": ["Do you accept PayPal?", "Is PayPal a payment option?"],
}
NOISE = [
    "Is the museum free on Sundays?",
    "How tall is the Eiffel Tower?",
    "Who wrote Hamlet?",
    "What is the boiling point of water?",
    "How many legs does a spider have?",
    "When was the euro introduced?",
]


def write_set(folder: Path, corpus: list[dict], questions: list[dict]) -> None:
    folder.mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus), encoding="utf-8")
    (folder / "questions.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in questions), encoding="utf-8"
    )


def question(qid: str, text: str, doc: str) -> dict:
    return {
        "id": qid,
        "question": text,
        "answer": "a",
        "answer_aliases": [],
        "gold_doc_ids": [doc],
        "answerable": True,
        "history": [],
        "meta": {},
    }


@pytest.fixture
def datasets(tmp_path: Path) -> Path:
    root = tmp_path / "datasets"
    corpus = [
        {"id": f"faq-{i}", "title": title, "text": f"{title}\nAnswer {i}."} for i, title in enumerate(GROUPS)
    ]
    questions = [
        question(f"q-{i}-{j}", text, f"faq-{i}")
        for i, texts in enumerate(GROUPS.values())
        for j, text in enumerate(texts)
    ]
    write_set(root / "covid_faq", corpus, questions)
    noise_corpus = [
        {"id": f"d-{i}", "title": f"doc {i}", "text": f"{text} Fact {i} is here. Another fact {i} follows."}
        for i, text in enumerate(NOISE)
    ]
    write_set(root / "or_sharc", noise_corpus, [question(f"n-{i}", t, f"d-{i}") for i, t in enumerate(NOISE)])
    return root


def test_bench_gaps_runs_and_caches_its_vectors(
    datasets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--datasets", str(datasets), "--data-dir", str(tmp_path / "cache"), "--scale", "30", "--tune"]
    assert bench_gaps.main(args) == 0
    first = capsys.readouterr().out
    assert "paraphrase groups: 4 (12 questions); noise: 6 questions from or_sharc" in first
    assert re.search(r"30 texts, 30 newly embedded", first)
    scores = [float(s) for s in re.findall(r"ARI (-?\d+\.\d+)", first)]
    assert scores and all(-1 <= s <= 1 for s in scores)
    assert re.search(r"clustering 30 questions: \d+\.\d s", first)
    assert bench_gaps.main(args) == 0
    assert "30 texts, 0 newly embedded" in capsys.readouterr().out  # the cache serves the re-run


def test_groups_are_faq_questions_with_their_paraphrases(datasets: Path) -> None:
    from eval.datasets import load_layout

    groups = bench_gaps.paraphrase_groups(load_layout(datasets / "covid_faq"))
    assert groups["can i pay with paypal?"] == [
        "Can I pay with PayPal?",
        "Do you accept PayPal?",
        "Is PayPal a payment option?",
    ]
    tune, test = bench_gaps.split_samples(groups, NOISE, seed=0)
    assert sorted(tune.texts + test.texts) == sorted([t for texts in groups.values() for t in texts] + NOISE)
    assert {g for g in tune.groups if g}.isdisjoint({g for g in test.groups if g})  # a group is in one half
