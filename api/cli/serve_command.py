"""`kefu serve`: the HTTP API, widget and console under uvicorn."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (0.0.0.0 for all)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (each loads its own models)."),
) -> None:
    """Serve the API (docs at /docs), the chat widget (/widget.js, /widget-demo) and the console (/console)."""
    import uvicorn

    from api.config import get_api_settings
    from ingest.db import open_database

    # Migrate once here: N workers starting together would each try to upgrade the same schema.
    open_database(get_api_settings().sql_url).dispose()
    uvicorn.run(
        "api.app:factory", factory=True, host=host, port=port, workers=workers,
        log_config=None,  # the app installs JSON logging in each worker
        access_log=False,  # the app logs every request itself, with its request id
        proxy_headers=True, timeout_graceful_shutdown=10,
    )
