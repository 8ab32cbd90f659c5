"""The API under test: an in-process app (TestClient) with fixture knowledge bases for most tests, and a
real `kefu serve` process (`live`) for the OpenAI client, the agent feed and the browser tests."""

from __future__ import annotations

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
    kefu_server,
    make_keys,
    upload,
    write_docs,
)
from fastapi.testclient import TestClient

from api.app import create_app
from api.services import Services
from ingest.config import Settings


@pytest.fixture(params=["sqlite", "postgres"])
def unpublished_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """API settings whose uploads wait for a publish (releases), on SQLite and on PostgreSQL."""
    overrides: dict[str, object] = {"auto_publish": False}
    if request.param == "postgres":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    return api_settings(tmp_path / "data", **overrides)


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


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    import httpx

    root = tmp_path_factory.mktemp("live")
    data_dir = root / "data"
    # Keys straight into the server's database before it starts (the CLI is tested in test_auth).
    keys = make_keys(Services(api_settings(data_dir)), "acme")
    log = root / "server.log"
    variables = {"KEFU_LLM_MAX_TOKENS": "60", "KEFU_WARMUP": "true"}
    with kefu_server(data_dir, log, timeout_s=60, **variables) as url:
        with httpx.Client(base_url=url, timeout=60) as client:
            assert (
                client.post("/v1/kbs", json={"name": "shop"}, headers=auth(keys["owner"])).status_code == 201
            )
            job = upload(client, keys["owner"], "shop", write_docs(root / "docs", SHOP_DOCS))
            assert job["status"] == "succeeded", job
        yield Live(url=url, keys=keys, data_dir=data_dir, log=log)
