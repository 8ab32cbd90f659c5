"""Real components: the data-set knowledge base (ingest, cached by corpus hash) and the arms that
answer from it (kefu's retrieval, the llama-index baseline). Embeds a handful of passages."""

from __future__ import annotations

import json
from pathlib import Path

from eval.datasets import load
from eval.kb import build_dataset_kb, kb_name
from eval.runner import RunSpec, run
from ingest.config import Settings
from ingest.db import open_database
from ingest.registry import get_kb, list_documents


def test_dataset_kb_is_built_once_per_corpus(dataset_dir: Path, settings: Settings) -> None:
    dataset = load(dataset_dir)
    first = build_dataset_kb(dataset, settings)
    assert first.name == kb_name(dataset, settings) and first.name.startswith("eval-tiny-")
    assert (first.version, first.reused, first.failed_documents) == (1, False, 0)
    with open_database(settings.sql_url).session() as session:
        docs = list_documents(session, get_kb(session, first.name))
        assert sorted(d.source for d in docs) == ["A", "B", "C"]
        assert {d.source: d.lang for d in docs} == {"A": "en", "B": "en", "C": "zh"}
    again = build_dataset_kb(load(dataset_dir), settings)
    assert (again.name, again.version, again.reused) == (first.name, 1, True)

    with (dataset_dir / "corpus.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(
            json.dumps({"id": "D", "title": "Gift cards", "text": "We do not sell gift cards."}) + "\n"
        )
    changed = build_dataset_kb(load(dataset_dir), settings)
    assert changed.name != first.name and not changed.reused


def test_retrieval_and_baseline_arms_answer_from_the_corpus(dataset_dir: Path, settings: Settings) -> None:
    results = {
        arm: run(RunSpec(dataset=str(dataset_dir), arm=arm), settings) for arm in ("retrieval", "baseline")
    }
    for arm, result in results.items():
        rows = {r["id"]: r for r in result.rows}
        assert all(r["error"] is None for r in result.rows), arm
        # Only three documents: every gold one is within the top 3 (a sanity check of ids, not of quality).
        assert result.summary["metrics"]["hit@3"] == 1.0, arm
        assert rows["q1"]["passages"][0]["doc_id"] == "A", arm  # "return a product" -> returns policy
        assert rows["q3"]["passages"][0]["doc_id"] == "C", arm  # Chinese question -> Chinese document
        assert rows["q1"]["answer"] and rows["q1"]["scores"]["citation_valid"] is True, arm
        assert result.summary["counts"]["refused"] == 0  # neither arm decides to refuse
    assert results["baseline"].kb["reused"] is True  # built by the first run, reused by the second


def test_golden_set_with_a_corpus_folder(tmp_path: Path, settings: Settings) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "returns.md").write_text(
        "# Returns\n\nYou can return any product within 30 days of purchase.\n"
    )
    (corpus / "shipping.md").write_text(
        "# Shipping\n\nExpress shipping costs 15 dollars and arrives next day.\n"
    )
    golden = tmp_path / "golden.jsonl"
    golden.write_text(
        json.dumps(
            {
                "id": "g1",
                "question": "How long do I have to return something?",
                "reference_answer": "30 days",
                "expected_sources": "returns.md",
                "answerable": True,
                "history": [],
                "answer_aliases": [["30 days"]],
            }
        )
        + "\n"
    )
    result = run(RunSpec(dataset=str(golden), arm="retrieval"), settings)
    row = result.rows[0]
    assert row["passages"][0]["doc_id"] == "returns.md"
    assert row["scores"]["hit@1"] == 1.0 and row["scores"]["answer_match"] is True
    # The gold text for the NonLLM context metrics comes from the KB's chunks of returns.md.
    assert row["scores"]["non_llm_context_recall"] == 1.0
