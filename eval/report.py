"""Run reports: results JSON, a self-contained HTML page (inline SVG plots), a terminal summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from eval.compare import Comparison
from eval.metrics import HIT_KS, doc_ranking, hit_at_k, percentile, refusal_scores
from eval.runner import RunResult
from eval.scoring import LOWER_IS_BETTER
from eval.svg import histogram, line_chart

if TYPE_CHECKING:
    from eval.replay import ReplayReply, ReplayResult, ReplayTurn

WORST = 25
SNIPPET_CHARS = 360
# Per-question scores in [0, 1] whose distribution is worth a histogram, in display order.
DISTRIBUTIONS = (
    "ndcg@10",
    "mrr@10",
    "id_based_context_recall",
    "id_based_context_precision",
    "non_llm_context_recall",
    "non_llm_context_precision_with_reference",
    "non_llm_string_similarity",
    "rouge_score",
    "faithfulness",
    "answer_relevancy",
    "llm_context_precision_with_reference",
    "llm_context_recall",
    "factual_correctness",
)
# Summary sections: (heading, metric names).
GROUPS = (
    ("Retrieval", tuple(f"hit@{k}" for k in HIT_KS) + ("mrr@10", "ndcg@10")),
    (
        "Answers",
        (
            "correct",
            "answer_match",
            "exact_match",
            "citation_valid",
            "citation_rate",
            "answer_correct",
            "wrong_fact_rate",
            "irrelevant_sentence_rate",
        ),
    ),
    (
        "Refusal",
        (
            "refusal_precision",
            "refusal_recall",
            "refusal_f1",
            "refusal_balanced_accuracy",
            "false_refusal_rate",
        ),
    ),
    (
        "Ragas (no LLM)",
        (
            "id_based_context_recall",
            "id_based_context_precision",
            "non_llm_context_recall",
            "non_llm_context_precision_with_reference",
            "non_llm_string_similarity",
            "rouge_score",
        ),
    ),
    (
        "Ragas (LLM judge)",
        (
            "faithfulness",
            "answer_relevancy",
            "llm_context_precision_with_reference",
            "llm_context_recall",
            "factual_correctness",
            "judge_error_rate",
        ),
    ),
    ("Latency", ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "latency_mean_ms", "error_rate")),
)


def fmt(value: Any, metric: str = "") -> str:
    if value is None:
        return "n/a"
    if metric.endswith("_ms"):
        return f"{value:.0f} ms"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def write_json(run: RunResult, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(run.to_dict(), ensure_ascii=False, indent=1, allow_nan=False), encoding="utf-8"
    )
    return path


def write_reports(run: RunResult, out_dir: Path) -> dict[str, str]:
    """results.json and report.html in out_dir; returns their paths (also set on run)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / "report.html"
    json_path = out_dir / "results.json"
    run.report_paths = {"json": str(json_path.resolve()), "html": str(html_path.resolve())}
    html_path.write_text(render_html(run), encoding="utf-8")
    write_json(run, json_path)
    return run.report_paths


# -- terminal ----------------------------------------------------------------------------------


def print_summary(run: RunResult, console: Console) -> None:
    metrics = run.summary["metrics"]
    counts = run.summary["counts"]
    title = (
        f"run {run.id if run.id is not None else '-'} · {run.dataset['name']} · arm {run.spec.get('arm')} · "
        f"{counts['questions']} questions · kb {run.kb['name']} v{run.kb['version']}"
    )
    table = Table(title=title, show_lines=False)
    table.add_column("group")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for heading, names in GROUPS:
        present = [n for n in names if n in metrics]
        for i, name in enumerate(present):
            table.add_row(heading if i == 0 else "", name, fmt(metrics[name], name))
    console.print(table)
    modes = ", ".join(f"{mode} {n}" for mode, n in sorted(run.summary["modes"].items()))
    console.print(
        f"answerable {counts['answerable']} · unanswerable {counts['unanswerable']} · "
        f"with history {counts['with_history']} · errors {counts['errors']} · modes: {modes}"
        + (f" · judge: {run.judge}" if run.judge else "")
    )
    print_breakdowns(run.summary, console)


BREAKDOWN_COLUMNS = (
    ("questions", "n"),
    ("answerable", "ans"),
    ("answer_correct", "correct"),
    ("wrong_fact_rate", "wrong fact"),
    ("false_refusal_rate", "false refusal"),
    ("refusal_recall", "refusal recall"),
    ("irrelevant_sentence_rate", "irrelevant sent."),
    ("hit@5", "hit@5"),
)


def breakdown_table(title: str, groups: dict[str, dict[str, Any]], order: Sequence[str] = ()) -> Table:
    """One row per question type or help centre (eval.scoring.breakdown), plus the total when given
    as the group "all"."""
    table = Table(title=title)
    table.add_column("")
    for _, label in BREAKDOWN_COLUMNS:
        table.add_column(label, justify="right")
    names = [n for n in order if n in groups] + sorted(n for n in groups if n not in order)
    for name in names:
        table.add_row(name, *(fmt(groups[name].get(key), key) for key, _ in BREAKDOWN_COLUMNS))
    return table


def print_breakdowns(summary: dict[str, Any], console: Console) -> None:
    from eval.helpcentres.dataset import QUESTION_TYPES

    if "by_type" in summary:
        console.print(breakdown_table("per question type", summary["by_type"], QUESTION_TYPES))
    if "by_centre" in summary:
        console.print(breakdown_table("per help centre", summary["by_centre"]))


def print_comparison(comparison: Comparison, console: Console) -> None:
    table = Table(title=f"run {comparison.a_id} → run {comparison.b_id}")
    for column in ("metric", "A", "B", "Δ"):
        table.add_column(column, justify="right" if column != "metric" else "left")
    for d in comparison.deltas:
        if d.a is None and d.b is None:
            continue
        style = {True: "green", False: "red", None: ""}[d.improved]
        delta = (
            "n/a"
            if d.delta is None
            else f"{d.delta:+.3f}"
            if not d.metric.endswith("_ms")
            else f"{d.delta:+.0f}"
        )
        table.add_row(
            d.metric, fmt(d.a, d.metric), fmt(d.b, d.metric), f"[{style}]{delta}[/]" if style else delta
        )
    console.print(table)
    console.print(f"{comparison.common_questions} questions in both runs")
    for metric in ("hit@5", "correct"):
        gained, lost = comparison.gained(metric), comparison.lost(metric)
        console.print(f"[bold]{metric}[/]: {len(gained)} gained, {len(lost)} lost")
        for flip in lost[:20]:
            console.print(f"  [red]-[/] {flip.question_id}: {flip.question[:100]}")
        for flip in gained[:20]:
            console.print(f"  [green]+[/] {flip.question_id}: {flip.question[:100]}")


# -- HTML ----------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",sans-serif;margin:24px auto;max-width:1120px;color:#111;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:12px}.grid figure{margin:0}
.metrics{display:flex;flex-wrap:wrap;gap:16px}.metrics table{min-width:250px}
.q{border:1px solid #ddd;border-radius:6px;padding:8px 12px;margin:10px 0}.q summary{cursor:pointer}
.bad{color:#b91c1c;font-weight:600}.good{color:#15803d;font-weight:600}.muted{color:#6b7280}
.gold{background:#dcfce7}td.doc{white-space:nowrap}pre{white-space:pre-wrap;margin:4px 0;font-family:inherit}
"""


def _metric_tables(metrics: dict[str, Any]) -> str:
    parts = ['<div class="metrics">']
    for heading, names in GROUPS:
        present = [n for n in names if n in metrics]
        if not present:
            continue
        rows = "".join(
            f'<tr><td>{escape(n)}</td><td class="num">{escape(fmt(metrics[n], n))}</td></tr>' for n in present
        )
        parts.append(f"<table><tr><th colspan=2>{escape(heading)}</th></tr>{rows}</table>")
    parts.append("</div>")
    return "".join(parts)


def _figure(svg: str) -> str:
    return f"<figure>{svg}</figure>"


def _hit_curve(run: RunResult) -> str:
    rows = [r for r in run.rows if r["scores"].get("hit@1") is not None]
    if not rows:
        return '<p class="muted">No answerable questions with gold documents: nothing to plot.</p>'
    ks = range(1, 11)
    rankings = [(doc_ranking(p["doc_id"] for p in r["passages"]), set(r["gold_doc_ids"])) for r in rows]
    points = [
        (float(k), sum(hit_at_k(ranking, gold, k) for ranking, gold in rankings) / len(rows)) for k in ks
    ]
    return _figure(
        line_chart(
            f"hit@k ({len(rows)} questions)",
            {"hit@k": points},
            x_label="k",
            y_label="share with a gold document in the top k",
            x_ticks=list(ks),
        )
    )


def _distributions(run: RunResult) -> str:
    figures = []
    for name in DISTRIBUTIONS:
        values = [float(r["scores"][name]) for r in run.rows if r["scores"].get(name) is not None]
        if values:
            figures.append(
                _figure(histogram(f"{name} (n={len(values)})", values, x_label=name, x_range=(0, 1)))
            )
    if not figures:
        return '<p class="muted">No per-question scores to plot.</p>'
    return f'<div class="grid">{"".join(figures)}</div>'


def refusal_curve(rows: list[dict[str, Any]], steps: int = 20) -> list[dict[str, float | None]]:
    """Refusal scores if questions were refused when refusal_probability >= threshold."""
    usable = [r for r in rows if r.get("refusal_probability") is not None and not r.get("error")]
    curve = []
    for i in range(steps + 1):
        threshold = i / steps
        scores = refusal_scores(
            [not r["answerable"] for r in usable], [r["refusal_probability"] >= threshold for r in usable]
        )
        curve.append(
            {
                "threshold": threshold,
                "precision": scores.precision,
                "recall": scores.recall,
                "f1": scores.f1,
                "false_refusal_rate": scores.false_refusal_rate,
            }
        )
    return curve


def _refusal(run: RunResult) -> str:
    counts = run.summary["counts"]
    confusion = (
        "<table><tr><th></th><th>refused</th><th>answered</th></tr>"
        f'<tr><th>should refuse</th><td class="num">{counts["refusal_tp"]}</td><td class="num">{counts["refusal_fn"]}</td></tr>'
        f'<tr><th>answerable</th><td class="num">{counts["refusal_fp"]}</td><td class="num">{counts["refusal_tn"]}</td></tr></table>'
    )
    if not any(r.get("refusal_probability") is not None for r in run.rows):
        return confusion + (
            '<p class="muted">Refusal threshold curve not available: the answer function gives no '
            "refusal_probability.</p>"
        )
    curve = refusal_curve(run.rows)
    series = {
        name: [
            (threshold, value)
            for p in curve
            if (threshold := p["threshold"]) is not None and (value := p[name]) is not None
        ]
        for name in ("precision", "recall", "f1", "false_refusal_rate")
    }
    chart = line_chart(
        "refusal vs threshold on refusal_probability",
        series,
        x_label="refuse when refusal_probability ≥ threshold",
        y_label="score",
    )
    return confusion + _figure(chart)


def _step_timings(rows: list[dict[str, Any]]) -> str:
    """Per pipeline step (AnswerRecord.timings_ms): questions that ran it, p50 and p95."""
    steps: dict[str, list[float]] = {}
    for row in rows:
        for step, ms in row["timings_ms"].items():
            steps.setdefault(step, []).append(float(ms))
    if not steps:
        return ""
    body = "".join(
        f'<tr><td>{escape(step)}</td><td class="num">{len(v)}</td>'
        f'<td class="num">{fmt(percentile(v, 50), "_ms")}</td><td class="num">{fmt(percentile(v, 95), "_ms")}</td></tr>'
        for step, v in steps.items()
    )
    return f"<table><tr><th>step</th><th>questions</th><th>p50</th><th>p95</th></tr>{body}</table>"


def _latency(run: RunResult) -> str:
    answered = [r for r in run.rows if not r.get("error")]
    if not answered:
        return '<p class="muted">No answered questions.</p>'
    values = [r["latency_ms"] for r in answered]
    chart = histogram(
        f"latency per question (n={len(values)})", values, x_label="ms", bins=20, x_range=(0, max(values))
    )
    return _figure(chart) + _step_timings(answered)


def badness(row: dict[str, Any]) -> tuple[bool, bool, float]:
    """Sort key, worst first when reversed: failed, then wrong, then poor ranking of gold documents."""
    scores = row["scores"]
    ndcg = scores.get("ndcg@10")
    return (bool(row.get("error")), scores.get("correct") is False, 1.0 - ndcg if ndcg is not None else 0.0)


OPEN_WORST = 5  # the first few are shown expanded, the rest one line each


def _question(row: dict[str, Any], *, open_: bool = False) -> str:
    scores = row["scores"]
    gold = set(row["gold_doc_ids"])
    badges = []
    for name in ("correct", "hit@5"):
        value = scores.get(name)
        if value is not None:
            badges.append(
                f'<span class="{"good" if value else "bad"}">{escape(name)}: {"yes" if value else "no"}</span>'
            )
    if row.get("error"):
        badges.append(f'<span class="bad">error: {escape(row["error"])}</span>')
    history = "".join(
        f"<div><b>{escape(t['role'])}:</b> {escape(t['content'])}</div>" for t in row["history"]
    )
    passages = "".join(
        f'<tr class="{"gold" if p["doc_id"] in gold else ""}"><td class="num">{i}</td>'
        f'<td class="doc">{escape(str(p["doc_id"]))}</td><td class="num">{p.get("score", 0):.3f}</td>'
        f"<td>{escape(p['text'][:SNIPPET_CHARS])}{'…' if len(p['text']) > SNIPPET_CHARS else ''}</td></tr>"
        for i, p in enumerate(row["passages"], 1)
    )
    judge_errors = "".join(
        f'<div class="bad">judge {escape(k)}: {escape(v)}</div>'
        for k, v in (row.get("judge_errors") or {}).items()
    )
    return (
        f'<details class="q"{" open" if open_ else ""}><summary><b>{escape(row["id"])}</b> {" · ".join(badges)} — '
        f"{escape(row['question'][:160])}</summary>"
        + (f'<div class="muted">history</div>{history}' if history else "")
        + f"<div><b>reference:</b> {escape(row['reference'])}</div>"
        f"<div><b>answer</b> ({escape(row['mode'])}):<pre>{escape(row['answer'])}</pre></div>"
        f"<div><b>gold:</b> {escape(', '.join(row['gold_doc_ids']) or 'none (should refuse)')}</div>"
        f"{judge_errors}"
        + (
            f"<table><tr><th>#</th><th>doc</th><th>score</th><th>passage</th></tr>{passages}</table>"
            if passages
            else ""
        )
        + "</details>"
    )


def _worst(run: RunResult) -> str:
    ranked = sorted(run.rows, key=badness, reverse=True)
    worst = [r for r in ranked if any(badness(r))][:WORST]
    if not worst:
        return (
            '<p class="good">Every question was answered correctly with its gold document ranked first.</p>'
        )
    return "".join(_question(r, open_=i < OPEN_WORST) for i, r in enumerate(worst))


def _config(run: RunResult) -> str:
    items = {
        "dataset": run.dataset,
        "knowledge base": run.kb,
        "judge": run.judge or "none",
        "run options": run.spec,
        "settings": run.config,
        "created": run.created_at,
        "duration (s)": run.duration_s,
    }
    return (
        "<table>"
        + "".join(
            f"<tr><th>{escape(k)}</th><td><pre>{escape(json.dumps(v, ensure_ascii=False, indent=1) if not isinstance(v, str) else v)}</pre></td></tr>"
            for k, v in items.items()
        )
        + "</table>"
    )


def render_html(run: RunResult) -> str:
    counts = run.summary["counts"]
    title = f"kefu eval — {run.dataset['name']} ({run.spec.get('arm')})"
    lower = ", ".join(sorted(m for m in LOWER_IS_BETTER if m in run.summary["metrics"]))
    sections = [
        (
            "Summary",
            f"<p>{counts['questions']} questions ({counts['answerable']} answerable, {counts['unanswerable']} "
            f"unanswerable, {counts['with_history']} multi-turn), {counts['errors']} errors. "
            f"Modes: {escape(', '.join(f'{k} {v}' for k, v in sorted(run.summary['modes'].items())))}. "
            f"Judge: {escape(run.judge or 'none (LLM-judged metrics not computed)')}. "
            f'<span class="muted">Lower is better for: {escape(lower)}.</span></p>'
            + _metric_tables(run.summary["metrics"]),
        ),
        ("Retrieval: hit@k", _hit_curve(run)),
        ("Score distributions", _distributions(run)),
        ("Refusal", _refusal(run)),
        ("Latency", _latency(run)),
        ("Worst questions", _worst(run)),
        ("Configuration", _config(run)),
    ]
    body = "".join(
        f'<section id="{escape(h.lower().replace(" ", "-").replace(":", ""))}"><h2>{escape(h)}</h2>{c}</section>'
        for h, c in sections
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{CSS}</style></head><body><h1>{escape(title)}</h1>"
        f'<p class="muted">run {run.id if run.id is not None else "(not stored)"} · {escape(run.created_at)} · '
        f"kb {escape(run.kb['name'])} v{run.kb['version']}</p>{body}</body></html>"
    )


# -- replay (eval.replay) ------------------------------------------------------------------------

REPLAY_CSS = """
table.replay{width:100%;table-layout:fixed}table.replay td{width:50%}
.changed{background:#fef3c7;border-radius:4px;padding:0 4px}
"""


def _reply_cell(reply: ReplayReply | None, changes: list[str], error: str | None = None) -> str:
    if reply is None:
        return f'<td><span class="bad">failed: {escape(error or "")}</span></td>'

    def mark(what: str, html: str) -> str:
        return f'<span class="changed">{html}</span>' if what in changes else html

    refused = mark("refusal", "refused" if reply.refused else "answered")
    cited = mark("citations", escape(", ".join(reply.cited) or "no citations"))
    version = f"v{reply.kb_version}" if reply.kb_version is not None else "version unknown"
    return (
        f'<td><div class="muted">{escape(reply.mode or "?")} · {refused} · {escape(version)}</div>'
        f'<pre>{mark("answer", escape(reply.text))}</pre><div class="muted">cites: {cited}</div></td>'
    )


def _replay_turn(turn: ReplayTurn) -> str:
    history = "".join(f"<div><b>{escape(t['role'])}:</b> {escape(t['content'])}</div>" for t in turn.history)
    what = ", ".join(turn.changes) if turn.changes else ("failed" if turn.error else "unchanged")
    return (
        f'<details class="q"{" open" if turn.changed else ""}><summary><b>{escape(turn.asked_at)}</b> '
        f'<span class="{"bad" if turn.changed else "good"}">{escape(what)}</span> — '
        f"{escape(turn.question[:160])}</summary>"
        f'<div class="muted">conversation {escape(turn.conversation_id)} · message {turn.seq}</div>'
        + (f'<div class="muted">history</div>{history}' if history else "")
        + '<table class="replay"><tr><th>before: the reply given</th><th>after: replayed</th></tr><tr>'
        + _reply_cell(turn.before, turn.changes)
        + _reply_cell(turn.after, turn.changes, turn.error)
        + "</tr></table></details>"
    )


def replay_section(result: ReplayResult) -> str:
    """The answers that would change, before and after side by side, then the unchanged ones."""
    counts = result.counts()
    summary = (
        f"<p>{counts['turns']} customer turns of {escape(result.kb)} asked from {escape(result.since)} "
        f"to {escape(result.until)}, replayed against version {escape(result.version)}"
        + (f" (v{result.kb_version})" if result.kb_version is not None else "")
        + f": <b>{counts['changed']} would change</b> (answer text {counts['answer']}, refusal "
        f"{counts['refusal']}, cited documents {counts['citations']}, failed {counts['errors']}).</p>"
    )
    changed = [t for t in result.turns if t.changed]
    same = [t for t in result.turns if not t.changed]
    return (
        summary
        + "<h3>Answers that would change</h3>"
        + ("".join(_replay_turn(t) for t in changed) or '<p class="good">None.</p>')
        + f"<h3>Unchanged ({len(same)})</h3>"
        + "".join(_replay_turn(t) for t in same)
    )


def render_replay_html(result: ReplayResult) -> str:
    title = f"kefu replay — {result.kb} version {result.version}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{CSS}{REPLAY_CSS}</style></head><body><h1>{escape(title)}</h1>"
        f'<p class="muted">{escape(result.created_at)} · {result.duration_s} s</p>'
        f'<section id="replay"><h2>Replay: which answers would change</h2>{replay_section(result)}</section>'
        "</body></html>"
    )


def write_replay_reports(result: ReplayResult, out_dir: Path) -> dict[str, str]:
    """replay.json and replay.html in out_dir; returns their paths (also set on result)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out_dir / "replay.html", out_dir / "replay.json"
    result.report_paths = {"json": str(json_path.resolve()), "html": str(html_path.resolve())}
    html_path.write_text(render_replay_html(result), encoding="utf-8")
    json_path.write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    return result.report_paths
