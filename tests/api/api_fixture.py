"""Shared pieces of the API tests: fixture documents, keys per role and tenant, small helpers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.auth import create_key
from ingest.config import Settings
from api.models import ROLES
from api.services import Services

SHOP_DOCS = {
    "returns.md": "# Returns\n\nYou can return any item within 30 days of delivery with the original receipt. "
    "Refunds go back to the original payment method within 5 business days.\n\n"
    "## Plus members\n\nPlus members can return items within 60 days of delivery.\n",
    "shipping.md": "# Shipping\n\nStandard shipping takes 3 to 5 business days. "
    "Express shipping arrives the next business day and costs 9 euros.\n",
    "zh-returns.md": "# 退货政策\n\n收货后三十天内可以退货，请保留原始收据。退款会在五个工作日内退回原支付方式。\n\n"
    "## 会员\n\n会员可以在六十天内退货。\n",
}
BETA_DOCS = {
    "launch.md": "# Launch\n\nThe beta launch code is PINEAPPLE-42. The launch is planned for March.\n"
}

# Close to the fixture text, so any sensible answerability threshold answers them.
ZH_QUESTION = "收货后三十天内可以退货吗？"  # answered extractively (the local model writes no Chinese): fast
EN_QUESTION = "Can I return an item within 30 days of delivery?"  # goes through the local LLM

WEBHOOK_SECRET = "webhook-secret-for-tests"
WECHAT_TOKEN = "wechat-token-for-tests"


def api_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "warmup": False,
        "rate_limit_per_minute": 0,
        "webhook_secrets": {"shop": WEBHOOK_SECRET},
        "wechat_tokens": {"shop": WECHAT_TOKEN},
        "max_body_kb": 64,
        "max_file_mb": 1,
        "max_upload_mb": 3,
        "llm_max_tokens": 60,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout_s: float, process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


@contextmanager
def kefu_server(data_dir: Path, log: Path, *, timeout_s: float = 90, **variables: str) -> Iterator[str]:
    """`kefu serve` in its own process on a free loopback port, over `data_dir`, with the given
    KEFU_* variables (rate limit off unless set); yields its URL and stops it afterwards. A server
    that does not start fails the test with the end of its log."""
    import pytest

    env = {**os.environ, "KEFU_DATA_DIR": str(data_dir), "KEFU_RATE_LIMIT_PER_MINUTE": "0", **variables}
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_http(f"{url}/healthz", timeout_s, process)
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(f"kefu serve did not start: {exc}\n{log.read_text(errors='replace')[-4000:]}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def conversation_reads(harness: Harness, send: Callable[[], object]) -> int:
    """How many statements read the conversations table while `send()` runs."""
    from sqlalchemy import event

    reads: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM conversations" in statement:
            reads.append(statement)

    engine = harness.services.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        send()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(reads)


def write_docs(folder: Path, docs: dict[str, str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in docs.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def make_keys(services: Services, tenant: str, roles: tuple[str, ...] = ROLES) -> dict[str, str]:
    with services.db.session() as session:
        return {
            role: create_key(session, role=role, tenant=tenant, name=f"{tenant}-{role}").key for role in roles
        }


def auth(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


def wait_job(client: Any, key: str, job_id: str, timeout_s: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", headers=auth(key)).json()
        if job["status"] in ("succeeded", "partial", "failed"):
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} did not finish in {timeout_s} s")


def upload(client: Any, key: str, kb: str, paths: list[Path]) -> dict[str, Any]:
    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
    response = client.post(f"/v1/kbs/{kb}/documents", files=files, headers=auth(key))
    assert response.status_code == 202, response.text
    return wait_job(client, key, response.json()["job"]["id"])


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """(event, data) pairs of a server-sent event stream (comments skipped, data JSON-decoded)."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
        if data:
            raw = "\n".join(data)
            events.append((name, raw if raw == "[DONE]" else json.loads(raw)))
    return events


@dataclass
class Harness:
    """An app on its own data dir with the `shop` (tenant acme) and `beta-kb` (tenant beta)
    knowledge bases, a key per role for each tenant, and a TestClient."""

    client: TestClient
    services: Services
    acme: dict[str, str]
    beta: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)

    def session(self, key: str, kb: str = "shop", **fields: Any) -> str:
        response = self.client.post("/v1/sessions", json={"kb": kb, **fields}, headers=auth(key))
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def ask(self, key: str, session_id: str, text: str = ZH_QUESTION) -> dict[str, Any]:
        response = self.client.post(
            f"/v1/sessions/{session_id}/messages", json={"text": text}, headers=auth(key)
        )
        assert response.status_code == 200, response.text
        return response.json()


@dataclass
class Live:
    """A real `kefu serve` process on a free loopback port, with the `shop` knowledge base."""

    url: str
    keys: dict[str, str]
    data_dir: Path
    log: Path
