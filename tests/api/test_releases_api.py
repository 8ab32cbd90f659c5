"""Release arms through the API and the CLI, on SQLite and PostgreSQL, with review before publish
(KEFU_AUTO_PUBLISH=false): a customer gets the draft only through a release's candidate arm; sessions
keep their arm; abort is immediate; status shows the arms side by side from stored turns; promote
runs the release's eval suite on both arms and is refused (409, exit 5) by a failing gate; a release
started or a version published on one API worker is served by another (a second process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_fixture import (
    ZH_QUESTION,
    api_settings,
    auth,
    kefu_server,
    make_keys,
    parse_sse,
    upload,
    write_docs,
)
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from assistant.models import ChatMessage
from ingest.config import get_settings

THIRTY = "# 退货政策\n\n收货后三十天内可以退货，请保留原始收据。\n"
SEVEN = "# 退货政策\n\n收货后七天内可以退货，请保留原始收据。\n"
SUITE = "returns-golden.jsonl"
ANSWERABLE_ONLY = "returns-answerable.jsonl"  # no unanswerable question: refusal recall can't be computed
SHIPPING = "# 配送\n\n订单在两个工作日内发货，偏远地区另加运费。\n"
SHIPPING_QUESTION = "订单多久发货？"  # the same in every version
# Asked again in one session (a third rephrasing of one question is handed to a human).
RETURNS_AGAIN = "收货后多少天内可以退货？"


@pytest.fixture
def suites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data sets folder holding a small golden set on the returns policy (two questions the
    published version answers, one nothing answers); escalation off."""
    folder = tmp_path / "datasets"
    folder.mkdir()
    questions = [
        {"id": "r1", "question": ZH_QUESTION, "reference_answer": "三十天", "answerable": True},
        {
            "id": "r2",
            "question": "收货后多少天内可以退货？",
            "reference_answer": "三十天",
            "answerable": True,
        },
        {"id": "r3", "question": "你们的股票代码是多少？", "reference_answer": "", "answerable": False},
    ]
    with (folder / SUITE).open("w", encoding="utf-8") as handle:
        for q in questions:
            aliases = [["三十"]] if q["answerable"] else []
            handle.write(json.dumps({**q, "answer_aliases": aliases}, ensure_ascii=False) + "\n")
    with (folder / ANSWERABLE_ONLY).open("w", encoding="utf-8") as handle:
        for q in questions[:2]:
            handle.write(json.dumps({**q, "answer_aliases": [["三十"]]}, ensure_ascii=False) + "\n")
    monkeypatch.setenv("KEFU_DATASETS", str(folder))
    # Several turns per session on one topic: no handoff to a human here (not what is tested).
    monkeypatch.setenv("KEFU_ESCALATION_ENABLED", "false")
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def ask(client: Any, key: str, session_id: str | None = None, text: str = ZH_QUESTION) -> dict[str, Any]:
    if session_id is None:
        created = client.post("/v1/sessions", json={"kb": "shop"}, headers=auth(key))
        assert created.status_code == 201, created.text
        session_id = created.json()["id"]
    answer = client.post(f"/v1/sessions/{session_id}/messages", json={"text": text}, headers=auth(key))
    assert answer.status_code == 200, answer.text
    return answer.json()


def stored(app: Any, message_id: str) -> tuple[str | None, int | None]:
    """(arm, knowledge-base version) recorded on the reply."""
    with app.state.services.db.session() as session:
        row = session.scalar(select(ChatMessage).where(ChatMessage.id == message_id))
        assert row is not None
        return row.arm, row.kb_version


def test_release_arms_abort_status_and_gated_promote(
    suites: Path, unpublished_settings: Any, tmp_path: Path
) -> None:
    # suites first: it sets the environment the settings are read from
    app = create_app(unpublished_settings)
    keys = make_keys(app.state.services, "acme")
    owner, qa, customer = keys["owner"], keys["qa"], keys["customer"]
    with TestClient(app) as client:
        assert client.post("/v1/kbs", json={"name": "shop"}, headers=auth(owner)).status_code == 201
        upload(
            client,
            owner,
            "shop",
            write_docs(tmp_path / "v1", {"zh-returns.md": THIRTY, "zh-shipping.md": SHIPPING}),
        )
        assert client.post("/v1/kbs/shop/versions/1/publish", headers=auth(owner)).status_code == 200
        upload(client, owner, "shop", write_docs(tmp_path / "v2", {"zh-returns.md": SEVEN}))  # v2: a draft

        # Before any release: customers get the published version, on the published arm.
        before = ask(client, customer)
        old_session = before["session_id"]
        assert "三十" in before["text"] and stored(app, before["message_id"]) == ("published", 1)
        assert client.get("/v1/kbs/shop/release", headers=auth(qa)).status_code == 404

        start = {"share": 1.0, "suite": SUITE, "version": 2}
        for key in (customer, qa):
            assert client.post("/v1/kbs/shop/release", json=start, headers=auth(key)).status_code == 403
        other_tenant = make_keys(app.state.services, "beta", ("owner",))["owner"]
        assert client.post("/v1/kbs/shop/release", json=start, headers=auth(other_tenant)).status_code == 404
        for bad in (
            {**start, "share": 1.5},
            {**start, "version": 99},
            {**start, "settings": {"llm_api_key": "x"}},
            {**start, "suite": "/etc/passwd"},
            {**start, "suite": "../datasets/" + SUITE},
            {**start, "suite": "no-such-set"},
            {"share": 0.5, "suite": SUITE},  # a candidate identical to the published arm
            {**start, "extra": 1},
        ):
            response = client.post("/v1/kbs/shop/release", json=bad, headers=auth(owner))
            assert response.status_code == 422, (bad, response.text)
        assert client.get("/v1/kbs/shop/release", headers=auth(qa)).status_code == 404  # nothing stored

        started = client.post("/v1/kbs/shop/release", json=start, headers=auth(owner))
        assert started.status_code == 201, started.text
        assert [(a["name"], a["version"]) for a in started.json()["arms"]] == [
            ("published", 1),
            ("candidate", 2),
        ]
        assert client.post("/v1/kbs/shop/release", json=start, headers=auth(owner)).status_code == 409

        # The session that had turns stays on the published arm; a new one gets the candidate.
        assert "三十" in ask(client, customer, old_session, RETURNS_AGAIN)["text"]
        canary = ask(client, customer)
        canary_session = canary["session_id"]
        assert "七天" in canary["text"] and stored(app, canary["message_id"]) == ("candidate", 2)
        # A streamed turn is answered and recorded by its arm too.
        streamed_session = client.post("/v1/sessions", json={"kb": "shop"}, headers=auth(customer)).json()[
            "id"
        ]
        with client.stream(
            "POST",
            f"/v1/sessions/{streamed_session}/messages",
            json={"text": ZH_QUESTION},
            headers=auth(customer, Accept="text/event-stream"),
        ) as response:
            final = parse_sse(response.read().decode())[-1][1]
        assert "七天" in final["text"] and stored(app, final["message_id"]) == ("candidate", 2)

        # Share down to 0: new sessions get the published arm; the candidate session keeps its arm.
        shared = client.put("/v1/kbs/shop/release/share", json={"share": 0.0}, headers=auth(owner))
        assert shared.status_code == 200 and shared.json()["share"] == 0.0
        fresh = ask(client, customer)
        assert "三十" in fresh["text"] and stored(app, fresh["message_id"]) == ("published", 1)
        again = ask(client, customer, canary_session, RETURNS_AGAIN)
        assert "七天" in again["text"] and stored(app, again["message_id"]) == ("candidate", 2)

        thumbs = client.post(
            f"/v1/messages/{canary['message_id']}/feedback", json={"rating": -1}, headers=auth(customer)
        )
        assert thumbs.status_code in (200, 201), thumbs.text
        status = client.get("/v1/kbs/shop/release", headers=auth(qa)).json()
        arms = {a["name"]: a for a in status["arms"]}
        assert status["state"] == "running"
        assert (arms["published"]["sessions"], arms["candidate"]["sessions"]) == (2, 2)
        assert (arms["published"]["metrics"]["answers"], arms["candidate"]["metrics"]["answers"]) == (1, 3)
        assert arms["candidate"]["metrics"]["answer_ms_p95"] is not None
        assert (arms["candidate"]["metrics"]["thumbs_down"], arms["published"]["metrics"]["thumbs_down"]) == (
            1,
            0,
        )

        # Abort: the candidate session's next turn is the published arm's.
        aborted = client.post("/v1/kbs/shop/release/abort", headers=auth(owner))
        assert aborted.status_code == 200 and aborted.json()["state"] == "aborted"
        after = ask(client, customer, canary_session, SHIPPING_QUESTION)
        assert "两个工作日" in after["text"] and stored(app, after["message_id"]) == ("published", 1)
        assert client.post("/v1/kbs/shop/release/abort", headers=auth(owner)).status_code == 409
        assert client.post("/v1/kbs/shop/release/promote", headers=auth(owner)).status_code == 409

        # Promote runs the suite on both arms: a candidate that refuses what the published arm
        # answers fails the gate, and nothing changes.
        strict = {"share": 0.0, "suite": SUITE, "settings": {"answerable_threshold": 1.0}}
        assert client.post("/v1/kbs/shop/release", json=strict, headers=auth(owner)).status_code == 201
        refused = client.post("/v1/kbs/shop/release/promote", headers=auth(owner))
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert "correct" in {f["metric"] for f in body["failures"]}, body
        assert body["baseline_run"] and body["candidate_run"] and "gate failed" in body["detail"]
        assert client.get("/v1/kbs/shop/release", headers=auth(qa)).json()["state"] == "running"
        assert client.get("/v1/kbs/shop", headers=auth(owner)).json()["published_version"] == 1
        assert client.post("/v1/kbs/shop/release/abort", headers=auth(owner)).status_code == 200

        # A candidate as good as the published arm (the returns policy re-uploaded: version 3)
        # passes, and promoting publishes its version; but not on a suite where a default check
        # cannot be computed (no unanswerable question: refusal recall is skipped, which fails).
        upload(client, owner, "shop", write_docs(tmp_path / "v3", {"zh-returns.md": THIRTY}))
        blind = {"share": 0.5, "suite": ANSWERABLE_ONLY, "version": 3}
        assert client.post("/v1/kbs/shop/release", json=blind, headers=auth(owner)).status_code == 201
        skipped = client.post("/v1/kbs/shop/release/promote", headers=auth(owner))
        assert skipped.status_code == 409, skipped.text
        assert "refusal_recall" in {f["metric"] for f in skipped.json()["failures"]}, skipped.json()
        assert client.get("/v1/kbs/shop", headers=auth(owner)).json()["published_version"] == 1
        assert client.post("/v1/kbs/shop/release/abort", headers=auth(owner)).status_code == 200
        same = {"share": 0.5, "suite": SUITE, "version": 3}
        assert client.post("/v1/kbs/shop/release", json=same, headers=auth(owner)).status_code == 201
        promoted = client.post("/v1/kbs/shop/release/promote", headers=auth(owner))
        assert promoted.status_code == 200, promoted.text
        assert promoted.json()["state"] == "promoted" and promoted.json()["gate"]["ok"] is True
        assert client.get("/v1/kbs/shop", headers=auth(owner)).json()["published_version"] == 3
        last = ask(client, customer)
        assert "三十" in last["text"] and stored(app, last["message_id"]) == ("published", 3)


def test_release_cli_start_status_promote_refused_abort(
    suites: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite only: the commands call the same store and gate as the routes tested on both."""
    from api.cli import app as cli
    from ingest.config import get_settings

    unpublished_settings = api_settings(tmp_path / "data", auto_publish=False)
    app = create_app(unpublished_settings)
    keys = make_keys(app.state.services, "acme")
    with TestClient(app) as client:
        assert client.post("/v1/kbs", json={"name": "shop"}, headers=auth(keys["owner"])).status_code == 201
        upload(client, keys["owner"], "shop", write_docs(tmp_path / "v1", {"zh-returns.md": THIRTY}))
        assert client.post("/v1/kbs/shop/versions/1/publish", headers=auth(keys["owner"])).status_code == 200
    monkeypatch.setenv("KEFU_DATA_DIR", str(unpublished_settings.data_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        base = ["release", "start", "--kb", "shop", "--suite", SUITE, "--share", "0.25"]
        bad = runner.invoke(cli, [*base, "--set", "temperature=0.2"])
        assert bad.exit_code == 2, bad.output
        assert runner.invoke(cli, ["release", "status", "--kb", "shop"]).exit_code == 3
        started = runner.invoke(cli, [*base, "--set", "answerable_threshold=1.0"])
        assert started.exit_code == 0, started.output
        assert "running" in started.output and "answerable_threshold=1.0" in started.output
        assert runner.invoke(cli, [*base, "--set", "llm_max_tokens=80"]).exit_code == 5
        status = runner.invoke(cli, ["release", "status", "--kb", "shop", "--json"])
        assert status.exit_code == 0 and json.loads(status.stdout)["share"] == 0.25
        refused = runner.invoke(cli, ["release", "promote", "--kb", "shop"])
        assert refused.exit_code == 5, refused.output
        assert "correct" in refused.output and "gate failed" in refused.output
        aborted = runner.invoke(cli, ["release", "abort", "--kb", "shop", "--json"])
        assert aborted.exit_code == 0 and json.loads(aborted.stdout)["state"] == "aborted"
        assert runner.invoke(cli, ["release", "abort", "--kb", "shop"]).exit_code == 5
    finally:
        get_settings.cache_clear()


@pytest.fixture
def second_worker(unpublished_settings: Any) -> Iterator[str]:
    """`kefu serve` in another process on the same database and data folder."""
    variables = {"KEFU_AUTO_PUBLISH": "false", "KEFU_LLM_MAX_TOKENS": "60", "KEFU_WARMUP": "false"}
    if unpublished_settings.database_url:
        variables["KEFU_DATABASE_URL"] = unpublished_settings.database_url
    unpublished_settings.data_dir.mkdir(parents=True, exist_ok=True)
    with kefu_server(
        unpublished_settings.data_dir, unpublished_settings.data_dir.parent / "worker-b.log", **variables
    ) as url:
        yield url


def test_publish_and_release_on_one_worker_served_by_another(
    suites: Path, unpublished_settings: Any, second_worker: str, tmp_path: Path
) -> None:
    app = create_app(unpublished_settings)
    keys = make_keys(app.state.services, "acme")
    owner, customer = keys["owner"], keys["customer"]
    with TestClient(app) as a:
        assert a.post("/v1/kbs", json={"name": "shop"}, headers=auth(owner)).status_code == 201
        upload(
            a,
            owner,
            "shop",
            write_docs(tmp_path / "v1", {"zh-returns.md": THIRTY, "zh-shipping.md": SHIPPING}),
        )
        assert a.post("/v1/kbs/shop/versions/1/publish", headers=auth(owner)).status_code == 200
        upload(a, owner, "shop", write_docs(tmp_path / "v2", {"zh-returns.md": SEVEN}))
        with httpx.Client(base_url=second_worker, timeout=120) as b:
            assert "三十" in ask(b, customer)["text"]  # worker B serves the published version 1
            assert a.post("/v1/kbs/shop/versions/2/publish", headers=auth(owner)).status_code == 200
            assert "七天" in ask(b, customer)["text"]  # published on A, served by B

            start = {"share": 1.0, "suite": SUITE, "version": 1}
            assert a.post("/v1/kbs/shop/release", json=start, headers=auth(owner)).status_code == 201
            canary = ask(b, customer)  # started on A: B serves the candidate (version 1)
            assert "三十" in canary["text"] and stored(app, canary["message_id"]) == ("candidate", 1)
            assert a.post("/v1/kbs/shop/release/abort", headers=auth(owner)).status_code == 200
            after = ask(
                b, customer, canary["session_id"], RETURNS_AGAIN
            )  # aborted on A: B's next turn is published
            assert "七天" in after["text"] and stored(app, after["message_id"]) == ("published", 2)
