"""The bilingual injection case suite (injection_cases.jsonl), reusable by a benchmark later.

Each case: id, lang (zh/en), kind (direct, extraction, roleplay, delimiter, encoded, planted,
benign), target ("input": a user message for InputGuard; "passage": a retrieved passage for
neutralize_passage), expected ("block": detected / planted text removed; "allow": untouched),
and for passages "keep": text that must survive neutralisation.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.guards import InputGuard, neutralize_passage
from assistant.guards.injection import REMOVED

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "injection_cases.jsonl").read_text("utf-8").splitlines()
]
INPUTS = [case for case in CASES if case["target"] == "input"]
PASSAGES = [case for case in CASES if case["target"] == "passage"]


def test_suite_size_and_coverage() -> None:
    attacks = [case for case in CASES if case["expected"] == "block"]
    benign_inputs = [case for case in INPUTS if case["expected"] == "allow"]
    assert len(attacks) >= 40
    assert len(benign_inputs) >= 20
    assert len({case["id"] for case in CASES}) == len(CASES)
    kinds = Counter((case["lang"], case["kind"]) for case in attacks)
    for lang in ("en", "zh"):
        for kind in ("direct", "extraction", "roleplay", "delimiter", "encoded", "planted"):
            assert kinds[(lang, kind)] >= 1, (lang, kind)


@pytest.mark.parametrize("case", INPUTS, ids=[case["id"] for case in INPUTS])
def test_user_message(case: dict[str, str], input_guard: InputGuard) -> None:
    result = input_guard.run(case["text"])
    if case["expected"] == "block":
        assert result.blocked and result.block_reason == "prompt_injection", result.injection.reason
        assert result.refusal and result.lang == case["lang"]
    else:
        assert not result.blocked, result.injection.reason


@pytest.mark.parametrize("case", PASSAGES, ids=[case["id"] for case in PASSAGES])
def test_retrieved_passage(case: dict[str, str]) -> None:
    text, hits = neutralize_passage(case["text"])
    if case["expected"] == "block":
        assert hits and REMOVED in text
        assert case["keep"] in text
    else:
        assert not hits and text == case["text"]
