"""Versions and the trash through the API, on SQLite and PostgreSQL, with review before publish
(KEFU_AUTO_PUBLISH=false): customers' answers come from the published version only; owners and QA
search the draft; publish, rollback, prune, delete to the trash and restore. (Two API workers, a
publish on one served by the other, is a later step.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api_fixture import ZH_QUESTION, auth, make_keys, upload, write_docs
from fastapi.testclient import TestClient

from api.app import create_app

THIRTY = "# 退货政策\n\n收货后三十天内可以退货，请保留原始收据。\n"
SEVEN = "# 退货政策\n\n收货后七天内可以退货，请保留原始收据。\n"


def customer_answer(client: TestClient, key: str) -> dict[str, Any]:
    session = client.post("/v1/sessions", json={"kb": "shop"}, headers=auth(key))
    assert session.status_code == 201, session.text
    answer = client.post(
        f"/v1/sessions/{session.json()['id']}/messages", json={"text": ZH_QUESTION}, headers=auth(key)
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def search(client: TestClient, key: str, version: object) -> Any:
    return client.post(
        "/v1/search",
        json={"kb": "shop", "query": "收货后多少天内可以退货", "version": version},
        headers=auth(key),
    )


def search_text(client: TestClient, key: str, version: object) -> str:
    response = search(client, key, version)
    assert response.status_code == 200, response.text
    return "".join(hit["text"] for hit in response.json()["hits"])


def test_review_publish_rollback_prune_trash(unpublished_settings: Any, tmp_path: Path) -> None:
    app = create_app(unpublished_settings)
    keys = make_keys(app.state.services, "acme")
    owner, qa, customer = keys["owner"], keys["qa"], keys["customer"]
    with TestClient(app) as client:
        assert client.post("/v1/kbs", json={"name": "shop"}, headers=auth(owner)).status_code == 201
        job = upload(client, owner, "shop", write_docs(tmp_path / "v1", {"zh-returns.md": THIRTY}))
        assert job["status"] == "succeeded", job

        assert (
            client.get(
                "/v1/kbs/shop/versions", headers=auth(make_keys(app.state.services, "beta", ("qa",))["qa"])
            ).status_code
            == 404
        )
        versions = client.get("/v1/kbs/shop/versions", headers=auth(qa)).json()
        assert [(v["version"], v["state"]) for v in versions] == [(1, "draft")]
        assert versions[0]["config"]["embed_model"] and versions[0]["documents"] == 1
        assert client.get("/v1/kbs/shop/versions", headers=auth(customer)).status_code == 403
        assert search(client, customer, "draft").status_code == 403  # customers cannot pick a version

        # Nothing published: customers get no passage; QA hit testing sees the draft.
        assert customer_answer(client, customer)["citations"] == []
        assert "三十" in search_text(client, qa, "draft") and search_text(client, qa, "published") == ""

        assert client.post("/v1/kbs/shop/versions/1/publish", headers=auth(qa)).status_code == 403
        published = client.post("/v1/kbs/shop/versions/1/publish", headers=auth(owner))
        assert published.status_code == 200 and published.json()["state"] == "published"
        answer = customer_answer(client, customer)
        assert answer["citations"] and "三十" in answer["text"]

        upload(client, owner, "shop", write_docs(tmp_path / "v2", {"zh-returns.md": SEVEN}))
        kb = client.get("/v1/kbs/shop", headers=auth(owner)).json()
        assert (kb["version"], kb["published_version"]) == (2, 1)
        answer = customer_answer(client, customer)
        assert "三十" in answer["text"] and "七" not in answer["text"]
        assert "七天" in search_text(client, qa, "draft") and "三十" in search_text(client, qa, 1)

        diff = client.get("/v1/kbs/shop/versions/1/diff/2", headers=auth(qa)).json()
        assert [(d["source"], d["change"]) for d in diff["documents"]] == [("zh-returns.md", "changed")]
        assert diff["chunks_added"] >= 1 and diff["chunks_removed"] >= 1

        assert client.post("/v1/kbs/shop/versions/2/publish", headers=auth(owner)).status_code == 200
        assert "七天" in customer_answer(client, customer)["text"]
        rolled = client.post("/v1/kbs/shop/rollback", headers=auth(owner))
        assert rolled.status_code == 200 and rolled.json()["version"] == 1
        assert "三十" in customer_answer(client, customer)["text"]

        # Bad requests are refused and change nothing.
        assert client.post("/v1/kbs/shop/versions/99/publish", headers=auth(owner)).status_code == 404
        assert client.post("/v1/kbs/shop/rollback", headers=auth(owner)).status_code == 409
        assert client.post("/v1/kbs/shop/prune", json={"keep": 0}, headers=auth(owner)).status_code == 422
        assert search(client, qa, 99).status_code == 404
        assert client.get("/v1/kbs/shop", headers=auth(owner)).json()["published_version"] == 1

        pruned = client.post("/v1/kbs/shop/prune", json={"keep": 1}, headers=auth(owner))
        assert pruned.status_code == 200 and pruned.json()["versions"] == []  # 2 newest, 1 published
        assert "三十" in customer_answer(client, customer)["text"]

        # Delete to the trash and restore with documents, vectors and uploaded files.
        assert client.delete("/v1/kbs/shop", headers=auth(owner)).status_code == 204
        assert client.get("/v1/kbs/shop", headers=auth(owner)).status_code == 404
        assert client.get("/v1/kbs", headers=auth(owner)).json() == []
        assert client.get("/v1/models", headers=auth(customer)).json()["data"] == []
        assert client.post("/v1/sessions", json={"kb": "shop"}, headers=auth(customer)).status_code == 404
        other = make_keys(app.state.services, "beta", ("owner", "qa"))
        assert client.get("/v1/trash", headers=auth(other["owner"])).json() == []
        assert client.post("/v1/trash/shop/restore", headers=auth(other["owner"])).status_code == 404
        trash = client.get("/v1/trash", headers=auth(owner)).json()
        assert [(t["name"], t["documents"]) for t in trash] == [("shop", 1)]
        assert client.post("/v1/trash/nope/restore", headers=auth(owner)).status_code == 404
        restored = client.post("/v1/trash/shop/restore", headers=auth(owner))
        assert restored.status_code == 200, restored.text
        assert (restored.json()["documents"], restored.json()["embedded"]) == (1, restored.json()["chunks"])
        assert client.get("/v1/trash", headers=auth(owner)).json() == []
        assert "三十" in customer_answer(client, customer)["text"]
        assert (unpublished_settings.uploads_dir / "shop" / "zh-returns.md").is_file()
