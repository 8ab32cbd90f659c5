"""Ingest jobs on a PostgreSQL job queue (procrastinate), run by `kefu worker` processes.

Chosen over a Redis-backed queue (arq, dramatiq, rq) because PostgreSQL is already the production
state store: the queue's tables live next to kefu's, so a small deployment keeps one stateful
service, and a job is enqueued by the same database that holds its api_jobs row.

The api_jobs row stays the job's record (status, progress, per-file results; GET /v1/jobs/{id}
reads it from any process); the queue carries only its id, and a worker runs it through
JobRunner._run, the one place a job runs. Jobs of one knowledge base carry the same procrastinate
lock, so a worker never takes a job while another worker runs one for that knowledge base (the
advisory lock in api.locks then also keeps API writes out while it runs).

A worker killed mid-job (kill -9, lost machine) stops sending heartbeats; every worker looks for
such stalled jobs and puts them back in the queue, up to job_max_attempts runs in all. Running a
job again is safe because ingest is idempotent: chunk ids derive from the content, a file already
stored is skipped, chunks without vectors are embedded.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Any, Protocol

from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager
from sqlalchemy import Engine, make_url, text

from api.locks import LOCK_KEY, AdvisoryLock
from ingest.models import utcnow

if TYPE_CHECKING:
    from ingest.config import Settings
    from procrastinate.jobs import Job as QueuedJob

log = logging.getLogger("kefu.api.queue")

TASK_NAME = "kefu.run_job"


class JobRunner(Protocol):
    """What a worker needs of api.jobs.JobRunner (typed here, not imported: jobs imports this module)."""

    def _run(self, job_id: str) -> None: ...

    def update(self, job_id: str, **fields: Any) -> None: ...


def libpq_url(sqlalchemy_url: str) -> str:
    """postgresql+psycopg://... (SQLAlchemy's form, options included) -> postgresql://... (libpq's)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def kb_queue_lock(kb: str) -> str:
    return f"kefu-kb:{kb}"


def _run_job(context: JobContext, job_id: str) -> None:
    runner: JobRunner = context.additional_context["runner"]
    runner._run(job_id)


class JobQueue:
    """The procrastinate app of one process: enqueueing (API side) and working (`kefu worker`)."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        # A worker holds a connection per running job, plus the heartbeat, job fetching, LISTEN and
        # the stalled-job search: a heartbeat queued behind a full pool makes a live worker look dead.
        pool_size = max(1, settings.job_workers) + 4
        connector = PsycopgConnector(conninfo=libpq_url(settings.sql_url), min_size=1, max_size=pool_size)
        self.app = App(connector=connector)
        self.task = self.app.task(name=TASK_NAME, pass_context=True)(_run_job)
        self._opened = False
        self._open_lock = threading.Lock()

    # -- schema ----------------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Create procrastinate's tables in kefu's schema once (processes may start together).

        procrastinate is pinned (.constraints.txt): moving to another version means applying the
        SQL migrations it ships (procrastinate/sql/migrations) between the two, before restarting."""
        with self.engine.begin() as connection:
            connection.execute(
                text(f"SELECT pg_advisory_xact_lock({LOCK_KEY})"), {"name": "kefu-queue-schema"}
            )
            if connection.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is not None:
                return
            # Raw driver call: no parameters, so psycopg sends the script's % signs as they are.
            cursor = connection.connection.cursor()
            cursor.execute(SchemaManager.get_schema())
            cursor.close()
        log.info("created the job queue's tables")

    # -- API side --------------------------------------------------------------------------------

    def enqueue(self, job_id: str, kb: str) -> None:
        with self._open_lock:
            if not self._opened:
                self.ensure_schema()
                self.app.open()
                self._opened = True
        self.task.configure(lock=kb_queue_lock(kb)).defer(job_id=job_id)

    def close(self) -> None:
        with self._open_lock:
            if self._opened:
                self.app.close()
                self._opened = False

    # -- worker side -----------------------------------------------------------------------------

    def work(self, runner: JobRunner, *, name: str) -> None:
        """Run jobs until SIGINT/SIGTERM (then finish the running ones and stop)."""
        self.ensure_schema()
        asyncio.run(self._work(runner, name))

    async def _work(self, runner: JobRunner, name: str) -> None:
        async with self.app.open_async():
            reaper = asyncio.create_task(self._reap_forever(runner))
            try:
                await self.app.run_worker_async(
                    name=name,
                    concurrency=max(1, self.settings.job_workers),
                    additional_context={"runner": runner},
                    update_heartbeat_interval=self.settings.job_heartbeat_s,
                    stalled_worker_timeout=self.settings.job_stalled_after_s,
                    fetch_job_polling_interval=min(5.0, self.settings.job_heartbeat_s),
                )
            finally:
                reaper.cancel()

    async def _reap_forever(self, runner: JobRunner) -> None:
        while True:
            try:
                requeued = await self.requeue_stalled(runner)
                if requeued:
                    log.warning("requeued %d jobs of workers that stopped answering", requeued)
            except Exception:  # the next round tries again; the worker keeps working meanwhile
                log.exception("looking for stalled jobs failed")
            await asyncio.sleep(self.settings.job_heartbeat_s)

    async def requeue_stalled(self, runner: JobRunner) -> int:
        """Put the jobs of silent workers back in the queue (or fail them after too many runs).

        One worker at a time (an advisory lock): two could otherwise both requeue one job, the
        second after a live worker had taken it again, and so run it twice at once."""
        lock = AdvisoryLock(self.engine, "kefu-queue-reaper")
        if not await asyncio.to_thread(lock.acquire, False):
            return 0
        try:
            stalled = list(
                await self.app.job_manager.get_stalled_jobs(
                    task_name=TASK_NAME, seconds_since_heartbeat=self.settings.job_stalled_after_s
                )
            )
            for job in stalled:
                await self._requeue(job, runner)
            return len(stalled)
        finally:
            await asyncio.to_thread(lock.release)

    async def _requeue(self, job: QueuedJob, runner: JobRunner) -> None:
        job_id = str(job.task_kwargs.get("job_id"))
        if job.attempts + 1 >= self.settings.job_max_attempts:
            await self.app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
            error = f"interrupted {job.attempts + 1} times (its worker stopped); upload again to retry"
            await asyncio.to_thread(runner.update, job_id, status="failed", error=error, finished_at=utcnow())
            log.error("job %s failed: %s", job_id, error)
            return
        await self.app.job_manager.retry_job(job)
        await asyncio.to_thread(runner.update, job_id, status="queued", stage="")
        log.warning("job %s requeued: its worker stopped answering", job_id)
