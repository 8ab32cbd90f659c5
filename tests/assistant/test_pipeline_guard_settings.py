"""KEFU_GUARD_* variables reach the answer pipeline's guards: the settings a deployment builds from
its environment change what one turn does (the sample help centre, no LLM call: both turns stop at
the input guard)."""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest

from assistant.pipeline import AnswerPipeline, AnswerRequest
from ingest.config import Settings

SAMPLE_KB = "sample"  # built by the sample_settings fixture (conftest.py)


@pytest.fixture
def deployment_settings(sample_settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path):  # type: ignore[no-untyped-def]
    """Settings as a process builds them from its environment, over the sample knowledge base."""
    for name in list(os.environ):
        if name.startswith("KEFU_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the working folder

    def build(**variables: str) -> Settings:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return Settings(data_dir=sample_settings.data_dir)

    return build


def test_guard_variables_configure_the_pipelines_input_guard(deployment_settings) -> None:  # type: ignore[no-untyped-def]
    settings = deployment_settings(
        KEFU_GUARD_MAX_INPUT_CHARS="30", KEFU_GUARD_PII_SALT="shop-secret", KEFU_LLM_MIN_GROUNDED_RATE="0"
    )
    question = "My e-mail is mary.chan@example.com, how many days do I have to return an item?"
    result = AnswerPipeline(settings).run(AnswerRequest(question, kb=SAMPLE_KB))
    guard = result.verdicts.input_guard
    assert result.refused and guard is not None and guard.reason == "too_long"
    assert "mary.chan" not in result.question
    (pii,) = [check for check in guard.checks if check["guard"] == "pii"]
    expected = hmac.new(b"shop-secret", b"email:mary.chan@example.com", hashlib.sha256).hexdigest()[:16]
    assert [finding["hash"] for finding in pii["findings"]] == [expected]
