"""The retrieval benchmark end to end on the tiny data set: every retriever's metrics, refusals,
the goals, and full answers with the real local pipeline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from eval_fixture import write_dataset

from eval.bench_retrieval import main


@pytest.mark.slow
def test_benchmark_prints_every_retriever_refusals_and_full_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_dataset(tmp_path / "datasets" / "tiny")
    code = main(
        [
            "--datasets",
            str(tmp_path / "datasets"),
            "--sets",
            "tiny",
            "--data-dir",
            str(tmp_path / "cache"),
            "--answers",
            "3",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "== tiny: 6 questions (5 answerable with gold documents)" in out
    for retriever in ("bm25", "dense", "title", "hybrid", "llama-index", "llama-raw"):
        assert re.search(rf"^   {retriever} +(\d\.\d{{3}} +){{3}}\d\.\d{{3}}$", out, re.M), retriever
    assert re.search(r"refusals +refusal_rate_on_answerable \d\.\d{3} +precision", out)
    answers = re.search(r"full answer  3 questions: p50 +[\d.]+ ms  p95 +[\d.]+ ms  \((.+)\)", out)
    assert answers, out
    modes = dict(part.rsplit(" ", 1) for part in answers.group(1).split(", "))
    assert sum(int(n) for n in modes.values()) == 3 and set(modes) <= {"generated", "extractive", "refused"}
    assert "mean hit@5 gain over llama-index baseline" in out
