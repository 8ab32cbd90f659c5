"""Reports: the self-contained HTML page with its plots, the JSON, the terminal table, compare."""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from eval_fixture import fixed_answer
from rich.console import Console

from eval.compare import compare
from eval.kb import KBRef
from eval.report import print_comparison, print_summary, refusal_curve, write_reports
from eval.runner import RunResult, RunSpec, run
from ingest.config import Settings


class Page(HTMLParser):
    """Collects headings, chart elements and any reference to something outside the page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.svgs: list[dict[str, str | None]] = []
        self.external: list[str] = []
        self.rects = self.polylines = 0
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "h2":
            self._in_heading = True
            self.headings.append("")
        if tag == "svg":
            self.svgs.append(values)
        self.rects += tag == "rect"
        self.polylines += tag == "polyline"
        for name in ("src", "href"):
            if values.get(name) and not str(values[name]).startswith(("#", "data:")):
                self.external.append(f"{tag} {name}={values[name]}")
        if tag in ("script", "link"):
            self.external.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.headings[-1] += data


def fixture_run(dataset_dir: Path, settings: Settings) -> RunResult:
    return run(
        RunSpec(dataset=str(dataset_dir), arm="fixed"),
        settings,
        arm=lambda ctx: fixed_answer,
        kb_builder=lambda d, s, p: KBRef("fixture-kb", 1),
    )


def test_html_report_is_self_contained_with_plots(
    dataset_dir: Path, settings: Settings, tmp_path: Path
) -> None:
    result = fixture_run(dataset_dir, settings)
    paths = write_reports(result, tmp_path / "report")
    html = Path(paths["html"]).read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    assert page.headings == [
        "Summary",
        "Retrieval: hit@k",
        "Score distributions",
        "Refusal",
        "Latency",
        "Worst questions",
        "Configuration",
    ]
    classes = [svg.get("class") or "" for svg in page.svgs]
    assert "chart line" in classes[0]  # hit@k curve
    assert sum("histogram" in c for c in classes) >= 5  # score distributions + latency
    assert sum("line" in c.split() for c in classes) == 2  # hit@k + refusal threshold curve
    assert page.rects > 0 and page.polylines >= 5  # 1 hit@k series + 4 refusal series
    assert page.external == []
    latency = html[html.index('id="latency"') : html.index('id="worst-questions"')]
    assert "<td>retrieve</td>" in latency  # per-step timings from AnswerRecord.timings_ms (q1)
    worst = html[html.index('id="worst-questions"') : html.index('id="configuration"')]
    # Wrong first (q6, a false refusal), then by how badly gold documents were ranked: q5, q2.
    order = [worst.index(f"<b>{q}</b>") for q in ("q6", "q5", "q2")]
    assert order == sorted(order)
    assert "<b>q1</b>" not in worst and "<b>q4</b>" not in worst  # right, gold ranked first
    assert "所有产品享有两年保修" in worst  # retrieved passages are shown with their text
    assert json.loads(Path(paths["json"]).read_text(encoding="utf-8"))["summary"] == result.summary


def test_refusal_threshold_curve_by_hand(dataset_dir: Path, settings: Settings) -> None:
    rows = fixture_run(dataset_dir, settings).rows
    curve = {round(p["threshold"], 2): p for p in refusal_curve(rows, steps=20)}
    # refusal probabilities: q1 .1 q2 .2 q3 .3 q4 .9 (should refuse) q5 .4 q6 .6
    assert curve[0.5]["precision"] == 0.5 and curve[0.5]["recall"] == 1.0  # refuses q4, q6
    assert curve[0.65] == {
        "threshold": 0.65,
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
        "false_refusal_rate": 0.0,
    }
    assert curve[0.95]["recall"] == 0.0 and curve[0.95]["precision"] is None
    assert curve[0.0]["false_refusal_rate"] == 1.0


def test_terminal_summary_lists_metrics(dataset_dir: Path, settings: Settings) -> None:
    console = Console(record=True, width=140)
    print_summary(fixture_run(dataset_dir, settings), console)
    text = console.export_text()
    for expected in ("hit@5", "refusal_f1", "id_based_context_recall", "latency_p95_ms", "575 ms", "0.777"):
        assert expected in text


def test_compare_reports_deltas_and_flips(dataset_dir: Path, settings: Settings) -> None:
    a = fixture_run(dataset_dir, settings)
    b = copy.deepcopy(a)
    q2 = next(r for r in b.rows if r["id"] == "q2")
    q2["scores"].update({"hit@5": 0.0, "correct": False})
    q6 = next(r for r in b.rows if r["id"] == "q6")
    q6["scores"]["correct"] = True
    b.summary["metrics"]["hit@5"] = 0.8
    b.summary["metrics"]["latency_p95_ms"] = 500.0
    result = compare(a, b)
    deltas = {d.metric: d for d in result.deltas}
    assert deltas["hit@5"].delta == pytest.approx(-0.2) and deltas["hit@5"].improved is False
    assert deltas["latency_p95_ms"].improved is True  # lower is better
    assert deltas["mrr@10"].improved is None
    assert [f.question_id for f in result.lost("hit@5")] == ["q2"]
    assert [f.question_id for f in result.lost("correct")] == ["q2"]
    assert [f.question_id for f in result.gained("correct")] == ["q6"]
    assert result.common_questions == 6
    console = Console(record=True, width=120)
    print_comparison(result, console)
    assert "1 gained, 1 lost" in console.export_text()
