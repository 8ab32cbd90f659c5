"""The hosted LLM fails (down, slow, garbage): the fallback model answers, and when it fails too
the extractive answer does; a customer never gets a 500."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from api_fixture import EN_QUESTION, SHOP_DOCS, api_settings, auth, free_port, make_keys, upload, write_docs
from fastapi.testclient import TestClient
from llm_endpoint import LLMEndpoint

from api.app import create_app

TIMEOUT_S = 3.0


@dataclass
class Desk:
    client: TestClient
    customer: str
    primary: LLMEndpoint
    backup: LLMEndpoint

    def ask(self, question: str = EN_QUESTION) -> dict:  # type: ignore[type-arg]
        session = self.client.post("/v1/sessions", json={"kb": "shop"}, headers=auth(self.customer))
        assert session.status_code == 201, session.text
        reply = self.client.post(
            f"/v1/sessions/{session.json()['id']}/messages",
            json={"text": question},
            headers=auth(self.customer),
        )
        assert reply.status_code == 200, reply.text  # whatever the LLMs do
        return reply.json()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch) -> Iterator[Desk]:
    primary, backup = LLMEndpoint(free_port()), LLMEndpoint(free_port())
    # The fallback is reached with its provider's own settings (assistant/llm/client.py): for
    # openai/... models, OPENAI_API_BASE and OPENAI_API_KEY.
    monkeypatch_module.setenv("OPENAI_API_BASE", backup.url)
    monkeypatch_module.setenv("OPENAI_API_KEY", "backup-key")
    root = tmp_path_factory.mktemp("llm-faults")
    settings = api_settings(
        root / "data",
        llm_model="openai/primary-chat",
        llm_api_base=primary.url,
        llm_api_key="primary-key",
        llm_fallbacks=["openai/backup-chat"],
        llm_timeout_s=TIMEOUT_S,
        llm_min_grounded_rate=0.0,  # draft every turn, so each case reaches the LLMs
    )
    app = create_app(settings)
    keys = make_keys(app.state.services, "acme", ("owner", "customer"))
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert (
                client.post("/v1/kbs", json={"name": "shop"}, headers=auth(keys["owner"])).status_code == 201
            )
            assert (
                upload(client, keys["owner"], "shop", write_docs(root / "docs", SHOP_DOCS))["status"]
                == "succeeded"
            )
            yield Desk(client, keys["customer"], primary, backup)
    finally:
        primary.close()
        backup.close()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_the_primary_answers_when_it_works(desk: Desk) -> None:
    desk.primary.set("ok")
    desk.backup.set("ok")
    answer = desk.ask()
    assert answer["mode"] == "generated" and answer["model"].endswith("primary-chat"), answer
    assert "30 days" in answer["text"] and answer["citations"]


@pytest.mark.parametrize("failure", ["down", "slow", "garbage"])
def test_a_failing_primary_falls_back_to_the_backup_model(desk: Desk, failure: str) -> None:
    desk.primary.set(failure)  # type: ignore[arg-type]
    desk.backup.set("ok")
    desk.primary.requests.clear()
    desk.backup.requests.clear()
    answer = desk.ask()
    assert answer["mode"] == "generated" and answer["model"].endswith("backup-chat"), answer
    assert "30 days" in answer["text"] and answer["citations"]
    # One try per model (the SDK's retries made a slow primary cost three timeouts).
    assert desk.primary.requests == ([] if failure == "down" else ["primary-chat"])
    assert desk.backup.requests == ["backup-chat"]


@pytest.mark.parametrize("failure", ["down", "slow", "garbage"])
def test_when_every_model_fails_the_extractive_answer_is_given(desk: Desk, failure: str) -> None:
    desk.primary.set(failure)  # type: ignore[arg-type]
    desk.backup.set(failure)  # type: ignore[arg-type]
    desk.primary.requests.clear()
    desk.backup.requests.clear()
    answer = desk.ask()
    assert answer["mode"] == "extractive", answer
    assert len(desk.primary.requests) <= 1 and len(desk.backup.requests) <= 1
    assert "30 days" in answer["text"] and answer["citations"]


def test_a_reply_unrelated_to_the_sources_is_replaced_by_the_extractive_answer(desk: Desk) -> None:
    desk.primary.set("nonsense")  # well-formed, so no fallback: the grounding check catches it
    desk.backup.set("ok")
    answer = desk.ask()
    assert answer["mode"] == "extractive", answer
    assert "purple" not in answer["text"] and "30 days" in answer["text"]


def test_the_chat_completions_route_survives_a_dead_llm_too(desk: Desk) -> None:
    desk.primary.set("down")
    desk.backup.set("down")
    for stream in (False, True):
        response = desk.client.post(
            "/v1/chat/completions",
            headers=auth(desk.customer),
            json={"model": "shop", "stream": stream, "messages": [{"role": "user", "content": EN_QUESTION}]},
        )
        assert response.status_code == 200, response.text
        assert "30 days" in response.text
