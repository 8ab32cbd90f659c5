"""GET /v1/analytics serves the metrics service's numbers; bad input is a 4xx; feedback takes a 1-5 score."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_fixture import api_settings, auth, make_keys
from conversation_fixture import build
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.models import Feedback
from ingest.embedding import Embedder
from ingest.models import KnowledgeBase

WINDOW = "since=2026-11-01T00:00:00Z&until=2026-11-05T00:00:00Z"


@pytest.fixture
def app_client(tmp_path: Path, embedder: Embedder) -> Iterator[tuple[TestClient, dict[str, str], object]]:
    app = create_app(api_settings(tmp_path / "data"))
    services = app.state.services
    keys = make_keys(services, "default")
    fixture = build(services.settings, services.db, embedder)
    with services.db.session() as session:
        for name in ("shop", "bank"):
            session.add(KnowledgeBase(name=name, tenant="default", embed_model=embedder.name, embed_dim=384))
    with TestClient(app) as client:
        yield client, keys, fixture


def test_analytics_route_serves_the_service_numbers(app_client) -> None:
    client, keys, _ = app_client
    body = client.get(f"/v1/analytics?{WINDOW}", headers=auth(keys["qa"])).json()
    m = body["metrics"]
    assert (body["sessions"], body["answers"], body["escalations"]) == (8, 8, 2)
    assert (body["latency_ms_p50"], body["latency_ms_p95"], body["refusal_rate"]) == (175.0, 365.0, 0.25)
    assert (m["automated_resolution_rate"], m["first_contact_resolution_rate"]) == (
        round(1 / 7, 4),
        round(2 / 7, 4),
    )
    assert (m["first_token_ms_p50"], m["handling_s_p50"], m["sla_breaches"], m["csat"]) == (
        75.0,
        1680.0,
        1,
        round(2 / 3, 4),
    )
    assert set(body["by"]) == {"day", "kb", "channel", "lang", "arm"}
    days = {row["key"]: row["metrics"]["contacts"] for row in body["by"]["day"]}
    assert days == {"2026-11-02": 3, "2026-11-03": 3, "2026-11-04": 1}

    bank = client.get(f"/v1/analytics?kb=bank&by=channel&{WINDOW}", headers=auth(keys["owner"])).json()
    assert (
        bank["sessions"] == 2 and set(bank["by"]) == {"channel"} and bank["metrics"]["sla_breach_rate"] == 1.0
    )
    short = client.get(f"/v1/analytics?repeat_window_hours=20&{WINDOW}", headers=auth(keys["qa"])).json()
    assert short["metrics"]["automated_resolutions"] == 3


def test_analytics_bad_input_is_a_4xx(app_client) -> None:
    client, keys, _ = app_client
    qa = auth(keys["qa"])
    assert client.get("/v1/analytics?by=weekday", headers=qa).status_code == 422
    assert client.get("/v1/analytics?since=2026-11-05&until=2026-11-01", headers=qa).status_code == 422
    assert client.get("/v1/analytics?kb=nosuch", headers=qa).status_code == 404
    assert client.get("/v1/analytics?repeat_window_hours=0", headers=qa).status_code == 422
    assert client.get("/v1/analytics", headers=auth(keys["customer"])).status_code == 403


def test_feedback_takes_an_optional_score(app_client) -> None:
    client, keys, fixture = app_client
    message = fixture.messages["C5.a1"]
    # The customer key of the fixture did not create the session: an owner key gives feedback here.
    bad = client.post(
        f"/v1/messages/{message}/feedback", json={"rating": 1, "score": 6}, headers=auth(keys["owner"])
    )
    assert bad.status_code == 422
    good = client.post(
        f"/v1/messages/{message}/feedback", json={"rating": 1, "score": 4}, headers=auth(keys["owner"])
    )
    assert good.status_code == 201 and good.json()["score"] == 4
    services = client.app.state.services
    with services.db.session() as session:
        scores = sorted(f.score for f in session.query(Feedback).all() if f.score is not None)
    assert scores == [2, 4, 4, 5]  # the rejected 6 stored nothing
    body = client.get(f"/v1/analytics?{WINDOW}", headers=auth(keys["qa"])).json()
    assert body["metrics"]["scores"] == 4 and body["metrics"]["csat"] == 0.75


@pytest.fixture
def gap_client(tmp_path: Path, embedder: Embedder) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from gap_fixture import build_gaps

    app = create_app(api_settings(tmp_path / "data"))
    services = app.state.services
    keys = make_keys(services, "default")
    build_gaps(services.settings, services.db, embedder)
    with TestClient(app) as client:
        yield client, keys


def test_gap_routes_list_clusters_and_propose_a_candidate(gap_client) -> None:
    from gap_fixture import AGENT_ANSWER, PAYPAL, SHIPPING

    client, keys = gap_client
    window = "since=2026-11-01T00:00:00Z&until=2026-11-09T00:00:00Z"
    body = client.get(f"/v1/analytics/gaps?kb=shop&{window}", headers=auth(keys["qa"])).json()
    assert body["failed"] == 7
    top = body["clusters"][0]
    assert top["name"] in SHIPPING and top["trend"] == 1 and top["chunks"][0]["source"] == "shipping.md"
    paypal = next(c for c in body["clusters"] if c["name"] in PAYPAL)
    assert paypal["agent_answers"] == [AGENT_ANSWER] and len(paypal["examples"]) == 3

    proposed = client.post(
        "/v1/analytics/gaps/faq-candidates",
        headers=auth(keys["qa"]),
        json={
            "kb": "shop",
            "question": paypal["name"],
            "answer": paypal["agent_answers"][0],
            "volume": paypal["volume"],
        },
    )
    assert proposed.status_code == 201, proposed.text
    candidate = proposed.json()
    assert (candidate["status"], candidate["answer"], candidate["review_note"]) == (
        "pending",
        AGENT_ANSWER,
        "from a gap cluster of 3 questions",
    )
    queue = client.get("/v1/kbs/shop/faq-candidates", headers=auth(keys["owner"])).json()
    assert [c["id"] for c in queue] == [candidate["id"]]

    # Bad input: 4xx, and the queue keeps what it had.
    qa = auth(keys["qa"])
    assert (
        client.post(
            "/v1/analytics/gaps/faq-candidates", headers=qa, json={"kb": "shop", "question": ""}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/v1/analytics/gaps/faq-candidates", headers=qa, json={"kb": "shop", "question": "x", "extra": 1}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/v1/analytics/gaps/faq-candidates",
            headers=qa,
            json={"kb": "nosuch", "question": "Do you ship to Canada?"},
        ).status_code
        == 404
    )
    assert client.get("/v1/analytics/gaps?kb=nosuch", headers=qa).status_code == 404
    assert client.get("/v1/analytics/gaps", headers=auth(keys["customer"])).status_code == 403
    assert [
        c["id"] for c in client.get("/v1/kbs/shop/faq-candidates", headers=auth(keys["owner"])).json()
    ] == [candidate["id"]]


def test_qa_routes_score_and_explain(app_client) -> None:
    client, keys, fixture = app_client
    qa = auth(keys["qa"])
    scores = client.get(f"/v1/analytics/qa?{WINDOW}", headers=qa).json()
    worst = {s["conversation_id"] for s in scores[:2]}
    assert len(scores) == 7 and worst == {fixture.ids["C4"], fixture.ids["C2"]} and scores[0]["score"] == 65.0
    assert [s["score"] for s in scores] == sorted(s["score"] for s in scores)
    one = client.get(f"/v1/analytics/qa/{fixture.ids['C2']}", headers=qa).json()
    assert one["score"] == 65.0 and one["explanation"] == "65: rephrasing x1 (-10), thumbs_down x1 (-25)"
    assert {s["code"]: s["points"] for s in one["signals"]} == {"rephrasing": -10, "thumbs_down": -25}
    assert len(client.get(f"/v1/analytics/qa?limit=2&{WINDOW}", headers=qa).json()) == 2
    assert client.get("/v1/analytics/qa/nosuch", headers=qa).status_code == 404
    other = make_keys(client.app.state.services, "beta", ("qa",))
    assert client.get(f"/v1/analytics/qa/{fixture.ids['C2']}", headers=auth(other["qa"])).status_code == 404
    beta = client.get(f"/v1/analytics/qa?{WINDOW}", headers=auth(other["qa"])).json()
    assert [s["conversation_id"] for s in beta] == [fixture.ids["C11"]]  # its tenant's conversation only
    assert client.get("/v1/analytics/qa?limit=0", headers=qa).status_code == 422


def test_faq_entries_include_uploaded_csv_rows(tmp_path: Path) -> None:
    from api_fixture import upload

    app = create_app(api_settings(tmp_path / "data"))
    keys = make_keys(app.state.services, "default")
    faq_csv = tmp_path / "faq.csv"
    faq_csv.write_text(
        "question,answer,similar\nDo you gift-wrap?,Yes for 5 dollars.,Can you wrap my present?\n"
        "退货要多久？,七个工作日内退款。,\n",
        encoding="utf-8",
    )
    with TestClient(app) as client:
        owner = auth(keys["owner"])
        assert client.post("/v1/kbs", json={"name": "shop"}, headers=owner).status_code == 201
        assert upload(client, keys["owner"], "shop", [faq_csv])["status"] == "succeeded"
        typed = client.post(
            "/v1/kbs/shop/faqs",
            headers=owner,
            json={"question": "Where is the shop?", "similar_questions": [], "answer": "12 Main Street."},
        )
        assert typed.status_code == 201, typed.text
        entries = client.get("/v1/kbs/shop/faq-entries", headers=owner).json()
        by_question = {e["question"]: e for e in entries}
        assert set(by_question) == {"Do you gift-wrap?", "退货要多久？", "Where is the shop?"}
        wrap = by_question["Do you gift-wrap?"]
        assert (wrap["answer"], wrap["similar_questions"], wrap["source"], wrap["editable"]) == (
            "Yes for 5 dollars.",
            ["Can you wrap my present?"],
            "faq.csv",
            False,
        )
        assert by_question["退货要多久？"]["answer"] == "七个工作日内退款。"
        assert by_question["Where is the shop?"]["editable"] is True
        assert client.get("/v1/kbs/nosuch/faq-entries", headers=owner).status_code == 404
        assert client.get("/v1/kbs/shop/faq-entries", headers=auth(keys["customer"])).status_code == 403


def test_qa_route_with_the_llm_judge(app_client, scripted_llm, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    client, keys, fixture = app_client
    qa = auth(keys["qa"])
    refused = client.get(f"/v1/analytics/qa/{fixture.ids['C2']}?judge=true", headers=qa)
    assert refused.status_code == 422 and "KEFU_ANALYTICS_QA_JUDGE_MODEL" in refused.text
    # The setting is read when the service starts: a second service on the same data.
    monkeypatch.setenv("KEFU_ANALYTICS_QA_JUDGE_MODEL", "kefu-test/judge")
    judged_app = create_app(api_settings(client.app.state.services.settings.data_dir))
    scripted_llm.replies["judge"] = '{"rating": 4, "reason": "Answered, but the customer had to ask twice."}'
    with TestClient(judged_app) as client:
        one = client.get(f"/v1/analytics/qa/{fixture.ids['C2']}?judge=true", headers=qa).json()
        assert one["score"] == 65.0 and one["judged"] == {
            "model": "kefu-test/judge",
            "rating": 4,
            "score": 75.0,
            "reason": "Answered, but the customer had to ask twice.",
            "error": None,
        }
        worst = client.get(f"/v1/analytics/qa?judge=true&limit=3&{WINDOW}", headers=qa).json()
        assert len(worst) == 3 and all(s["judged"]["rating"] == 4 for s in worst)
        assert client.get(f"/v1/analytics/qa/{fixture.ids['C2']}", headers=qa).json()["judged"] is None
