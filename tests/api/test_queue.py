"""The PostgreSQL job queue (KEFU_JOB_QUEUE=procrastinate): the API enqueues, `kefu worker`
processes run the jobs, one knowledge base's jobs run one at a time across workers, and a worker
killed mid-embedding leaves a job that another worker finishes with no duplicate or orphan chunk."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_fixture import SHOP_DOCS, api_settings, auth, make_keys, wait_job, write_docs
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from api.app import create_app
from api.cli.serve_chroma import chroma_server
from api.models import Job
from api.queue import JobQueue
from api.services import Services
from ingest.models import Chunk, KnowledgeBase
from ingest.vectorstore import collection_name

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

KEFU = Path(sys.executable).parent / "kefu"
# Small chunks and batches: the embed stage reports progress often enough to be caught midway.
QUEUE_ENV = {
    "KEFU_JOB_QUEUE": "procrastinate",
    "KEFU_JOB_HEARTBEAT_S": "1",
    "KEFU_JOB_STALLED_AFTER_S": "6",
    "KEFU_CHUNK_TOKENS": "60",
    "KEFU_CHUNK_OVERLAP_TOKENS": "0",
    "KEFU_EMBED_BATCH_SIZE": "2",
    "KEFU_EMBED_THREADS": "1",
    "KEFU_WARMUP": "false",
    "KEFU_MAX_FILE_MB": "1",
}


@dataclass
class Queued:
    client: TestClient
    services: Services
    owner: str
    env: dict[str, str]
    root: Path
    workers: list[subprocess.Popen]  # type: ignore[type-arg]

    def start_worker(self, name: str) -> subprocess.Popen:  # type: ignore[type-arg]
        with (self.root / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [str(KEFU), "worker", "--name", name], env=self.env, stdout=log, stderr=log
            )
        self.workers.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}" for p in self.root.glob("*.log")
        )

    def upload(self, kb: str, paths: list[Path]) -> dict[str, Any]:
        files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
        response = self.client.post(f"/v1/kbs/{kb}/documents", files=files, headers=auth(self.owner))
        assert response.status_code == 202, response.text
        return response.json()["job"]

    def wait(self, job_id: str, timeout_s: float = 240) -> dict[str, Any]:
        try:
            return wait_job(self.client, self.owner, job_id, timeout_s)
        except TimeoutError:
            pytest.fail(f"job {job_id} did not finish\n{self.logs()}")

    def kb(self, name: str) -> dict[str, Any]:
        return self.client.get(f"/v1/kbs/{name}", headers=auth(self.owner)).json()


@pytest.fixture
def queued(postgres_url: str, tmp_path: Path) -> Iterator[Queued]:
    """An API on PostgreSQL + its own Chroma server with the queue configured, and no worker yet."""
    with chroma_server(tmp_path / "chroma", tmp_path / "chroma.log") as chroma_url:
        data_dir = tmp_path / "data"
        overrides = {k[5:].lower(): v for k, v in QUEUE_ENV.items()}
        settings = api_settings(data_dir, database_url=postgres_url, chroma_url=chroma_url, **overrides)
        env = {
            **os.environ,
            **QUEUE_ENV,
            "KEFU_DATA_DIR": str(data_dir),
            "KEFU_DATABASE_URL": postgres_url,
            "KEFU_CHROMA_URL": chroma_url,
        }
        app = create_app(settings)
        owner = make_keys(app.state.services, "acme", ("owner",))["owner"]
        workers: list[subprocess.Popen] = []  # type: ignore[type-arg]
        try:
            with TestClient(app) as client:
                for kb in ("shop", "clean"):
                    assert client.post("/v1/kbs", json={"name": kb}, headers=auth(owner)).status_code == 201
                yield Queued(client, app.state.services, owner, env, tmp_path, workers)
        finally:
            for process in workers:
                if process.poll() is None:
                    process.terminate()
                    try:
                        process.wait(20)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()


def _job_row(services: Services, job_id: str) -> dict[str, Any]:
    with services.db.session() as session:
        row = session.execute(
            text("SELECT status, attempts FROM procrastinate_jobs WHERE args->>'job_id' = :id"),
            {"id": job_id},
        ).one()
        return {"status": row.status, "attempts": row.attempts}


def test_api_enqueues_and_a_worker_runs_the_job(queued: Queued, tmp_path: Path) -> None:
    job = queued.upload("shop", write_docs(tmp_path / "docs", SHOP_DOCS))
    # No worker runs yet: the API process only queued it (it runs no job itself).
    assert queued.client.get(f"/v1/jobs/{job['id']}", headers=auth(queued.owner)).json()["status"] == "queued"
    assert _job_row(queued.services, job["id"])["status"] == "todo"

    queued.start_worker("w1")
    done = queued.wait(job["id"])
    assert done["status"] == "succeeded", done
    assert [f["outcome"] for f in done["files"]] == ["added"] * len(SHOP_DOCS), done
    assert _job_row(queued.services, job["id"]) == {"status": "succeeded", "attempts": 1}  # runs ended
    hits = queued.client.post(
        "/v1/search",
        json={"kb": "shop", "query": "How long does express shipping take?"},
        headers=auth(queued.owner),
    ).json()["hits"]
    assert hits[0]["source"] == "shipping.md" and "dense" in hits[0]["scores"], (
        hits
    )  # vectors from the worker


def test_two_workers_run_one_knowledge_bases_jobs_one_at_a_time(queued: Queued, tmp_path: Path) -> None:
    first = queued.upload("shop", write_docs(tmp_path / "a", {"returns.md": SHOP_DOCS["returns.md"]}))
    second = queued.upload("shop", write_docs(tmp_path / "b", {"shipping.md": SHOP_DOCS["shipping.md"]}))
    other = queued.upload("clean", write_docs(tmp_path / "c", {"zh-returns.md": SHOP_DOCS["zh-returns.md"]}))
    queued.start_worker("w1")
    queued.start_worker("w2")
    jobs = [queued.wait(j["id"]) for j in (first, second, other)]
    assert [j["status"] for j in jobs] == ["succeeded"] * 3, jobs
    a, b = sorted(jobs[:2], key=lambda j: j["started_at"])
    assert a["finished_at"] <= b["started_at"], (a, b)  # never both running
    assert queued.kb("shop")["documents"] == 2 and queued.kb("clean")["documents"] == 1


def _long_document(folder: Path) -> Path:
    """About 40 chunks of 60 tokens, distinct sentences (chunk ids derive from the text)."""
    rng = random.Random(16)
    items = ["kettle", "blender", "toaster", "lamp", "chair", "desk", "heater", "fan", "router", "speaker"]
    verbs = ["ships", "returns", "repairs", "replaces", "refunds", "insures"]
    lines = ["# Warranty handbook", ""]
    for section in range(40):
        lines += [f"## Section {section}", ""]
        sentences = [
            f"Rule {section}.{k}: the shop {rng.choice(verbs)} a {rng.choice(items)} within {rng.randint(2, 90)} days "
            f"when the receipt number ends in {rng.randint(10, 99)}."
            for k in range(4)
        ]
        lines += [" ".join(sentences), ""]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "handbook.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _vector_ids(services: Services, kb: str) -> set[str]:
    from ingest.vectorstore import VectorStore

    with services.db.session() as session:
        kb_id = session.scalar(select(KnowledgeBase.id).where(KnowledgeBase.name == kb))
    collection = VectorStore(services.settings).client.get_collection(collection_name(kb_id))
    return set(collection.get(include=[])["ids"])


def _chunk_ids(services: Services, kb: str) -> set[str]:
    with services.db.session() as session:
        kb_id = session.scalar(select(KnowledgeBase.id).where(KnowledgeBase.name == kb))
        return set(session.scalars(select(Chunk.id).where(Chunk.kb_id == kb_id)))


def test_a_worker_killed_mid_embedding_leaves_a_job_another_worker_completes(
    queued: Queued, tmp_path: Path
) -> None:
    handbook = _long_document(tmp_path / "docs")
    victim = queued.start_worker("victim")
    job_id = queued.upload("shop", [handbook])["id"]
    deadline = time.monotonic() + 240
    while True:
        job = queued.client.get(f"/v1/jobs/{job_id}", headers=auth(queued.owner)).json()
        if job["stage"] == "embed" and 0 < job["done"] < job["total"]:
            break
        assert job["status"] in ("queued", "running"), f"the job ended before it could be interrupted: {job}"
        assert time.monotonic() < deadline, f"the job never reached the embed stage\n{queued.logs()}"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    interrupted = queued.client.get(f"/v1/jobs/{job_id}", headers=auth(queued.owner)).json()
    assert interrupted["status"] == "running" and interrupted["done"] < interrupted["total"], interrupted

    queued.start_worker("rescuer")
    done = queued.wait(job_id)
    assert done["status"] == "succeeded", done
    assert _job_row(queued.services, job_id) == {
        "status": "succeeded",
        "attempts": 2,
    }  # killed, then run again

    clean = queued.wait(queued.upload("clean", [handbook])["id"])  # the same file, never interrupted
    assert clean["status"] == "succeeded", clean
    shop, reference = queued.kb("shop"), queued.kb("clean")
    assert reference["chunks"] > 20  # the document really was long enough to interrupt midway
    for field in ("documents", "chunks", "embedded"):
        assert shop[field] == reference[field], (field, shop, reference)
    assert shop["embedded"] == shop["chunks"]
    chunk_ids = _chunk_ids(queued.services, "shop")
    assert len(chunk_ids) == shop["chunks"]
    assert _vector_ids(queued.services, "shop") == chunk_ids  # no orphan vector, no chunk without one


def test_kb_lock_holds_across_processes_and_dies_with_its_holder(postgres_url: str, tmp_path: Path) -> None:
    first = Services(api_settings(tmp_path / "a", database_url=postgres_url))
    second = Services(api_settings(tmp_path / "b", database_url=postgres_url))
    lock, rival = first.kb_lock("shop"), second.kb_lock("shop")
    assert lock.acquire(timeout=5)
    assert not rival.acquire(timeout=0.3)  # another process's view: busy
    assert second.kb_lock("beta").acquire(timeout=5)  # other knowledge bases are not held up
    second.kb_lock("beta").release()
    lock.release()
    assert rival.acquire(timeout=5)
    rival.release()

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time\n"
                "from api.locks import AdvisoryLock\n"
                "from ingest.db import make_engine\n"
                f"lock = AdvisoryLock(make_engine({postgres_url!r}), 'kefu-kb:shop')\n"
                "assert lock.acquire(timeout=30)\n"
                "print('held', flush=True)\n"
                "time.sleep(600)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not rival.acquire(timeout=0.3)
        holder.send_signal(signal.SIGKILL)  # kill -9 while holding it: the server drops the lock
        holder.wait()
        assert rival.acquire(timeout=10)
        rival.release()
    finally:
        if holder.poll() is None:
            holder.kill()
    first.close()
    second.close()


def test_worker_refuses_to_start_without_a_queue(tmp_path: Path) -> None:
    env = {**os.environ, "KEFU_DATA_DIR": str(tmp_path / "data"), "KEFU_JOB_QUEUE": "thread"}
    env.pop("KEFU_DATABASE_URL", None)
    done = subprocess.run([str(KEFU), "worker"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "KEFU_JOB_QUEUE=procrastinate" in done.stderr, done.stderr
    env["KEFU_JOB_QUEUE"] = "procrastinate"  # on SQLite: a clear settings error, not a traceback
    done = subprocess.run([str(KEFU), "worker"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "KEFU_DATABASE_URL=postgresql" in done.stderr, done.stderr


def _stall(queue: JobQueue, attempts: int) -> None:
    """Have a worker that then went silent take the queued job, after `attempts` earlier runs."""

    async def take() -> None:
        async with queue.app.open_async():
            worker_id = await queue.app.job_manager.register_worker()
            assert await queue.app.job_manager.fetch_job(queues=None, worker_id=worker_id) is not None

    asyncio.run(take())
    with queue.engine.begin() as connection:
        connection.execute(
            text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'")
        )
        connection.execute(text("UPDATE procrastinate_jobs SET attempts = :n"), {"n": attempts})


def _requeue(queue: JobQueue, services: Services) -> int:
    async def run() -> int:
        async with queue.app.open_async():
            return await queue.requeue_stalled(services.jobs)

    return asyncio.run(run())


@pytest.mark.parametrize("earlier_runs", [0, 2])
def test_a_stalled_job_is_requeued_until_its_last_attempt(
    postgres_url: str, tmp_path: Path, earlier_runs: int
) -> None:
    settings = api_settings(
        tmp_path / "data", database_url=postgres_url, job_queue="procrastinate", job_max_attempts=3
    )
    services = Services(settings)
    queue = services.jobs.queue
    assert queue is not None
    job = services.jobs.submit(
        kind="ingest", kb="shop", tenant="acme", params={"paths": []}, created_by=None, total=0
    )
    services.jobs.update(job.id, status="running")
    _stall(queue, earlier_runs)
    assert _requeue(queue, services) == 1
    assert _requeue(queue, services) == 0  # handled once
    with services.db.session() as session:
        row = session.get(Job, job.id)
        assert row is not None
        if earlier_runs + 1 < 3:  # runs left: back in the queue for the next worker
            assert _job_row(services, job.id)["status"] == "todo" and row.status == "queued"
        else:  # that was its third run: failed, and the job row says why
            assert _job_row(services, job.id)["status"] == "failed"
            assert row.status == "failed" and "interrupted 3 times" in (row.error or "")
    services.close()
