"""`kefu worker`: runs ingest jobs from the PostgreSQL job queue, outside the API processes.

With KEFU_JOB_QUEUE=procrastinate the API only enqueues uploads and re-ingests; start one or more
workers on any machine that reaches the same PostgreSQL, the same Chroma server (KEFU_CHROMA_URL)
and the same data dir (uploaded files are read from there). Each runs KEFU_JOB_WORKERS jobs at once.
SIGINT/SIGTERM: the running jobs finish, then the worker stops.
"""

from __future__ import annotations

import os
import socket

import typer

from api.cli.exits import ExitCode, KefuCommand


def register(app: typer.Typer) -> None:
    app.command("worker", cls=KefuCommand)(worker)


def worker(
    name: str = typer.Option("", "--name", help="Worker name in logs and the queue (default: host:pid)."),
) -> None:
    """Run ingest jobs from the job queue (needs KEFU_JOB_QUEUE=procrastinate and PostgreSQL)."""
    from pydantic import ValidationError

    from ingest.config import get_settings
    from api.logs import configure_logging
    from api.services import Services

    try:
        settings = get_settings()
    except ValidationError as exc:
        typer.echo(f"kefu worker: {exc}", err=True)
        raise typer.Exit(ExitCode.USAGE) from exc
    if settings.job_queue != "procrastinate":
        typer.echo(
            "kefu worker: no job queue is configured (KEFU_JOB_QUEUE=thread runs jobs inside `kefu serve`); "
            "set KEFU_JOB_QUEUE=procrastinate and KEFU_DATABASE_URL=postgresql+psycopg://...",
            err=True,
        )
        raise typer.Exit(ExitCode.USAGE)
    configure_logging(settings.log_level)
    services = Services(settings)
    assert services.jobs.queue is not None
    label = name or f"{socket.gethostname()}:{os.getpid()}"
    typer.echo(f"kefu worker {label}: running ingest jobs, {settings.job_workers} at a time", err=True)
    try:
        services.jobs.queue.work(services.jobs, name=label)
    finally:
        services.close()
