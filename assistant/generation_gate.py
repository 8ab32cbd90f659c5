"""GenerationGate: whether drafting an answer with the LLM is worth the customer's wait, judged by
how the model's recent drafts fared in the grounding check.

Why: the packaged local model (SmolLM2-135M) writes a draft that survives the grounding check for
about one English question in ten (`kefu eval run --dataset covid_faq --sample 100`: 8 answers
generated, 75 extractive, most after a failed draft), and each failed draft costs several seconds
before the extractive answer replaces it. The gate remembers the outcome of the last `window`
drafts per language (grounded, or not: ungrounded, an LLM error or a timeout). Once `min_drafts`
are known and fewer than `min_pass_rate` of them were grounded, the gate closes and turns go
straight to the extractive answer, except every `probe_every`-th one, which still drafts: a
grounded probe opens the gate again (the record starts afresh), so a model that recovers (a
provider outage ends, a better prompt) is noticed. A capable model never closes it. The packaged
local model's gate starts closed, and its probes are recorded, not shown (GenerationGate's
`start_closed`).
`KEFU_LLM_MIN_GROUNDED_RATE=0` turns the gate off.

Measured with that eval command (covid_faq, 100 questions, local model): answer latency p50 6.4 s
-> 43 ms, mean 1.7 s (1.1 s after the first 20 questions); generated answers 8 -> 2, the other six
now extractive at once. p95 stays at 8.7-9.0 s: the first ten drafts and the probes.

The record lives in SQL (table generation_gate_records, one row per model and language) when the
gate is given a database, as the pipeline does: every `kefu ask` is a new process, and a record in
one process's memory started empty each time, so every CLI question waited for a draft. The CLI,
every worker and eval runs on the same database now share it. Without a database (a library caller,
unit tests of the rule) the record is kept in this process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assistant.models import GenerationGateRecord
from ingest.db import Database

WINDOW = 20
MAX_WINDOW = 64  # the width of the outcomes column
MIN_DRAFTS = 10
PROBE_EVERY = 20


@dataclass(frozen=True)
class GateDecision:
    draft: bool
    grounded: int  # grounded drafts among the recent ones
    recent: int  # drafts remembered
    probe: bool = False  # the gate is closed and this turn drafts to test the model again

    def as_dict(self) -> dict[str, object]:
        return {"draft": self.draft, "probe": self.probe, "recent_grounded": f"{self.grounded}/{self.recent}"}


@dataclass
class _Record:
    outcomes: str = ""  # one character per draft, oldest first: "1" grounded, "0" not
    skipped: int = 0  # turns sent to the extractive answer since the last probe


class _Records(Protocol):
    def open(self, lang: str) -> AbstractContextManager[_Record]:
        """The record of `lang`, locked against other turns; changes are kept on exit. A record
        that does not exist yet starts with `initial` outcomes."""


class _ProcessRecords:
    def __init__(self, initial: str) -> None:
        self.initial = initial
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    @contextmanager
    def open(self, lang: str) -> Iterator[_Record]:
        with self._lock:
            yield self._records.setdefault(lang, _Record(self.initial))


class _SqlRecords:
    """Rows of generation_gate_records for one model. The row is locked (SELECT ... FOR UPDATE on
    PostgreSQL; SQLite serialises writers) so two workers cannot both take the same probe."""

    def __init__(self, database: Database, model: str, initial: str) -> None:
        self.database = database
        self.model = model
        self.initial = initial

    @contextmanager
    def open(self, lang: str) -> Iterator[_Record]:
        self._ensure_row(lang)
        with self.database.session() as session:
            row = session.execute(
                select(GenerationGateRecord)
                .where(GenerationGateRecord.model == self.model, GenerationGateRecord.lang == lang)
                .with_for_update()
            ).scalar_one()
            record = _Record(row.outcomes, row.skipped)
            yield record
            if (record.outcomes, record.skipped) != (row.outcomes, row.skipped):
                row.outcomes, row.skipped = record.outcomes, record.skipped

    def _ensure_row(self, lang: str) -> None:
        with self.database.session() as session:
            if session.get(GenerationGateRecord, (self.model, lang)) is not None:
                return
        try:
            with self.database.session() as session:
                session.add(
                    GenerationGateRecord(model=self.model, lang=lang, outcomes=self.initial, skipped=0)
                )
        except IntegrityError:
            pass  # another process created it first


class GenerationGate:
    def __init__(
        self,
        min_pass_rate: float,
        *,
        database: Database | None = None,
        model: str = "",
        window: int = WINDOW,
        min_drafts: int = MIN_DRAFTS,
        probe_every: int = PROBE_EVERY,
        start_closed: bool = False,
    ) -> None:
        """`database`: keep the record there, per `model` (the litellm model name: a record says how
        that model's drafts fared); without one, the record lives in this process only.
        `start_closed`: a new record starts as `min_drafts` failed drafts, for a model known to
        fail the check (the packaged local model): the first customers do not wait for drafts
        that fail. Its probes are judged with the other drafts, not afresh: one grounded probe
        does not reopen the gate, the window's share must reach min_pass_rate (a lucky probe of
        SmolLM2-135M had opened it for ten drafts, some wrong and grounded all the same); and a
        probe's draft is not shown (`shows_probes`): it is checked and recorded only."""
        if not 0.0 <= min_pass_rate <= 1.0:
            raise ValueError(f"min_pass_rate must be within 0..1, got {min_pass_rate}")
        if min_drafts > window or min_drafts < 1 or probe_every < 1 or window > MAX_WINDOW:
            raise ValueError(f"need 1 <= min_drafts <= window <= {MAX_WINDOW} and probe_every >= 1")
        self.min_pass_rate = min_pass_rate
        self.window = window
        self.min_drafts = min_drafts
        self.probe_every = probe_every
        self.known_weak = start_closed
        initial = "0" * min_drafts if start_closed and min_pass_rate > 0 else ""
        self._records: _Records = (
            _SqlRecords(database, model, initial) if database is not None else _ProcessRecords(initial)
        )

    def run(self, lang: str) -> GateDecision:
        """Whether this turn, in `lang`, should draft with the LLM."""
        with self._records.open(lang) as record:
            outcomes = record.outcomes[-self.window :]
            grounded, recent = outcomes.count("1"), len(outcomes)
            if not self._closed(grounded, recent):
                return GateDecision(True, grounded, recent)
            record.skipped += 1
            if record.skipped >= self.probe_every:
                record.skipped = 0
                return GateDecision(True, grounded, recent, probe=True)
            return GateDecision(False, grounded, recent)

    def record(self, lang: str, grounded: bool) -> None:
        """The outcome of a draft: grounded, or not (failed the check, or the LLM failed)."""
        with self._records.open(lang) as record:
            outcomes = record.outcomes[-self.window :]
            if grounded and not self.known_weak and self._closed(outcomes.count("1"), len(outcomes)):
                outcomes = ""  # a grounded probe: judge the model afresh
                record.skipped = 0
            record.outcomes = (outcomes + ("1" if grounded else "0"))[-self.window :]

    @property
    def shows_probes(self) -> bool:
        """Whether a probe's grounded draft is the answer (not for a model known to fail)."""
        return not self.known_weak

    def _closed(self, grounded: int, recent: int) -> bool:
        return recent >= self.min_drafts and grounded < self.min_pass_rate * recent
