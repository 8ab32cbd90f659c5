"""Against a real `kefu serve` process: the official OpenAI client, and the agents' live feed."""

from __future__ import annotations

import json
import threading
import time

import httpx
import openai
import pytest
from api_fixture import EN_QUESTION, ZH_QUESTION, Live, auth

pytestmark = pytest.mark.slow


def test_official_openai_client(live: Live) -> None:
    client = openai.OpenAI(
        base_url=f"{live.url}/v1", api_key=live.keys["customer"], max_retries=0, timeout=120
    )
    assert "shop" in [m.id for m in client.models.list()]

    completion = client.chat.completions.create(
        model="shop", messages=[{"role": "user", "content": EN_QUESTION}]
    )
    text = completion.choices[0].message.content
    assert text and completion.choices[0].finish_reason == "stop"
    citations = completion.model_extra["citations"]
    assert citations and citations[0]["source"] == "returns.md" and "30" in text

    stream = client.chat.completions.create(
        model="shop",
        stream=True,
        stream_options={"include_usage": True},
        messages=[
            {"role": "user", "content": "你好"},
            {"role": "assistant", "content": "您好！"},
            {"role": "user", "content": ZH_QUESTION},
        ],
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = next(c for c in chunks if c.choices and c.choices[0].finish_reason == "stop")
    assert streamed and final.model_extra["citations"] and chunks[-1].usage.total_tokens > 0

    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{live.url}/v1", api_key="kefu_wrong", max_retries=0).models.list()


def test_agent_feed_streams_new_tickets(live: Live) -> None:
    events: list[tuple[str, dict]] = []
    connected = threading.Event()
    escalated = threading.Event()

    def listen() -> None:
        with httpx.Client(base_url=live.url, timeout=httpx.Timeout(30.0)) as client:
            with client.stream("GET", "/v1/agent/feed", headers=auth(live.keys["agent"])) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                name = ""
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        events.append((name, json.loads(line[5:])))
                        connected.set()
                        if name == "ticket":
                            escalated.set()
                            return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert connected.wait(20), "the feed sent no first event"
    assert events[0][0] == "inbox"
    with httpx.Client(base_url=live.url, timeout=30) as client:
        customer = auth(live.keys["customer"])
        session_id = client.post("/v1/sessions", json={"kb": "shop"}, headers=customer).json()["id"]
        client.post(f"/v1/sessions/{session_id}/escalate", json={"reason": "billing"}, headers=customer)
    assert escalated.wait(20), events
    ticket = events[-1][1]
    assert ticket["session_id"] == session_id and ticket["reasons"] == ["explicit_request"]
    assert ticket["status"] == "open" and ticket["package"]


def test_request_id_and_json_logs(live: Live) -> None:
    response = httpx.get(f"{live.url}/healthz", headers={"X-Request-ID": "live-check-1"})
    assert response.headers["x-request-id"] == "live-check-1"
    deadline = time.monotonic() + 10  # the access line is written once the response has gone out
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in live.log.read_text().splitlines() if line.startswith("{")]
        if any(line.get("request_id") == "live-check-1" and line.get("path") == "/healthz" for line in lines):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("no JSON access log line with the request id")
    assert all(line["logger"] != "uvicorn.access" for line in lines)
