"""The generation gate's record lives in SQL: separate processes (the CLI, workers, eval runs), each
with its own gate and its own engine, share what the model's drafts did."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.generation_gate import MIN_DRAFTS, PROBE_EVERY, GenerationGate
from assistant.pipeline import AnswerPipeline
from ingest.config import Settings
from ingest.db import Database

MODEL = "kefu-local/smollm2"


def _fail_drafts(gate: GenerationGate, lang: str, count: int = MIN_DRAFTS) -> None:
    for _ in range(count):
        assert gate.run(lang).draft
        gate.record(lang, grounded=False)


def _shared_record(first_db: Database, second_db: Database) -> None:
    first = GenerationGate(0.25, database=first_db, model=MODEL)
    second = GenerationGate(0.25, database=second_db, model=MODEL)
    _fail_drafts(first, "en")
    decision = second.run("en")
    assert not decision.draft and decision.as_dict()["recent_grounded"] == f"0/{MIN_DRAFTS}"
    # The probe counter is shared too: the probe comes after PROBE_EVERY skipped turns in all.
    decisions = [first.run("en") for _ in range(PROBE_EVERY - 1)]
    assert [d.probe for d in decisions] == [False] * (PROBE_EVERY - 2) + [True]
    first.record("en", grounded=True)  # a grounded probe opens the gate for everyone
    assert second.run("en").draft and second.run("en").as_dict()["recent_grounded"] == "1/1"
    # Another language and another model have records of their own.
    assert second.run("zh").draft
    assert (
        GenerationGate(0.25, database=first_db, model="openai/gpt-4o").run("en").as_dict()["recent_grounded"]
        == "0/0"
    )


def test_two_gates_on_one_sqlite_file_share_the_record(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    first_db, second_db = Database(url), Database(url)
    try:
        _shared_record(first_db, second_db)
    finally:
        first_db.dispose()
        second_db.dispose()


def test_two_gates_on_postgresql_share_the_record(postgres_url: str) -> None:
    first_db, second_db = Database(postgres_url), Database(postgres_url)
    try:
        _shared_record(first_db, second_db)
    finally:
        first_db.dispose()
        second_db.dispose()


def test_a_new_pipeline_starts_with_the_record_earlier_pipelines_left(settings: Settings) -> None:
    # As two `kefu ask` processes: each builds its own pipeline on the same database URL. (A hosted
    # model: the packaged local one starts closed, see below.)
    settings = settings.model_copy(update={"llm_model": "openai/gpt-4o"})
    earlier = AnswerPipeline(settings, database=Database(settings.sql_url))
    _fail_drafts(earlier.answerer.gate, "en")
    later = AnswerPipeline(settings, database=Database(settings.sql_url))
    assert not later.answerer.gate.run("en").draft


def test_a_gate_that_starts_closed_answers_the_first_turns_without_drafting(tmp_path: Path) -> None:
    gate = GenerationGate(
        0.25, database=Database(f"sqlite:///{tmp_path / 'kefu.db'}"), model=MODEL, start_closed=True
    )
    decisions = [gate.run("en") for _ in range(PROBE_EVERY)]
    assert [d.draft for d in decisions] == [False] * (PROBE_EVERY - 1) + [True] and decisions[-1].probe
    # One grounded probe is judged with the record (1 of 11), not afresh: still closed.
    gate.record("en", grounded=True)
    assert not gate.run("en").draft
    assert GenerationGate(0.0, start_closed=True).run("en").draft  # rate 0 turns the gate off


def test_the_packaged_local_model_starts_with_the_gate_closed(settings: Settings) -> None:
    # The first `kefu ask` on a fresh install does not wait for a draft that would fail.
    assert settings.llm_model.startswith("kefu-local/")
    first = AnswerPipeline(settings).answerer.gate.run("en")
    assert not first.draft and not first.probe
    hosted = AnswerPipeline(settings.model_copy(update={"llm_model": "openai/gpt-4o"}))
    assert hosted.answerer.gate.run("en").draft


def test_without_a_database_the_record_is_kept_in_the_process() -> None:
    gate = GenerationGate(0.25)
    _fail_drafts(gate, "en")
    assert not gate.run("en").draft
    assert GenerationGate(0.25).run("en").draft


def test_a_window_wider_than_the_stored_record_is_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        GenerationGate(0.25, window=100)
