"""The handoff summary: extractive without a capable LLM, the LLM's text with one, and the
extractive fallback when the LLM call fails (a fake LLM forces the exact reply and the failure)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assistant.llm.client import LLMError, LLMReply
from assistant.summary import Attempt, HandoffSummarizer, SummaryInput, main_questions
from assistant.types import Message
from ingest.config import Settings

TRANSCRIPT = [
    Message("user", "Can I return a gift without a receipt?"),
    Message("assistant", "I couldn't find this in our help centre..."),
    Message("user", "can I return a gift with no receipt??"),
    Message("assistant", "I couldn't find this in our help centre..."),
    Message("user", "转人工"),
    Message("user", "Also, how long do refunds take?"),
]
DATA = SummaryInput(
    messages=TRANSCRIPT,
    attempts=[
        Attempt("Can I return a gift without a receipt?", "refused", probability=0.12),
        Attempt("can I return a gift with no receipt??", "low_confidence", ("Returns policy",), 0.55),
    ],
    reasons=["asked for a human ('转人工')"],
)


class FakeLLM:
    def __init__(self, reply: str | None) -> None:
        self.reply = reply
        self.prompts: list[Sequence[Message | dict[str, str]]] = []

    def complete(
        self, messages: Sequence[Message | dict[str, str]], *, max_tokens: int | None = None
    ) -> LLMReply:
        self.prompts.append(messages)
        if self.reply is None:
            raise LLMError(
                "LLM deepseek/deepseek-chat failed: connection refused", model="deepseek/deepseek-chat"
            )
        return LLMReply(self.reply, "deepseek/deepseek-chat", 100, 20, 5.0)


def test_main_questions_skip_requests_and_repeats() -> None:
    assert main_questions(TRANSCRIPT) == [
        "Can I return a gift without a receipt?",
        "Also, how long do refunds take?",
    ]
    assert main_questions([Message("user", "转人工")]) == ["转人工"]  # nothing else was said


def test_extractive_summary_on_the_local_model(tmp_path: Path) -> None:
    summary = HandoffSummarizer(Settings(data_dir=tmp_path)).run(DATA)  # default: the weak local model
    assert summary.method == "extractive" and summary.error is None
    assert summary.questions == ["Can I return a gift without a receipt?", "Also, how long do refunds take?"]
    assert summary.tried == [
        "'Can I return a gift without a receipt?' -> refused: not in the knowledge base, p=0.12",
        "'can I return a gift with no receipt??' -> low-confidence answer from 'Returns policy', p=0.55",
    ]
    assert summary.text.startswith("Customer asked: “Can I return a gift without a receipt?”")
    assert "Escalated: asked for a human ('转人工')." in summary.text


def test_llm_summary_with_a_capable_model(tmp_path: Path) -> None:
    llm = FakeLLM(
        "Customer wants to return a gift without a receipt; the bot had no policy; asked for a human."
    )
    summary = HandoffSummarizer(Settings(data_dir=tmp_path, llm_model="deepseek/deepseek-chat"), llm=llm).run(
        DATA
    )
    assert summary.method == "llm" and summary.text == llm.reply
    assert (
        summary.questions[0] == "Can I return a gift without a receipt?"
    )  # structured parts stay extractive
    prompt = llm.prompts[0][1]["content"]  # type: ignore[index]
    assert "user: 转人工" in prompt and "asked for a human" in prompt


def test_llm_failure_falls_back_to_extractive(tmp_path: Path) -> None:
    summary = HandoffSummarizer(
        Settings(data_dir=tmp_path, llm_model="deepseek/deepseek-chat"), llm=FakeLLM(None)
    ).run(DATA)
    assert summary.method == "extractive" and "connection refused" in (summary.error or "")
    assert summary.text.startswith("Customer asked:")
