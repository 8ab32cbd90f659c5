"""Tenant isolation: a key never sees another tenant's knowledge bases, sessions, jobs or messages;
a customer key sees only its own sessions; a key limited to some knowledge bases sees only those."""

from __future__ import annotations

from api_fixture import ZH_QUESTION, Harness, auth

from api.auth import create_key


def test_other_tenant_cannot_see_or_use_the_knowledge_base(harness: Harness) -> None:
    client, beta = harness.client, harness.beta
    assert [kb["name"] for kb in client.get("/v1/kbs", headers=auth(beta["owner"])).json()] == ["beta-kb"]
    assert [m["id"] for m in client.get("/v1/models", headers=auth(beta["customer"])).json()["data"]] == [
        "beta-kb"
    ]
    denied = [
        client.post("/v1/search", json={"kb": "shop", "query": "returns"}, headers=auth(beta["owner"])),
        client.get("/v1/kbs/shop", headers=auth(beta["owner"])),
        client.get("/v1/kbs/shop/documents", headers=auth(beta["owner"])),
        client.get("/v1/kbs/shop/faqs", headers=auth(beta["admin"])),
        client.get("/v1/kbs/shop/jobs", headers=auth(beta["admin"])),
        client.post(
            "/v1/kbs/shop/documents", files=[("files", ("x.md", b"# x\n\ny\n"))], headers=auth(beta["owner"])
        ),
        client.delete("/v1/kbs/shop", headers=auth(beta["admin"])),
        client.post("/v1/sessions", json={"kb": "shop"}, headers=auth(beta["customer"])),
        client.get("/v1/models/shop", headers=auth(beta["customer"])),
        client.get("/v1/analytics?kb=shop", headers=auth(beta["qa"])),
    ]
    assert [r.status_code for r in denied] == [404] * len(denied)
    assert denied[0].json()["detail"] == "knowledge base 'shop' not found"
    completion = client.post(
        "/v1/chat/completions",
        json={"model": "shop", "messages": [{"role": "user", "content": "returns?"}]},
        headers=auth(beta["customer"]),
    )
    assert completion.status_code == 404 and completion.json()["error"]["type"] == "not_found_error"
    assert client.get("/v1/kbs/shop", headers=auth(harness.acme["owner"])).status_code == 200


def test_other_tenant_cannot_reach_sessions_messages_or_jobs(harness: Harness) -> None:
    client, acme, beta = harness.client, harness.acme, harness.beta
    session_id = harness.session(acme["customer"])
    answer = harness.ask(acme["customer"], session_id, ZH_QUESTION)
    for role in ("customer", "agent", "qa", "owner", "admin"):
        key = beta[role]
        assert client.get(f"/v1/sessions/{session_id}/messages", headers=auth(key)).status_code in (403, 404)
        assert client.get(f"/v1/sessions/{session_id}", headers=auth(key)).status_code in (403, 404)
    assert (
        client.post(
            f"/v1/sessions/{session_id}/messages", json={"text": "hi"}, headers=auth(beta["customer"])
        ).status_code
        == 404
    )
    assert (
        client.post(f"/v1/sessions/{session_id}/escalate", json={}, headers=auth(beta["admin"])).status_code
        == 404
    )
    assert (
        client.post(
            f"/v1/messages/{answer['message_id']}/feedback",
            json={"rating": -1},
            headers=auth(beta["customer"]),
        ).status_code
        == 404
    )
    ticket = client.post(
        f"/v1/sessions/{session_id}/escalate", json={}, headers=auth(acme["customer"])
    ).json()
    ticket_id = ticket["ticket"]["id"]
    assert client.get(f"/v1/agent/tickets/{ticket_id}", headers=auth(beta["agent"])).status_code == 404
    assert (
        client.post(
            f"/v1/agent/tickets/{ticket_id}/reply", json={"text": "hi"}, headers=auth(beta["agent"])
        ).status_code
        == 404
    )
    assert all(
        t["id"] != ticket_id for t in client.get("/v1/agent/inbox", headers=auth(beta["agent"])).json()
    )
    assert any(
        t["id"] == ticket_id for t in client.get("/v1/agent/inbox", headers=auth(acme["agent"])).json()
    )
    jobs = client.get("/v1/kbs/shop/jobs", headers=auth(acme["owner"])).json()
    assert client.get(f"/v1/jobs/{jobs[0]['id']}", headers=auth(beta["owner"])).status_code == 404
    assert client.get(f"/v1/jobs/{jobs[0]['id']}", headers=auth(acme["owner"])).status_code == 200
    # A question in tenant beta's knowledge base cannot be answered from tenant acme's documents.
    search = client.post(
        "/v1/search",
        json={"kb": "beta-kb", "query": "return within 30 days receipt"},
        headers=auth(beta["owner"]),
    ).json()
    assert {hit["source"] for hit in search["hits"]} <= {"launch.md"}


def test_customer_keys_see_only_their_own_sessions(harness: Harness) -> None:
    client = harness.client
    mine = harness.session(harness.acme["customer"])
    other_customer = harness.extra["customer2"]
    assert client.get(f"/v1/sessions/{mine}/messages", headers=auth(other_customer)).status_code == 404
    assert (
        client.post(f"/v1/sessions/{mine}/escalate", json={}, headers=auth(other_customer)).status_code == 404
    )
    # Staff of the same tenant may read it.
    for role in ("agent", "qa", "owner", "admin"):
        assert (
            client.get(f"/v1/sessions/{mine}/messages", headers=auth(harness.acme[role])).status_code == 200
        )


def test_keys_limited_to_knowledge_bases(harness: Harness) -> None:
    with harness.services.db.session() as session:
        scoped = create_key(session, role="owner", tenant="acme", kbs=["elsewhere"]).key
    client = harness.client
    assert client.get("/v1/kbs", headers=auth(scoped)).json() == []
    assert client.get("/v1/kbs/shop/documents", headers=auth(scoped)).status_code == 404
    assert client.post("/v1/kbs", json={"name": "not-in-scope"}, headers=auth(scoped)).status_code == 403
    assert client.get("/v1/me", headers=auth(scoped)).json()["kbs"] == ["elsewhere"]


def test_knowledge_base_names_are_unique_across_tenants(harness: Harness) -> None:
    taken = harness.client.post("/v1/kbs", json={"name": "shop"}, headers=auth(harness.beta["owner"]))
    assert taken.status_code == 409
    assert harness.client.get("/v1/kbs/shop", headers=auth(harness.beta["owner"])).status_code == 404
