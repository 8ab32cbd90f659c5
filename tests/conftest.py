"""Fixtures shared by every test folder: isolated settings, a PostgreSQL schema, a Chroma server."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import pytest

import ingest  # noqa: F401  (offline runtime set-up before anything else is imported)
from ingest.config import Settings

POSTGRES_URL = os.environ.get("KEFU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "kefu-data")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose connections live in a fresh schema of the `test` database, dropped afterwards."""
    import sqlalchemy as sa

    schema = f"kefu_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:  # the brief promises this server on every machine
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        from ingest.db import _open

        for url in [u for u in _open if schema in u]:
            _open.pop(url).dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout_s: float, process: subprocess.Popen | None = None) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on loopback for the HttpClient path (the same sidecar that
    `kefu serve --workers N` starts)."""
    from api.cli.serve_chroma import chroma_server as run_chroma

    root = tmp_path_factory.mktemp("chroma-server")
    with run_chroma(root / "data", root / "chroma.log") as url:
        yield url


class ScriptedLLM:
    """Per-model scripted replies for the test-only litellm provider "kefu-test"."""

    def __init__(self) -> None:
        self.replies: dict[str, str | Exception] = {}
        self.finish_reason = "stop"
        self.calls: list[str] = []


@pytest.fixture
def scripted_llm() -> Iterator[ScriptedLLM]:
    import litellm
    from litellm import CustomLLM

    script = ScriptedLLM()

    class Provider(CustomLLM):
        def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            script.calls.append(model)
            reply = script.replies[model]
            if isinstance(reply, Exception):
                raise reply
            response = kwargs["model_response"]
            response.choices[0].message.content = reply
            response.choices[0].finish_reason = script.finish_reason
            response.model = f"kefu-test/{model}"
            return response

        async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
            return self.completion(model, messages, *args, **kwargs)

    entry = {"provider": "kefu-test", "custom_handler": Provider()}
    litellm.custom_provider_map = [*litellm.custom_provider_map, entry]
    try:
        yield script
    finally:
        litellm.custom_provider_map = [i for i in litellm.custom_provider_map if i["provider"] != "kefu-test"]
