"""The agent desk over HTTP: a customer escalates, an agent claims, replies and resolves; the
resolution comes back as an FAQ candidate the owner accepts."""

from __future__ import annotations

from api_fixture import ZH_QUESTION, Harness, auth


def test_ticket_lifecycle_and_faq_candidate(harness: Harness) -> None:
    client, acme = harness.client, harness.acme
    customer, agent, admin, owner = acme["customer"], acme["agent"], acme["admin"], acme["owner"]
    session_id = harness.session(customer, user_id="cust-42", user_profile={"order": "A-1001"})
    harness.ask(customer, session_id, "Can I pay with a gift card from another shop?")
    ticket_id = client.post(
        f"/v1/sessions/{session_id}/escalate", json={"reason": "wants a person"}, headers=auth(customer)
    ).json()["ticket"]["id"]

    inbox = client.get("/v1/agent/inbox", headers=auth(agent)).json()
    ticket = next(t for t in inbox if t["id"] == ticket_id)
    assert ticket["status"] == "open" and ticket["assignee"] is None and ticket["session_id"] == session_id
    assert ticket["priority_name"] and ticket["first_response_due_at"] and not ticket["breached"]
    assert client.get(f"/v1/agent/tickets/{ticket_id}", headers=auth(agent)).json()["package"]

    claimed = client.post(f"/v1/agent/tickets/{ticket_id}/claim", headers=auth(agent))
    assert claimed.status_code == 200 and claimed.json()["status"] == "claimed"
    taken = client.post(f"/v1/agent/tickets/{ticket_id}/claim", headers=auth(admin))
    assert taken.status_code == 409 and "claimed by" in taken.json()["detail"]
    assert client.post(f"/v1/agent/tickets/{ticket_id}/claim", headers=auth(agent)).status_code == 200
    mine = client.get("/v1/agent/inbox?mine=true", headers=auth(agent)).json()
    assert [t["id"] for t in mine if t["id"] == ticket_id] == [ticket_id]

    answer = "Sorry, we only accept our own gift cards, but you can pay the rest by card."
    reply = client.post(f"/v1/agent/tickets/{ticket_id}/reply", json={"text": answer}, headers=auth(agent))
    assert reply.status_code == 201 and reply.json()["role"] == "agent"
    assert (
        client.post(
            f"/v1/agent/tickets/{ticket_id}/reply", json={"text": "me too"}, headers=auth(admin)
        ).status_code
        == 409
    )
    silent = harness.ask(customer, session_id, "Thanks, and can I split the payment?")
    assert silent["mode"] == "human" and silent["text"] == ""
    seen = client.get(f"/v1/sessions/{session_id}/messages", headers=auth(customer)).json()
    assert [m["content"] for m in seen if m["role"] == "agent"] == [answer]

    resolved = client.post(
        f"/v1/agent/tickets/{ticket_id}/resolve", json={"resolution": answer}, headers=auth(agent)
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["ticket"]["status"] == "resolved"
    candidate = resolved.json()["faq_candidate"]
    assert candidate and candidate["answer"] == answer and candidate["kb"] == "shop"
    assert all(t["id"] != ticket_id for t in client.get("/v1/agent/inbox", headers=auth(agent)).json())
    assert (
        client.post(f"/v1/agent/tickets/{ticket_id}/resolve", json={}, headers=auth(agent)).status_code == 409
    )
    answered = harness.ask(customer, session_id, ZH_QUESTION)
    assert answered["mode"] != "human" and answered["text"]

    pending = client.get(
        f"/v1/kbs/shop/faq-candidates?status={candidate['status']}", headers=auth(owner)
    ).json()
    assert candidate["id"] in [c["id"] for c in pending]
    if candidate["status"] == "pending":
        accepted = client.post(
            f"/v1/kbs/shop/faq-candidates/{candidate['id']}/accept",
            json={"question": "Can I pay with another shop's gift card?"},
            headers=auth(owner),
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "accepted"
        faqs = client.get("/v1/kbs/shop/faqs", headers=auth(owner)).json()
        assert any(
            f["question"] == "Can I pay with another shop's gift card?" and f["answer"] == answer
            for f in faqs
        )
        again = client.post(
            f"/v1/kbs/shop/faq-candidates/{candidate['id']}/reject", json={}, headers=auth(owner)
        )
        assert again.status_code == 409
    assert client.get("/v1/kbs/shop/faq-candidates?status=bogus", headers=auth(owner)).status_code == 422
    assert (
        client.post("/v1/kbs/shop/faq-candidates/999999/accept", json={}, headers=auth(owner)).status_code
        == 404
    )


def test_agent_input_errors(harness: Harness) -> None:
    agent = auth(harness.acme["agent"])
    assert harness.client.post("/v1/agent/tickets/999999/claim", headers=agent).status_code == 404
    assert (
        harness.client.post("/v1/agent/tickets/999999/reply", json={"text": ""}, headers=agent).status_code
        == 422
    )
    assert harness.client.get("/v1/agent/inbox?status=lost", headers=agent).status_code == 422
