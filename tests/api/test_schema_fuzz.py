"""Schema fuzzing: schemathesis generates requests from our OpenAPI schema, valid and invalid, for
every operation, and sends them to the in-process app (ASGI, no network) with a key of the role
the route is for. No request may get a server error (5xx).

Bounded: FUZZ_EXAMPLES cases per operation and generation mode, no Hypothesis deadline. Known ids
(the `shop` knowledge base, a session, a ticket) replace generated path parameters in half of the
cases, so the fuzzing reaches past the 404s, except on the operations that would delete the
knowledge base, re-ingest it or run the answer pipeline (the LLM) on fuzzed text.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from api_fixture import SHOP_DOCS, api_settings, auth, make_keys, upload, write_docs
from fastapi.testclient import TestClient

from api.app import create_app

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

FUZZ_EXAMPLES = int(os.environ.get("KEFU_FUZZ_EXAMPLES", "20"))
# Operations whose real ids would change or load the whole fixture: fuzzed with generated ids only.
NO_REAL_IDS = {
    ("DELETE", "/v1/kbs/{kb}"),
    ("POST", "/v1/kbs/{kb}/reingest"),
    ("POST", "/v1/kbs/{kb}/documents"),
    ("POST", "/v1/sessions/{session_id}/messages"),
}

# Operations without inputs that take a second or more per call (a live event stream cut at
# schemathesis's deadline; readiness probes of every dependency): a couple of cases are enough.
FEW_EXAMPLES = {"GET /v1/agent/feed": 2, "GET /readyz": 2}


def _role(operation: Any) -> str:
    path = operation.path
    if path.startswith("/v1/agent") or path.startswith("/v1/channels/outbox"):
        return "agent"
    if path.startswith(("/v1/sessions", "/v1/messages", "/v1/chat", "/v1/models")):
        return "customer"
    return "owner"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzz_app(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    # PostgreSQL refuses more than SQLite (NUL in text, integers past 2^31): both are fuzzed.
    root = tmp_path
    database = (
        {"database_url": request.getfixturevalue("postgres_url")} if request.param == "postgres" else {}
    )
    app = create_app(api_settings(root / "data", **database))
    keys = make_keys(app.state.services, "acme")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/v1/kbs", json={"name": "shop"}, headers=auth(keys["owner"])).status_code == 201
        job = upload(client, keys["owner"], "shop", write_docs(root / "docs", SHOP_DOCS))
        assert job["status"] == "succeeded", job
        session_id = client.post("/v1/sessions", json={"kb": "shop"}, headers=auth(keys["customer"])).json()[
            "id"
        ]
        ticket = client.post(
            f"/v1/sessions/{session_id}/escalate", json={}, headers=auth(keys["customer"])
        ).json()
        known = {"kb": "shop", "model": "shop", "session_id": session_id, "ticket_id": ticket["ticket"]["id"]}
        yield app, keys, known


def test_no_server_errors_under_schema_fuzzing(fuzz_app: Any, capsys: pytest.CaptureFixture[str]) -> None:
    app, keys, known = fuzz_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    cases: Counter[str] = Counter()
    errors: list[str] = []
    skipped: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30  # the whole API, not a part of it

    for operation in operations:
        key = keys[_role(operation)]
        real_ids = (operation.method.upper(), operation.path) not in NO_REAL_IDS
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, headers=auth(key))

            @settings(
                max_examples=FEW_EXAMPLES.get(operation.label, FUZZ_EXAMPLES),
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy, use_known=st.booleans())
            def run(case: Any, use_known: bool) -> None:
                if use_known and real_ids and case.path_parameters:
                    for name in case.path_parameters:
                        if name in known:
                            case.path_parameters[name] = known[name]
                cases[operation.label] += 1
                try:
                    status = case.call().status_code
                except Exception as exc:  # the in-process transport re-raises what the app did not handle
                    status, detail = 500, f"{type(exc).__name__}: {exc}"
                else:
                    detail = ""
                if status >= 500:
                    errors.append(
                        f"{operation.label} [{mode.value}] -> {status} {detail[:300]}\n  "
                        f"path={case.path_parameters} query={case.query} body={str(case.body)[:300]}"
                    )

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (no parameters, no body): positive cases only
                assert mode is GenerationMode.NEGATIVE, operation.label
                skipped.append(operation.label)

    total = sum(cases.values())
    with capsys.disabled():
        print(
            f"\nschemathesis: {total} cases over {len(cases)} operations, {len(errors)} server errors "
            f"(no invalid cases possible for {len(skipped)} operations)"
        )
    assert total >= len(operations) * 2
    assert not errors, "\n".join(errors[:30])
