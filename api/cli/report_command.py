"""`kefu report`: service metrics, the ranked gaps and QA scores, in the terminal and as a
self-contained HTML page (plus CSV files with --csv)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from api.cli.console import console
from api.cli.exits import ExitCode, fail
from ingest.config import get_settings


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def _when(value: str | None, name: str) -> datetime | None:
    from assistant.escalation.tickets import aware

    if value is None:
        return None
    try:
        return aware(datetime.fromisoformat(value))
    except ValueError:
        fail(
            f"--{name} {value!r} is not an ISO date or time (e.g. 2026-11-01 or 2026-11-01T08:00)",
            ExitCode.USAGE,
        )


def report(
    kb: list[str] = typer.Option([], "--kb", help="A knowledge base (repeat for several; default: all)."),
    tenant: str = typer.Option("default", "--tenant"),
    days: int = typer.Option(30, "--days", min=1, max=365, help="Conversations of the last N days."),
    since: str | None = typer.Option(None, "--since", help="Start (ISO, UTC); overrides --days."),
    until: str | None = typer.Option(None, "--until", help="End, exclusive (ISO, UTC; default now)."),
    out: Path = typer.Option(Path("kefu-report.html"), "--out", "-o", help="The HTML report."),
    csv_dir: Path | None = typer.Option(
        None, "--csv", help="Also write every table as CSV into this folder."
    ),
    gaps: bool = typer.Option(True, "--gaps/--no-gaps", help="Cluster the failed questions (embeds them)."),
) -> None:
    """Resolution, transfer, CSAT and latency figures, what the bot could not answer, QA scores."""
    from assistant.analytics.facts import Scope
    from assistant.analytics.gaps import GapMiner
    from assistant.analytics.metrics import MetricsService, last_days
    from assistant.analytics.qa import QaService
    from eval.analytics_report import OpsReport, print_summary, write_csv, write_html
    from ingest.db import open_database

    default_start, default_end = last_days(days, now=_when(until, "until"))
    start, end = _when(since, "since") or default_start, default_end
    if start >= end:
        fail("--since must be before --until", ExitCode.USAGE)
    settings = get_settings()
    db = open_database(settings.sql_url)
    scope = Scope(start, end, tenant=tenant, kbs=tuple(kb) or None)
    metrics = MetricsService(db).run(scope)
    gap_report = None
    if gaps:
        from ingest.embedding import get_embedder

        gap_report = GapMiner(db, get_embedder(settings)).run(scope)
    where = f"tenant {tenant}, " + (f"knowledge bases {', '.join(kb)}" if kb else "all knowledge bases")
    result = OpsReport(where, metrics, gap_report, QaService(db).run(scope))
    print_summary(result, console)
    console.print(f"HTML report: {write_html(result, out).resolve()}")
    if csv_dir is not None:
        paths = write_csv(result, csv_dir)
        console.print(f"CSV: {len(paths)} files in {csv_dir.resolve()}")
