"""`kefu serve`: the HTTP API, widget and console under uvicorn.

uvicorn picks uvloop and httptools when installed (they are, through chromadb's uvicorn[standard]).
With `--workers N` (N > 1):
  - SQL is migrated once here, before the workers start (N workers would race on the schema);
  - without KEFU_CHROMA_URL, a loopback `chroma run` on the data dir's Chroma folder serves the
    vectors to every worker (api.cli.serve_chroma says why embedded Chroma cannot be shared);
  - each worker's native thread pools (embedder, BLAS) get cores/N threads unless
    OMP_NUM_THREADS / KEFU_EMBED_THREADS are set;
  - each worker listens on its own SO_REUSEPORT socket, under kefu's supervisor
    (api.cli.serve_workers says why, and how dead workers and signals are handled).
BM25 snapshots (per process, checked against SQL on every search), jobs (rows in SQL) and the
agent feed (polls SQL) work across workers; rate limits and the key cache are per worker.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import typer

from api.cli.exits import ExitCode, KefuCommand


def register(app: typer.Typer) -> None:
    app.command("serve", cls=KefuCommand)(serve)


def _exit_code(code: int | str | None) -> ExitCode:
    """uvicorn's exit code as kefu's: a worker that cannot start (app import, lifespan, bind) is
    uvicorn's STARTUP_FAILURE, which kefu reports as unavailable; anything else as a failure."""
    from uvicorn.config import STARTUP_FAILURE

    if not code:
        return ExitCode.OK
    return ExitCode.UNAVAILABLE if code == STARTUP_FAILURE else ExitCode.FAILURE


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (0.0.0.0 for all)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (each loads its own models)."),
) -> None:
    """Serve the API (docs at /docs), the chat widget (/widget.js, /widget-demo) and the console (/console)."""
    import uvicorn

    from api.cli.serve_chroma import chroma_server, worker_threads
    from api.cli.serve_workers import Supervisor, check_free
    from ingest.config import get_settings
    from api.logs import configure_logging
    from ingest.db import open_database

    settings = get_settings()
    # Migrate once here: N workers starting together would each try to upgrade the same schema.
    open_database(settings.sql_url).dispose()
    options: dict[str, Any] = dict(
        factory=True,
        host=host,
        port=port,
        log_config=None,  # the app installs JSON logging in each worker
        access_log=False,  # the app logs every request itself, with its request id
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )
    if workers == 1:
        try:
            uvicorn.run("api.app:factory", **options)
        except SystemExit as exc:  # uvicorn exits by itself when the app cannot start
            raise typer.Exit(_exit_code(exc.code)) from exc
        return
    configure_logging(settings.log_level)  # the supervisor's own lines, as JSON like the workers'
    try:
        options["port"] = check_free(host, port)  # before the sidecar starts; fixes port 0 for all workers
    except OSError as exc:
        typer.echo(f"kefu serve: cannot listen on {host}:{port}: {exc}", err=True)
        raise typer.Exit(ExitCode.UNAVAILABLE) from exc
    threads = str(worker_threads(workers))
    os.environ.setdefault("OMP_NUM_THREADS", threads)
    os.environ.setdefault("KEFU_EMBED_THREADS", threads)
    with contextlib.ExitStack() as stack:
        if not settings.chroma_url:
            url = stack.enter_context(
                chroma_server(settings.chroma_dir, settings.data_dir / "logs" / "chroma.log")
            )
            os.environ["KEFU_CHROMA_URL"] = url  # read by every worker's settings
            typer.echo(
                f"kefu serve: {workers} workers share the vectors through `chroma run` at {url}", err=True
            )
        code = Supervisor(uvicorn.Config("api.app:factory", **options), workers).run()
    if code:
        raise typer.Exit(_exit_code(code))
