"""Data-set loading: the shared layout, golden sets (CSV and JSONL), selection."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ingest.config import get_settings
from eval.datasets import DatasetError, EvalItem, load, select, selection_hash


def test_layout_folder(dataset_dir: Path) -> None:
    dataset = load(dataset_dir)
    assert dataset.name == "tiny"
    assert [d.id for d in dataset.corpus] == ["A", "B", "C"]
    assert [i.id for i in dataset.items] == ["q1", "q2", "q3", "q4", "q5", "q6"]
    q2 = dataset.items[1]
    assert q2.history[0] == {"role": "user", "content": "I need express shipping."}
    assert dataset.items[3].answerable is False and dataset.items[3].gold_doc_ids == []
    assert dataset.items[0].aliases == [["30 days", "thirty days"]]
    assert len(dataset.content_hash) == 64 and len(dataset.corpus_hash) == 64


def test_corpus_hash_ignores_questions(dataset_dir: Path) -> None:
    before = load(dataset_dir)
    with (dataset_dir / "questions.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "q7", "question": "extra?", "answerable": False}) + "\n")
    after = load(dataset_dir)
    assert after.corpus_hash == before.corpus_hash
    assert after.content_hash != before.content_hash


def test_scenario_is_said_before_the_question(tmp_path: Path) -> None:
    folder = tmp_path / "sharc"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text(json.dumps({"id": "1", "title": "", "text": "rule"}) + "\n")
    (folder / "questions.jsonl").write_text(
        json.dumps(
            {
                "id": "x",
                "question": "Can I apply?",
                "answer": "Yes",
                "answer_aliases": [["Yes"]],
                "gold_doc_ids": ["1"],
                "answerable": True,
                "history": [],
                "scenario": "I am over 65.",
                "meta": {},
            }
        )
        + "\n"
    )
    assert load(folder).items[0].prompt == "I am over 65. Can I apply?"


def test_name_resolves_inside_the_datasets_folder(dataset_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_DATASETS", str(dataset_dir.parent))
    get_settings.cache_clear()
    try:
        assert load("tiny").path == dataset_dir.parent / "tiny"
        with pytest.raises(DatasetError, match="no data set"):
            load("missing-set")
    finally:
        get_settings.cache_clear()


def test_bad_rows_are_reported_with_their_place(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text('{"id": "1", "title": "t", "text": "x"}\n')
    (folder / "questions.jsonl").write_text('{"id": "a", "question": "q", "gold_doc_ids": ["9"]}\n')
    with pytest.raises(DatasetError, match="unknown documents"):
        load(folder)
    (folder / "questions.jsonl").write_text("{not json\n")
    with pytest.raises(DatasetError, match=r"questions.jsonl:1"):
        load(folder)


def test_golden_csv_with_corpus_folder(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "returns.md").write_text("# Returns\n\n30 days.\n")
    path = tmp_path / "golden.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "reference_answer", "expected_sources", "answerable", "history"])
        writer.writerow(["How long to return?", "30 days", "returns.md|faq.md", "true", ""])
        writer.writerow(
            [
                "And gift cards?",
                "",
                "",
                "false",
                json.dumps([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]),
            ]
        )
    dataset = load(path)
    assert dataset.corpus_dir == tmp_path / "corpus"
    first, second = dataset.items
    assert (first.id, first.gold_doc_ids, first.answerable, first.answer) == (
        "golden-1",
        ["returns.md", "faq.md"],
        True,
        "30 days",
    )
    assert (second.answerable, second.gold_doc_ids, len(second.history)) == (False, [], 2)
    assert len(dataset.corpus_hash) == 64


def test_golden_jsonl_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "g",
                "question": "Q?",
                "reference_answer": "A",
                "expected_sources": "a.md",
                "answerable": "yes",
                "history": [],
                "answer_aliases": [["A"]],
            }
        )
        + "\n"
    )
    item = load(path).items[0]
    assert (item.id, item.gold_doc_ids, item.answerable, item.aliases) == ("g", ["a.md"], True, [["A"]])
    path.write_text(json.dumps({"question": "Q?", "answerable": "maybe"}) + "\n")
    with pytest.raises(DatasetError, match=r"golden.jsonl:1: answerable"):
        load(path)
    path.write_text(json.dumps({"question": "Q?", "history": '[{"role": 1}]'}) + "\n")
    with pytest.raises(DatasetError, match="history"):
        load(path)
    path.write_text(json.dumps({"question": "Q?"}) + "\n")
    with pytest.raises(DatasetError, match="corpus folder"):
        load(path, corpus_dir=tmp_path / "nope")


def test_select_only_sample_limit(dataset_dir: Path) -> None:
    items = load(dataset_dir).items
    assert [i.id for i in select(items, only="unanswerable")] == ["q4"]
    assert len(select(items, only="answerable")) == 5
    sampled = select(items, sample=3, seed=7)
    assert len(sampled) == 3
    assert [i.id for i in sampled] == [i.id for i in items if i in sampled]  # data-set order kept
    assert [i.id for i in select(items, sample=3, seed=7)] == [i.id for i in sampled]  # seeded
    assert [i.id for i in select(items, limit=2)] == ["q1", "q2"]
    assert [i.id for i in select(items, only="answerable", limit=1)] == ["q1"]
    assert selection_hash(sampled) != selection_hash(items)


def _item(n: int, answerable: bool, turns: int = 0) -> EvalItem:
    history = [{"role": "user", "content": "earlier"}] * turns
    return EvalItem(f"q{n}", f"question {n}?", "a", [], [] if not answerable else ["A"], answerable, history)


def test_sample_is_stratified() -> None:
    # 90 answerable single-turn, 6 answerable multi-turn, 4 unanswerable (4 %).
    items = (
        [_item(n, True) for n in range(90)]
        + [_item(90 + n, True, 1) for n in range(6)]
        + [_item(96 + n, False) for n in range(4)]
    )
    sampled = select(items, sample=10, seed=3)
    assert len(sampled) == 10
    # 9 / 0.6 / 0.4 by proportion; each stratum keeps at least one, taken from the largest.
    assert sum(not i.answerable for i in sampled) == 1
    assert sum(bool(i.history) for i in sampled) == 1
    assert sum(i.answerable and not i.history for i in sampled) == 8
    sampled = select(items, sample=50, seed=3)
    assert (sum(not i.answerable for i in sampled), sum(bool(i.history) for i in sampled)) == (2, 3)
    assert select(items, sample=50, seed=3) == sampled and select(items, sample=50, seed=4) != sampled
    assert [i.id for i in sampled] == sorted((i.id for i in sampled), key=lambda x: int(x[1:]))
    # Fewer places than strata: the largest remainders win, the size is kept.
    assert len(select(items, sample=2, seed=0)) == 2


SHARED = get_settings().eval.datasets_dir


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared data sets not at {SHARED}")
@pytest.mark.parametrize("name", ["cmrc2018", "covid_faq", "or_sharc"])
def test_shared_data_sets_load(name: str) -> None:
    dataset = load(name)
    assert dataset.items and dataset.corpus
    assert all(item.answerable or not item.gold_doc_ids for item in dataset.items)


def _layout(folder: Path, questions: list[object], corpus: list[object] | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    rows = corpus if corpus is not None else [{"id": "1", "title": "t", "text": "Returns within 30 days."}]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    return folder


GOOD = {
    "id": "a",
    "question": "How long?",
    "answer": "30 days",
    "answer_aliases": [["30 days"]],
    "gold_doc_ids": ["1"],
    "answerable": True,
    "history": [],
    "meta": {},
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"answer": ["30 days"]}, "field answer"),  # a list where a string belongs
        ({"answer_aliases": ["30 days"]}, "field answer_aliases.0"),  # a group that is not a list
        ({"answer_aliases": [[30]]}, "field answer_aliases.0.0"),
        ({"question": ""}, "field question"),
        ({"answerable": "yes"}, "field answerable"),
        ({"history": [{"role": "customer", "content": "hi"}]}, "field history.0.role"),
        ({"history": [{"role": "user"}]}, "field history.0.content"),
        ({"gold_doc_ids": "1"}, "field gold_doc_ids"),
        ({"meta": []}, "field meta"),
        ({"answer_alias": [["x"]]}, "field answer_alias: Extra inputs are not permitted"),
    ],
)
def test_every_question_field_is_validated_on_load(tmp_path: Path, change: dict, field: str) -> None:
    folder = _layout(tmp_path / "set", [GOOD, {**GOOD, "id": "b", **change}])
    with pytest.raises(DatasetError) as error:
        load(folder)
    assert f"questions.jsonl:2: {field}" in str(error.value)


def test_corpus_rows_and_ids_are_validated(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"corpus.jsonl:1: field text"):
        load(_layout(tmp_path / "c1", [GOOD], corpus=[{"id": "1", "text": ["not", "a string"]}]))
    with pytest.raises(DatasetError, match=r"corpus.jsonl:1: expected a JSON object"):
        load(_layout(tmp_path / "c2", [GOOD], corpus=[["1", "text"]]))
    with pytest.raises(DatasetError, match=r"questions.jsonl:2: id 'a' already used on line 1"):
        load(_layout(tmp_path / "c3", [GOOD, GOOD]))


def test_golden_rows_are_validated_like_the_layout(tmp_path: Path) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text(json.dumps({"question": ["Q?"]}) + "\n")
    with pytest.raises(DatasetError, match=r"golden.jsonl:1: field question"):
        load(path)
    path.write_text(json.dumps({"question": "Q?", "answer_aliases": [["ok"], "bad"]}) + "\n")
    with pytest.raises(DatasetError, match=r"golden.jsonl:1: field answer_aliases.1"):
        load(path)


def test_split_of_a_layout_set(tmp_path: Path) -> None:
    folder = _layout(
        tmp_path / "s",
        [{**GOOD, "meta": {"split": "tune"}}, {**GOOD, "id": "b", "meta": {"split": "heldout"}}],
    )
    assert [i.id for i in load(folder, split="heldout").items] == ["b"]
    with pytest.raises(DatasetError, match="no split 'test'"):
        load(folder, split="test")
