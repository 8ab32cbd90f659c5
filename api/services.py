"""What the routes share in one process: settings, the database, the pipelines (built on first use,
so start-up stays fast), the job runner, the rate limiter and per-knowledge-base write locks."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from anyio import CapacityLimiter

from ingest.config import Settings
from api.jobs import JobRunner
from api.locks import AdvisoryLock, KBLock
from api.ratelimit import RateLimiter
from assistant.conversations import ConversationStore
from ingest.db import Database, open_database

if TYPE_CHECKING:
    from assistant.escalation.agents import AgentDesk
    from assistant.escalation.hook import Escalator
    from assistant.knowledge_loop import KnowledgeLoop
    from assistant.pipeline import AnswerPipeline
    from assistant.retrieval import HybridRetriever
    from ingest.pipeline import IngestPipeline

log = logging.getLogger("kefu.api")


class Services:
    def __init__(self, settings: Settings, *, database: Database | None = None) -> None:
        self.settings = settings
        self.db = database or open_database(settings.sql_url)
        self.conversations = ConversationStore(self.db)
        self.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
        self.search_limiter = CapacityLimiter(settings.search_threads)  # see api/routers/search.py
        self.jobs = JobRunner(self)
        self._build_lock = threading.Lock()
        self._answers: AnswerPipeline | None = None
        self._ingest: IngestPipeline | None = None
        self._retriever: HybridRetriever | None = None
        self._escalator: Escalator | None = None
        self._desk: AgentDesk | None = None
        self._kb_locks: dict[str, KBLock] = {}

    def answers(self) -> AnswerPipeline:
        if self._answers is None:
            with self._build_lock:
                if self._answers is None:
                    from assistant.pipeline import AnswerPipeline

                    self._answers = AnswerPipeline(self.settings, database=self.db)
        return self._answers

    def retriever(self) -> HybridRetriever:
        """Hit testing's own retriever: search keeps working whatever the answer side needs (LLM,
        judge parameters); the knowledge-base indexes are shared per process anyway."""
        if self._retriever is None:
            with self._build_lock:
                if self._retriever is None:
                    from assistant.retrieval import HybridRetriever

                    # Its embedder (the process-wide one) keeps recent query vectors itself.
                    self._retriever = HybridRetriever(self.settings, database=self.db)
        return self._retriever

    def ingest(self) -> IngestPipeline:
        if self._ingest is None:
            with self._build_lock:
                if self._ingest is None:
                    from assistant.guards.ingest_screen import PlantedInstructionScreen
                    from ingest.pipeline import IngestPipeline

                    self._ingest = IngestPipeline(
                        self.settings, database=self.db, screen=PlantedInstructionScreen()
                    )
        return self._ingest

    def escalator(self) -> Escalator:
        if self._escalator is None:
            with self._build_lock:
                if self._escalator is None:
                    from assistant.escalation.hook import Escalator

                    self._escalator = Escalator(self.settings, database=self.db)
        return self._escalator

    def desk(self) -> AgentDesk:
        if self._desk is None:
            with self._build_lock:
                if self._desk is None:
                    from assistant.escalation.agents import AgentDesk

                    self._desk = AgentDesk(self.settings, database=self.db)
        return self._desk

    def knowledge_loop(self) -> KnowledgeLoop:
        return self.desk().knowledge_loop

    def kb_lock(self, kb: str) -> KBLock:
        """Serialises writes to one knowledge base (ingest jobs, FAQ edits, deletes): each write
        bumps the knowledge-base version. Across processes too on PostgreSQL (api.locks)."""
        with self._build_lock:
            if kb not in self._kb_locks:
                shared = None
                if self.db.engine.dialect.name == "postgresql":
                    shared = AdvisoryLock(self.db.engine, f"kefu-kb:{kb}")
                self._kb_locks[kb] = KBLock(threading.Lock(), shared)
            return self._kb_locks[kb]

    def warm_up(self) -> None:
        """Build the pipelines and load the embedder, so the first request does not pay for it."""
        try:
            from ingest.embedding import get_embedder

            self.retriever()
            self.ingest()
            get_embedder(self.settings).embed_query("warm up")
            self.answers()
            self._load_local_llm()
        except Exception:  # a broken model must not stop the service; /readyz reports it
            log.exception("warm-up failed")

    def _load_local_llm(self) -> None:
        """The packaged LLM loads on its first generation (1-4 s measured here): load it here, so
        with several workers no customer's first chat on a worker pays for it."""
        from assistant.llm.capabilities import LOCAL_PROVIDER

        provider, _, name = self.settings.llm_model.partition("/")
        if provider == LOCAL_PROVIDER and name:
            from assistant.llm.local import load_local_model

            load_local_model(name, self.settings)

    def close(self) -> None:
        self.jobs.shutdown()
