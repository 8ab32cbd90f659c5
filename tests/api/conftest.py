"""The API under test: an in-process app (TestClient) with fixture knowledge bases for most tests, and a
real `kefu serve` process (`live`) for the OpenAI client, the agent feed and the browser tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fixture import (
    BETA_DOCS,
    SHOP_DOCS,
    Harness,
    Live,
    api_settings,
    auth,
    free_port,
    make_keys,
    upload,
    wait_for_http,
    write_docs,
)
from fastapi.testclient import TestClient

from api.app import create_app
from api.services import Services


@pytest.fixture(scope="session")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    root = tmp_path_factory.mktemp("api")
    app = create_app(api_settings(root / "data"))
    services = app.state.services
    acme = make_keys(services, "acme")
    beta = make_keys(services, "beta")
    extra = make_keys(services, "acme", ("customer",))
    with TestClient(app) as client:
        for tenant_keys, kb, docs in ((acme, "shop", SHOP_DOCS), (beta, "beta-kb", BETA_DOCS)):
            created = client.post("/v1/kbs", json={"name": kb}, headers=auth(tenant_keys["owner"]))
            assert created.status_code == 201, created.text
            job = upload(client, tenant_keys["owner"], kb, write_docs(root / kb, docs))
            assert job["status"] == "succeeded", job
        yield Harness(
            client=client, services=services, acme=acme, beta=beta, extra={"customer2": extra["customer"]}
        )


def _server_log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else ""


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import httpx

    root = tmp_path_factory.mktemp("live")
    data_dir = root / "data"
    # Keys straight into the server's database before it starts (the CLI is tested in test_auth).
    keys = make_keys(Services(api_settings(data_dir)), "acme")
    port = free_port()
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_RATE_LIMIT_PER_MINUTE": "0",
        "KEFU_LLM_MAX_TOKENS": "60",
        "KEFU_WARMUP": "true",
    }
    log = root / "server.log"
    kefu = Path(sys.executable).parent / "kefu"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(kefu), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for_http(f"{url}/healthz", 60, process)
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(f"kefu serve did not start: {exc}\n{_server_log_tail(log)}")
        with httpx.Client(base_url=url, timeout=60) as client:
            assert (
                client.post("/v1/kbs", json={"name": "shop"}, headers=auth(keys["owner"])).status_code == 201
            )
            job = upload(client, keys["owner"], "shop", write_docs(root / "docs", SHOP_DOCS))
            assert job["status"] == "succeeded", job
        yield Live(url=url, keys=keys, data_dir=data_dir, log=log)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
