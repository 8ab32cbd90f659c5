"""Backing services fail under a running API: the Chroma server is killed mid-traffic (a 503 with
Retry-After, never a 500; answers again once it is back, nothing lost), and PostgreSQL drops the
app's connections (the next request reconnects and succeeds)."""

from __future__ import annotations

import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from api_fixture import (
    EN_QUESTION,
    SHOP_DOCS,
    ZH_QUESTION,
    api_settings,
    auth,
    free_port,
    make_keys,
    upload,
    write_docs,
)
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli.serve_chroma import _wait_ready, chroma_executable

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class ChromaProcess:
    """`chroma run` on a fixed loopback port, so it can be killed and started again at the same URL."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None  # type: ignore[type-arg]

    def start(self) -> None:
        command = [
            str(chroma_executable()),
            "run",
            "--path",
            str(self.path),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_ready(self.url, self.process)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaProcess]:
    server = ChromaProcess(tmp_path / "chroma")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _search(client: TestClient, key: str) -> tuple[int, str | None]:
    response = client.post("/v1/search", json={"kb": "shop", "query": "express shipping"}, headers=auth(key))
    return response.status_code, response.headers.get("retry-after")


@pytest.mark.slow
def test_chroma_killed_mid_traffic_gives_503_then_recovers(chroma: ChromaProcess, tmp_path: Path) -> None:
    app = create_app(api_settings(tmp_path / "data", chroma_url=chroma.url))
    keys = make_keys(app.state.services, "acme", ("owner", "customer"))
    owner, customer = keys["owner"], keys["customer"]
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/v1/kbs", json={"name": "shop"}, headers=auth(owner)).status_code == 201
        assert (
            upload(client, owner, "shop", write_docs(tmp_path / "docs", SHOP_DOCS))["status"] == "succeeded"
        )
        before = client.get("/v1/kbs/shop", headers=auth(owner)).json()
        assert _search(client, owner)[0] == 200

        statuses: list[tuple[int, str | None]] = []
        stop = threading.Event()

        def traffic() -> None:
            while not stop.is_set():
                statuses.append(_search(client, owner))

        runner = threading.Thread(target=traffic)
        runner.start()
        try:
            while len(statuses) < 3:  # traffic flows before the kill
                stop.wait(0.05)
            chroma.kill()
            seen = len(statuses)
            while len(statuses) < seen + 10:  # and keeps flowing after it
                stop.wait(0.05)
        finally:
            stop.set()
            runner.join(60)
        codes = {code for code, _ in statuses}
        assert codes <= {200, 503}, statuses  # never a 500
        assert (503, "5") in statuses  # with Retry-After
        assert statuses[-1] == (503, "5")

        # Every route that needs the vectors says so the same way; the state is untouched.
        session = client.post("/v1/sessions", json={"kb": "shop"}, headers=auth(customer)).json()["id"]
        asked = client.post(
            f"/v1/sessions/{session}/messages", json={"text": ZH_QUESTION}, headers=auth(customer)
        )
        assert asked.status_code == 503 and "vector store" in asked.json()["detail"], asked.text
        assert client.get("/readyz").status_code == 503
        assert client.get("/v1/kbs/shop", headers=auth(owner)).json() == before  # SQL side still answers

        chroma.start()  # same port: the clients reconnect by themselves
        assert client.get("/readyz").status_code == 200
        assert _search(client, owner)[0] == 200
        answer = client.post(
            f"/v1/sessions/{session}/messages", json={"text": ZH_QUESTION}, headers=auth(customer)
        )
        assert answer.status_code == 200 and answer.json()["citations"], answer.text
        assert client.get("/v1/kbs/shop", headers=auth(owner)).json()["embedded"] == before["embedded"]


@pytest.mark.postgres
def test_postgres_dropping_the_apps_connections_is_survived(postgres_url: str, tmp_path: Path) -> None:
    name = f"kefu-fault-{uuid.uuid4().hex[:8]}"  # marks this app's connections, and only them
    url = f"{postgres_url}&application_name={name}"
    settings = api_settings(tmp_path / "data", database_url=url, job_queue="procrastinate")
    app = create_app(settings)
    keys = make_keys(app.state.services, "acme", ("owner", "customer"))
    owner, customer = keys["owner"], keys["customer"]
    admin = sa.create_engine(POSTGRES_ADMIN_URL)

    def drop_connections() -> int:
        with admin.begin() as connection:
            return len(
                connection.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"
                    ),
                    {"name": name},
                ).all()
            )

    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.post("/v1/kbs", json={"name": "shop"}, headers=auth(owner)).status_code == 201
            first = client.post(
                "/v1/kbs/shop/documents",
                headers=auth(owner),
                files=[("files", ("shipping.md", SHOP_DOCS["shipping.md"].encode(), "text/markdown"))],
            )
            assert first.status_code == 202  # queued (no worker here): the queue's pool is open too

            assert drop_connections() >= 2  # the app's SQLAlchemy pool and the queue's pool
            listed = client.get("/v1/kbs", headers=auth(owner))
            assert listed.status_code == 200 and [kb["name"] for kb in listed.json()] == ["shop"]

            assert drop_connections() >= 1
            session = client.post("/v1/sessions", json={"kb": "shop"}, headers=auth(customer))
            assert session.status_code == 201, session.text
            assert drop_connections() >= 1
            again = client.post(
                "/v1/kbs/shop/documents",
                headers=auth(owner),
                files=[("files", ("returns.md", SHOP_DOCS["returns.md"].encode(), "text/markdown"))],
            )
            assert again.status_code == 202, again.text
            jobs = client.get("/v1/kbs/shop/jobs", headers=auth(owner)).json()
            assert [j["status"] for j in jobs] == ["queued", "queued"]
            with app.state.services.db.session() as db:
                queued = db.execute(
                    sa.text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")
                ).scalar()
            assert queued == 2
            assert (
                client.post(
                    f"/v1/sessions/{session.json()['id']}/messages",
                    json={"text": EN_QUESTION},
                    headers=auth(customer),
                ).status_code
                == 200
            )
    finally:
        admin.dispose()
