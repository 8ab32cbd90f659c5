"""The help-centre benchmark: its files in every ingested format, its questions and split, and a
smoke run through `kefu eval` (one help centre ingested, a handful of questions answered by
kefu's retrieval arm and scored)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from eval_fixture import eval_cli
from typer.testing import CliRunner

from eval.datasets import DatasetError, load
from eval.facts import key_fact, mentions
from eval.helpcentres.build import CENTRES, build_centre
from eval.helpcentres.dataset import (
    QUESTION_TYPES,
    load_helpcentres,
    load_questions,
    split_of,
    validate_items,
)
from eval.record import run_store
from ingest.config import get_settings
from ingest.parsing.registry import extensions, parse_file

FORMATS = {".md", ".html", ".txt", ".docx", ".pdf", ".csv", ".xlsx"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("helpcentres")
    for centre in CENTRES:
        build_centre(centre, out)
    return out


def test_every_format_in_both_languages_and_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    files = sorted(p for p in built.rglob("*") if p.is_file())
    for lang in ("en", "zh"):
        assert {p.suffix for p in files if p.parent.name == lang} == FORMATS, lang
    assert FORMATS <= set(extensions())  # only formats kefu ingests
    again = build_centre("carrier", tmp_path)
    for path in sorted(p for p in again.rglob("*") if p.is_file()):
        assert path.read_bytes() == (built / "carrier" / path.relative_to(again)).read_bytes(), path


def test_every_file_parses_in_its_language(built: Path) -> None:
    for path in sorted(p for p in built.rglob("*") if p.is_file()):
        document = parse_file(path, max_bytes=10_000_000)
        assert document.lang == path.parent.name, path
        if path.name == "faq.xlsx":  # FAQ sheets with a similar-questions column
            assert document.file_type == "faq-xlsx"
            assert all(section.question and section.similar_questions for section in document.sections), path
    pdf = parse_file(built / "carrier" / "zh" / "cancellation-policy-2024.pdf", max_bytes=10_000_000)
    assert "提前14天" in pdf.sections[0].text and pdf.title == "取消合约政策（2024年版）"


def test_questions_cover_every_type_centre_and_split() -> None:
    items = [item for centre in CENTRES for item in load_questions(centre)]
    assert len(items) >= 250
    splits = split_of(items)
    assert split_of(list(reversed(items))) == splits  # order does not matter
    for centre in CENTRES:
        for qtype in QUESTION_TYPES:
            halves = Counter(
                splits[i.id] for i in items if i.meta["centre"] == centre and i.meta["type"] == qtype
            )
            assert halves["tune"] >= 3 and halves["heldout"] >= 2, (centre, qtype)
            assert abs(halves["tune"] - halves["heldout"]) <= 1, (centre, qtype)
    crosslang = Counter(i.meta["lang"] for i in items if i.meta["type"] == "crosslang")
    assert crosslang["en"] >= 15 and crosslang["zh"] >= 15
    for item in items:
        if item.answerable:  # the gold passages hold every key fact
            passages = "\n".join(item.meta["gold_passages"])
            for fact in item.meta["key_facts"]:
                assert key_fact(fact).kind == "yes_no" or mentions(passages, fact), (item.id, fact)


def test_help_centre_records_are_validated(tmp_path: Path) -> None:
    item = load_questions("shop")[0]
    item.meta = {**item.meta, "type": "riddle"}
    with pytest.raises(DatasetError, match=r"question shop-001: meta: field type"):
        validate_items([item], "shop", tmp_path / "shop.jsonl")
    item.meta = {**item.meta, "type": "plain", "key_facts": "60 days"}
    with pytest.raises(DatasetError, match=r"field key_facts"):
        validate_items([item], "shop", tmp_path / "shop.jsonl")
    with pytest.raises(DatasetError, match="unknown split"):
        load_helpcentres("helpcentres/shop", split="test", out_dir=tmp_path)


def test_named_data_set_and_split(tmp_path: Path) -> None:
    whole = load("helpcentres", corpus_dir=tmp_path)
    held = load("helpcentres/saas", split="heldout", corpus_dir=tmp_path)
    assert len(whole.items) >= 250 and {i.meta["centre"] for i in held.items} == {"saas"}
    assert {i.meta["split"] for i in held.items} == {"heldout"}
    assert {p.parent.parent.name for p in held.corpus_dir.rglob("*.pdf")} == {"saas"}
    assert all(g.startswith("saas/") for i in held.items for g in i.gold_doc_ids)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KEFU_JUDGE_MODEL", raising=False)
    yield from eval_cli(monkeypatch)


def test_kefu_eval_runs_a_help_centre_and_scores_its_answers(cli: typer.Typer, tmp_path: Path) -> None:
    """One help centre ingested from its files; five held-out questions through kefu's retrieval
    arm (no model writes: extractive answers), scored per question type."""
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            "run",
            "--dataset",
            "helpcentres/shop",
            "--split",
            "heldout",
            "--arm",
            "retrieval",
            "--limit",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "per question type" in result.output and "wrong fact" in result.output
    report = json.loads(Path(result.output.split("results: ")[1].split()[0]).read_text())
    assert report["dataset"]["split"] == "heldout" and report["dataset"]["questions"] == 5
    assert "by_type" in report["summary"] and report["summary"]["metrics"]["wrong_fact_rate"] is not None
    for row in report["rows"]:
        assert row["error"] is None and row["meta"]["centre"] == "shop"
        assert {"wrong_fact", "sentences", "irrelevant_sentences"} <= set(row["scores"])
        assert row["scores"]["hit@10"] is not None  # the gold ids are the ingested files' sources


def test_a_malformed_set_fails_before_anything_runs(cli: typer.Typer, tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text(json.dumps({"id": "1", "title": "t", "text": "30 days."}) + "\n")
    good = {"id": "a", "question": "How long?", "answer": "30 days", "gold_doc_ids": ["1"]}
    bad = {**good, "id": "b", "answer": ["30 days", "thirty days"]}
    (folder / "questions.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    result = CliRunner().invoke(cli, ["eval", "run", "--dataset", str(folder), "--arm", "retrieval"])
    assert result.exit_code != 0
    assert "questions.jsonl:2:fieldanswer:" in "".join(result.output.split())  # rich wraps lines
    assert run_store(get_settings()).list(limit=5) == []  # nothing was run or stored
