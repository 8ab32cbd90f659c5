"""`kefu serve --workers 2`: both workers see the same knowledge, including vectors written by the
other worker after both had loaded the collection (the loopback `chroma run` that serve starts;
with embedded Chroma each worker would keep searching its stale in-memory index)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_fixture import SHOP_DOCS, api_settings, auth, free_port, make_keys, upload, wait_for_http, write_docs

from api.cli.serve_chroma import worker_threads
from api.services import Services

NEW_DOC = {"gift-cards.md": "# Gift cards\n\nGift cards are valid for three years and can be topped up "
                            "at any checkout counter.\n"}
QUERY = "How long are gift cards valid?"


def _search(url: str, key: str, query: str) -> dict:
    # A new connection per request, so the workers take turns accepting them.
    with httpx.Client(base_url=url, timeout=60) as client:
        response = client.post("/v1/search", json={"kb": "shop", "query": query, "top_k": 5}, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def test_two_workers_share_vectors_written_after_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    keys = make_keys(Services(api_settings(data_dir)), "acme", ("owner",))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "KEFU_DATA_DIR": str(data_dir), "KEFU_RATE_LIMIT_PER_MINUTE": "0", "KEFU_WARMUP": "false"}
    env.pop("KEFU_CHROMA_URL", None)
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "kefu"), "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", "2"], env=env, stdout=sink, stderr=sink,
        )
    try:
        try:
            wait_for_http(f"{url}/healthz", 90, process)
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(f"kefu serve --workers 2 did not start: {exc}\n{log.read_text(errors='replace')[-3000:]}")
        owner = keys["owner"]
        with httpx.Client(base_url=url, timeout=120) as client:
            assert client.post("/v1/kbs", json={"name": "shop"}, headers=auth(owner)).status_code == 201
            assert upload(client, owner, "shop", write_docs(tmp_path / "docs", SHOP_DOCS))["status"] == "succeeded"
        for _ in range(12):  # both workers load the collection's vectors
            assert _search(url, owner, "How long do I have to return an item?")["hits"]
        with httpx.Client(base_url=url, timeout=120) as client:
            job = upload(client, owner, "shop", write_docs(tmp_path / "more", NEW_DOC))
            assert job["status"] == "succeeded", job
        for _ in range(12):
            hits = _search(url, owner, QUERY)["hits"]
            gift = [h for h in hits if h["source"].endswith("gift-cards.md")]
            assert gift and "dense" in gift[0]["scores"], hits  # found by its vector, in every worker
        assert "share the vectors through `chroma run`" in log.read_text(errors="replace")
    finally:
        process.terminate()
        process.wait(30)
    assert process.returncode is not None


def test_worker_threads_split_the_cores() -> None:
    cores = os.cpu_count() or 1
    assert worker_threads(1) == cores
    assert worker_threads(cores) == 1
    assert worker_threads(cores * 4) == 1
