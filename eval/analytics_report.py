"""The operations report (`kefu report`): service metrics, gap clusters and QA scores as tables,
a terminal summary, CSV files and a self-contained HTML page with inline SVG charts (eval/svg.py,
in the style of the eval report)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable

from assistant.analytics.gaps import GapReport
from assistant.analytics.metrics import MetricSet, MetricsReport
from assistant.analytics.qa import QaScore, mean_score
from eval.report import CSS
from eval.svg import histogram, line_chart

# Headline metrics, in display order: (field of MetricSet, label).
HEADLINE = (
    ("contacts", "contacts"),
    ("automated_resolution_rate", "automated resolution"),
    ("first_contact_resolution_rate", "first-contact resolution"),
    ("transfer_rate", "transfer to human"),
    ("refusal_rate", "refusal rate"),
    ("thumbs_up_rate", "thumbs-up share"),
    ("csat", "CSAT (4-5 of 5)"),
    ("score_mean", "mean 1-5 score"),
    ("first_token_ms_p50", "first token p50 (ms)"),
    ("first_token_ms_p95", "first token p95 (ms)"),
    ("answer_ms_p50", "full answer p50 (ms)"),
    ("answer_ms_p95", "full answer p95 (ms)"),
    ("handling_s_p50", "agent handling p50 (s)"),
    ("handling_s_p95", "agent handling p95 (s)"),
    ("sla_breaches", "SLA breaches"),
    ("sla_breach_rate", "SLA breach rate"),
)
BREAKDOWN_COLUMNS = (
    "sessions",
    "contacts",
    "automated_resolution_rate",
    "first_contact_resolution_rate",
    "transfer_rate",
    "refusal_rate",
    "thumbs_up_rate",
    "csat",
    "answer_ms_p50",
    "answer_ms_p95",
    "tickets",
    "sla_breaches",
)
DAILY_RATES = (
    ("automated_resolution_rate", "automated resolution"),
    ("first_contact_resolution_rate", "first contact"),
    ("transfer_rate", "transfer"),
    ("refusal_rate", "refusal"),
)


@dataclass
class Table:
    name: str  # also the CSV file's stem
    title: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class OpsReport:
    scope: str  # "tenant default, all knowledge bases"
    metrics: MetricsReport
    gaps: GapReport | None
    qa: list[QaScore]


def fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


# -- tables (shared by the terminal, CSV and HTML) ------------------------------------------------


def tables(report: OpsReport) -> list[Table]:
    m = report.metrics
    overall = asdict(m.overall)
    found = [
        Table("overall", "Overall", ["metric", "value"], [[label, overall[key]] for key, label in HEADLINE])
    ]
    for dimension, rows in m.by.items():
        table = Table(f"by_{dimension}", f"By {dimension}", [dimension, *BREAKDOWN_COLUMNS])
        table.rows = [[b.key, *(getattr(b.metrics, c) for c in BREAKDOWN_COLUMNS)] for b in rows]
        found.append(table)
    if report.gaps is not None:
        gaps = Table(
            "gaps",
            "What the bot could not answer",
            [
                "rank",
                "question (most central)",
                "kb",
                "volume",
                "trend",
                "reasons",
                "closest chunk",
                "agents' answer",
            ],
        )
        for c in report.gaps.clusters:
            reasons = ", ".join(f"{k} {v}" for k, v in c.reasons.items())
            chunk = f"{c.chunks[0].source}: {c.chunks[0].title}" if c.chunks else ""
            gaps.rows.append(
                [
                    c.id,
                    c.name,
                    c.kb,
                    c.volume,
                    c.trend,
                    reasons,
                    chunk,
                    c.agent_answers[0] if c.agent_answers else "",
                ]
            )
        found.append(gaps)
        loose = Table(
            "unclustered", "Failed questions in no cluster", ["question", "kb", "reasons", "conversation"]
        )
        loose.rows = [
            [q.text, q.kb, ", ".join(q.reasons), q.conversation_id] for q in report.gaps.unclustered
        ]
        found.append(loose)
    qa = Table("qa", "QA scores, worst first", ["conversation", "kb", "channel", "day", "score", "signals"])
    qa.rows = [
        [
            s.conversation_id,
            s.kb,
            s.channel,
            s.day,
            s.score,
            "; ".join(f"{g.code} x{g.count} ({g.points:+g})" for g in s.signals),
        ]
        for s in report.qa
    ]
    found.append(qa)
    return found


def write_csv(report: OpsReport, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in tables(report):
        path = folder / f"{table.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.header)
            writer.writerows([["" if v is None else v for v in row] for row in table.rows])
        paths.append(path)
    return paths


# -- terminal ------------------------------------------------------------------------------------


def print_summary(report: OpsReport, console: Console, *, top: int = 10) -> None:
    m = report.metrics
    headline = RichTable(title=f"kefu report · {report.scope} · {m.since:%Y-%m-%d} to {m.until:%Y-%m-%d}")
    headline.add_column("metric")
    headline.add_column("value", justify="right")
    overall = asdict(m.overall)
    for key, label in HEADLINE:
        headline.add_row(label, fmt(overall[key]))
    console.print(headline)
    if report.gaps is not None:
        gaps = RichTable(
            title=f"top gaps ({report.gaps.failed} failed questions, {len(report.gaps.clusters)} clusters)"
        )
        for column in ("#", "question", "volume", "trend", "reasons"):
            gaps.add_column(column)
        for c in report.gaps.clusters[:top]:
            gaps.add_row(
                str(c.id),
                c.name[:80],
                str(c.volume),
                f"{c.trend:+d}",
                ", ".join(f"{k} {v}" for k, v in c.reasons.items()),
            )
        console.print(gaps)
    console.print(f"QA: {len(report.qa)} conversations scored, mean {fmt(mean_score(report.qa))}")
    for s in report.qa[:5]:
        console.print(f"  {s.conversation_id} ({s.kb}) {s.explain()}")


# -- HTML ----------------------------------------------------------------------------------------

REPORT_CSS = (
    CSS
    + """
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:150px}
.card .v{font-size:20px;font-weight:600}.card .k{font-size:12px;color:#6b7280}
"""
)


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(fmt(v))}</td>'
            if isinstance(v, int | float)
            else f"<td>{escape(fmt(v))}</td>"
            for v in row
        )
        + "</tr>"
        for row in table.rows
    )
    return (
        f'<h2>{escape(table.title)}</h2><table class="data" data-table="{escape(table.name)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def daily_charts(by_day: Sequence[tuple[str, MetricSet]]) -> list[str]:
    """Rates per day, contacts per day, answer latency per day; x = day number (1 = first day)."""
    if not by_day:
        return []
    xs = list(range(1, len(by_day) + 1))
    ticks = [float(x) for x in xs] if len(xs) <= 14 else None
    label = f"day (1 = {by_day[0][0]})"
    rates = {
        name: [
            (float(x), float(getattr(m, key))) for x, (_, m) in zip(xs, by_day) if getattr(m, key) is not None
        ]
        for key, name in DAILY_RATES
    }
    volume_top = max(max(m.contacts, m.answers) for _, m in by_day) or 1
    volume = {
        "contacts": [(float(x), float(m.contacts)) for x, (_, m) in zip(xs, by_day)],
        "answers": [(float(x), float(m.answers)) for x, (_, m) in zip(xs, by_day)],
    }
    latency = {
        name: [
            (float(x), float(getattr(m, key))) for x, (_, m) in zip(xs, by_day) if getattr(m, key) is not None
        ]
        for key, name in (
            ("answer_ms_p50", "p50"),
            ("answer_ms_p95", "p95"),
            ("first_token_ms_p50", "first token p50"),
        )
    }
    latency_top = max((y for values in latency.values() for _, y in values), default=1.0) or 1.0
    return [
        line_chart(
            "Rates per day", rates, x_label=label, y_label="share of contacts / answers", x_ticks=ticks
        ),
        line_chart(
            "Volume per day",
            volume,
            x_label=label,
            y_label="count",
            y_range=(0.0, float(volume_top)),
            x_ticks=ticks,
        ),
        line_chart(
            "Answer time per day",
            latency,
            x_label=label,
            y_label="ms",
            y_range=(0.0, latency_top * 1.05),
            x_ticks=ticks,
        ),
    ]


def render_html(report: OpsReport) -> str:
    m = report.metrics
    overall = asdict(m.overall)
    cards = "".join(
        f'<div class="card"><div class="v">{escape(fmt(overall[key]))}</div><div class="k">{escape(label)}</div></div>'
        for key, label in HEADLINE
    )
    by_day = [(b.key, b.metrics) for b in m.by.get("day", [])]
    charts = daily_charts(by_day)
    if report.qa:
        charts.append(
            histogram(
                "QA scores",
                [s.score for s in report.qa],
                x_label="score",
                bins=10,
                x_range=(0.0, 100.0),
                y_label="conversations",
            )
        )
    drill = ""
    if report.gaps is not None:
        items = []
        for c in report.gaps.clusters:
            examples = "".join(
                f'<li>{escape(q.text)} <span class="muted">({escape(", ".join(q.reasons))}; '
                f"{escape(q.conversation_id)})</span></li>"
                for q in c.examples
            )
            chunks = "".join(
                f"<li>{escape(r.source)} · {escape(r.title)}: {escape(r.text)}</li>" for r in c.chunks
            )
            answers = "".join(f"<li>{escape(a)}</li>" for a in c.agent_answers)
            chunks = chunks or '<li class="muted">none retrieved</li>'
            answers = answers or '<li class="muted">none yet</li>'
            items.append(
                f'<details class="q gap"><summary>#{c.id} {escape(c.name)} — {c.volume} questions, '
                f"trend {c.trend:+d}</summary><h4>Examples</h4><ul>{examples}</ul>"
                f"<h4>Closest chunks</h4><ul>{chunks}</ul><h4>Agents' answers</h4><ul>{answers}</ul></details>"
            )
        drill = "<h2>Gap drill-down</h2>" + "".join(items)
    body = "".join(_table_html(t) for t in tables(report))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>kefu report</title>'
        f"<style>{REPORT_CSS}</style></head><body>"
        f'<h1>kefu report</h1><p class="muted">{escape(report.scope)} · conversations started '
        f"{m.since:%Y-%m-%d %H:%M} to {m.until:%Y-%m-%d %H:%M} UTC · repeat window {fmt(m.repeat_window_hours)} h</p>"
        f'<div class="cards">{cards}</div><h2>Per day</h2><div class="grid">'
        + "".join(f"<figure>{c}</figure>" for c in charts)
        + f"</div>{drill}{body}</body></html>"
    )


def write_html(report: OpsReport, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path
