"""Background ingest jobs: a row in api_jobs per job, run on a thread pool in this process, or by
`kefu worker` processes through the PostgreSQL job queue when KEFU_JOB_QUEUE=procrastinate (api/queue.py).

The row carries status, stage, done/total and the per-file results, written as the pipeline
reports progress, so `GET /v1/jobs/{id}` works from any worker and after a restart. A job whose
process died (restart, crash) is marked failed on the next start-up on the same host: the ingest
pipeline is idempotent, so re-submitting it redoes only what is missing.

A job ends succeeded, partial (some files failed: each keeps its previous version, the per-file
outcomes say which) or failed (every file failed, or the job itself did).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select

from ingest.config import Settings
from api.models import Job
from api.uploads import discard_staged, settle_staged
from ingest.db import Database
from ingest.models import utcnow

if TYPE_CHECKING:
    from api.locks import KBLock
    from api.queue import JobQueue
    from ingest.pipeline import IngestPipeline, IngestReport

log = logging.getLogger("kefu.api.jobs")

PROGRESS_INTERVAL_S = 0.5  # progress rows are written at most this often (and at each stage end)
RUNNER = f"{socket.gethostname()}:{os.getpid()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobHost(Protocol):
    """What the runner needs from the process's shared services (api.services.Services, which
    owns the runner: typed here, not imported, so the two modules do not import each other)."""

    settings: Settings
    db: Database

    def ingest(self) -> IngestPipeline: ...

    def kb_lock(self, kb: str) -> KBLock: ...


class JobRunner:
    def __init__(self, services: JobHost) -> None:
        self.services = services
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.queue: JobQueue | None = None  # set: jobs go to `kefu worker` processes (api/queue.py)
        if services.settings.job_queue == "procrastinate":
            from api.queue import JobQueue

            self.queue = JobQueue(services.settings, services.db.engine)

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=max(1, self.services.settings.job_workers), thread_name_prefix="kefu-job"
                )
            return self._pool

    def submit(
        self, *, kind: str, kb: str, tenant: str, params: dict[str, Any], created_by: str | None, total: int
    ) -> Job:
        with self.services.db.session() as session:
            job = Job(
                kind=kind,
                kb_name=kb,
                tenant=tenant,
                params=params,
                created_by=created_by,
                total=total,
                runner=RUNNER,
                files=[],
            )
            session.add(job)
            session.flush()
        if self.queue is None:
            self._executor().submit(self._run, job.id)
            return job
        try:
            self.queue.enqueue(job.id, kb)
        except Exception as exc:
            self.update(
                job.id, status="failed", error=f"could not queue the job: {exc}", finished_at=utcnow()
            )
            raise
        return job

    def recover(self) -> int:
        """Mark jobs of dead processes on this host failed; returns how many. (With a queue, the
        workers run such jobs again instead.)"""
        if self.queue is not None:
            return 0
        host = RUNNER.split(":")[0]
        count = 0
        with self.services.db.session() as session:
            for job in session.scalars(select(Job).where(Job.status.in_(("queued", "running")))):
                job_host, _, pid = job.runner.rpartition(":")
                if job_host == host and pid.isdigit() and not _process_alive(int(pid)):
                    job.status, job.finished_at = "failed", utcnow()
                    job.error = (
                        "interrupted: the server stopped while this job ran; upload again to finish it"
                    )
                    if job.params.get("staged"):
                        discard_staged([Path(p) for p in job.params.get("paths", [])])
                    count += 1
        return count

    def shutdown(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
        if self.queue is not None:
            self.queue.close()

    # -- running ---------------------------------------------------------------------------------

    def update(self, job_id: str, **fields: Any) -> None:
        with self.services.db.session() as session:
            job = session.get(Job, job_id)
            if job is not None:
                for name, value in fields.items():
                    setattr(job, name, value)

    def _run(self, job_id: str) -> None:
        with self.services.db.session() as session:
            job = session.get(Job, job_id)
            if job is None:
                return
            kind, kb, params = job.kind, job.kb_name, dict(job.params)
        self.update(job_id, status="running", started_at=utcnow(), stage="parse")
        progress = _ProgressWriter(self, job_id)
        try:
            with self.services.kb_lock(kb):
                if kind == "ingest":
                    reports = [self._ingest(kb, params, progress)]
                elif kind == "reingest":
                    reports = self._reingest(kb, params, progress)
                else:
                    raise ValueError(f"unknown job kind {kind!r}")
        except Exception as exc:  # the job row is the place this error is reported
            log.exception("job %s failed", job_id)
            self.update(job_id, status="failed", error=f"{type(exc).__name__}: {exc}", finished_at=utcnow())
            return
        from ingest.pipeline import run_status  # here: the ingest stack loads on first use

        files = [asdict(f) for report in reports for f in report.files]
        failed = sum(1 for f in files if f["outcome"] == "failed")
        status = run_status(failed, len(files))
        pending = reports[-1].pending if reports else 0
        problems = []
        if status == "failed":
            problems.append("no file could be ingested")
        elif status == "partial":
            problems.append(f"{failed} of {len(files)} files failed; each keeps its previous version")
        if pending and status != "failed":
            problems.append(f"{pending} chunks still without vectors (searchable by keywords only)")
        self.update(
            job_id,
            status=status,
            stage="done",
            files=files,
            error="; ".join(problems) or None,
            finished_at=utcnow(),
        )

    def _ingest(self, kb: str, params: dict[str, Any], progress: _ProgressWriter) -> IngestReport:
        paths = [Path(p) for p in params["paths"]]
        try:
            return self.services.ingest().ingest_paths(paths, kb, progress=progress)
        finally:
            if params.get("staged"):
                settle_staged(self.services.db, self.services.settings.uploads_dir, kb, paths)

    def _reingest(self, kb: str, params: dict[str, Any], progress: _ProgressWriter) -> list[IngestReport]:
        """Parse the given uploaded files again (after a parser upgrade, say). Each document is
        replaced only once its file parsed: a file that fails keeps its previous version."""
        pipeline = self.services.ingest()
        paths = [Path(p) for p in params["paths"]]
        report = (
            pipeline.ingest_paths(paths, kb, force=True, progress=progress)
            if paths
            else pipeline.embed_pending(kb)
        )
        return [report]


class _ProgressWriter:
    """The pipeline's progress callback: writes stage/done/total to the job row, throttled."""

    def __init__(self, runner: JobRunner, job_id: str) -> None:
        self.runner = runner
        self.job_id = job_id
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done >= total or now - self._last >= PROGRESS_INTERVAL_S:
            self._last = now
            self.runner.update(self.job_id, stage=stage, done=done, total=total)
