"""The generation gate: after a run of ungrounded drafts the pipeline answers extractively without
waiting for the model, probes it now and then, and drafts again once a probe is grounded."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.generation_gate import MIN_DRAFTS, PROBE_EVERY, GenerationGate
from assistant.pipeline import AnswerPipeline, AnswerRequest
from assistant.turn import GateVerdict
from ingest.config import Settings

SAMPLE_KB = "sample"  # built by the sample_settings fixture (conftest.py)
QUESTION = "How many days do I have to return an item?"


def test_gate_stays_open_while_drafts_are_grounded() -> None:
    gate = GenerationGate(0.25)
    for _ in range(50):
        assert gate.run("en").draft
        gate.record("en", grounded=True)


def test_gate_closes_after_mostly_ungrounded_drafts_and_probes() -> None:
    gate = GenerationGate(0.25, window=20, min_drafts=10, probe_every=5)
    for number in range(10):
        assert gate.run("en").draft, f"closed after only {number} drafts"
        gate.record("en", grounded=number == 0)  # 1 of 10 grounded: below a quarter
    decisions = [gate.run("en") for _ in range(10)]
    assert [d.draft for d in decisions] == [False] * 4 + [True] + [False] * 4 + [True]
    assert decisions[4].probe and decisions[0].as_dict()["recent_grounded"] == "1/10"
    # Other languages keep their own record.
    assert gate.run("zh").draft


def test_a_grounded_probe_opens_the_gate_and_a_failed_one_keeps_it_closed() -> None:
    gate = GenerationGate(0.5, window=4, min_drafts=2, probe_every=2)
    for _ in range(2):
        gate.record("en", grounded=False)
    assert not gate.run("en").draft
    assert gate.run("en").probe
    gate.record("en", grounded=False)
    assert not gate.run("en").draft
    assert gate.run("en").probe
    gate.record("en", grounded=True)
    assert gate.run("en").draft and gate.run("en").draft  # judged afresh: 1 of 1 grounded


def test_a_model_known_to_fail_reopens_on_its_record_not_on_one_lucky_probe() -> None:
    gate = GenerationGate(0.5, window=4, min_drafts=2, probe_every=2, start_closed=True)
    assert not gate.run("en").draft and gate.run("en").probe  # starts closed: probes only
    gate.record("en", grounded=True)
    assert not gate.run("en").draft  # 1 of 3 grounded: still closed
    assert gate.run("en").probe
    gate.record("en", grounded=True)
    assert gate.run("en").draft  # 2 of 4 grounded: the record says it does better than known
    assert not gate.shows_probes and GenerationGate(0.5).shows_probes


def test_rate_zero_never_closes_and_bad_settings_are_refused() -> None:
    gate = GenerationGate(0.0, window=4, min_drafts=2)
    for _ in range(10):
        gate.record("en", grounded=False)
    assert gate.run("en").draft
    with pytest.raises(ValueError):
        GenerationGate(1.5)
    with pytest.raises(ValueError):
        GenerationGate(0.25, window=5, min_drafts=6)


def test_an_out_of_range_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_LLM_MIN_GROUNDED_RATE", "2")
    with pytest.raises(ValidationError, match="llm_min_grounded_rate"):
        Settings()


def test_pipeline_skips_a_model_whose_drafts_keep_failing(sample_settings: Settings, scripted_llm) -> None:  # type: ignore[no-untyped-def]
    # A scripted model (allowed: the test forces exact replies) that invents a policy every time.
    scripted_llm.replies["flaky"] = "Our store sells flights to Paris and accepts Bitcoin [1]."
    pipeline = AnswerPipeline(sample_settings.model_copy(update={"llm_model": "kefu-test/flaky"}))

    def ask():  # type: ignore[no-untyped-def]
        return pipeline.run(AnswerRequest(QUESTION, kb=SAMPLE_KB, record=False))

    for _ in range(MIN_DRAFTS):
        result = ask()
        assert result.mode == "extractive" and not result.verdicts.grounding.ok
    assert len(scripted_llm.calls) == MIN_DRAFTS

    skipped = [ask() for _ in range(PROBE_EVERY - 1)]
    assert len(scripted_llm.calls) == MIN_DRAFTS, "the model was asked although its drafts kept failing"
    for result in skipped:
        assert result.mode == "extractive" and result.citations and "30" in result.text
        assert result.verdicts.generation_gate == GateVerdict(
            draft=False, probe=False, grounded=0, recent=MIN_DRAFTS
        )
        assert result.verdicts.grounding is None

    # The model recovers: it now quotes the returns policy. The next probe is grounded and the
    # gate opens, so the turn after it drafts again.
    scripted_llm.replies["flaky"] = skipped[0].text
    probe = ask()
    assert probe.verdicts.generation_gate.probe and probe.mode == "generated", probe.verdicts
    assert len(scripted_llm.calls) == MIN_DRAFTS + 1
    after = ask()
    assert after.mode == "generated" and after.verdicts.generation_gate.draft
    assert len(scripted_llm.calls) == MIN_DRAFTS + 2


def test_a_draft_counting_another_thing_falls_back_to_the_quote(
    sample_settings: Settings, scripted_llm
) -> None:  # type: ignore[no-untyped-def]
    # A scripted model (allowed: the test forces an exact reply) quoting a true sentence of the
    # troubleshooting page that does not name what the question counts.
    question = "How many devices can one Lumo Hub control?"
    pipeline = AnswerPipeline(sample_settings.model_copy(update={"llm_model": "kefu-test/counts"}))
    quoted = pipeline.run(AnswerRequest(question, kb=SAMPLE_KB, record=False))
    sentence = "Lumo Sense sensors need fresh CR2032 batteries"
    n = next(p.n for p in quoted.passages if sentence in p.text)
    scripted_llm.replies["counts"] = f"{sentence} [{n}]."
    result = pipeline.run(AnswerRequest(question, kb=SAMPLE_KB, record=False))
    assert result.verdicts.grounding is not None and not result.verdicts.grounding.ok
    assert "counts another thing than the question's" in result.verdicts.grounding.reasons
    assert result.mode == "extractive" and "64" in result.text
