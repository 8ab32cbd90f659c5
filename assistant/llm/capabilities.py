"""What a configured LLM can be trusted with, so the pipeline can route around a weak model.

Decisions such as "a Chinese question on the local model gets the extractive answer" or "do not use
the LLM to rewrite the follow-up question" read these flags instead of testing model names.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCAL_PROVIDER = "kefu-local"  # litellm provider name of the in-process model (assistant.llm.local)


@dataclass(frozen=True)
class Capabilities:
    languages: frozenset[str]  # answer languages it writes acceptably ("en", "zh")
    can_rewrite: bool  # condense a conversation into a standalone question
    can_judge: bool  # act as an evaluation judge / grounding verifier
    cites_zero_shot: bool  # cites [n] without a worked example in the prompt
    refuses_unanswerable: bool  # says "I don't know" rather than inventing an answer
    local: bool  # runs in this process on the CPU (slow; keep prompts short)

    def writes(self, lang: str) -> bool:
        return lang.split("-")[0].lower() in self.languages


# SmolLM2-135M-Instruct, measured on a 2-core machine: English only, Chinese output is
# garbage, lists facts without citing unless shown a worked example, invents answers.
LOCAL_WEAK = Capabilities(
    languages=frozenset({"en"}),
    can_rewrite=False,
    can_judge=False,
    cites_zero_shot=False,
    refuses_unanswerable=False,
    local=True,
)
# Hosted chat models kefu is deployed with (deepseek-chat, qwen2.5-72b, gpt-4o class).
HOSTED = Capabilities(
    languages=frozenset({"en", "zh"}),
    can_rewrite=True,
    can_judge=True,
    cites_zero_shot=True,
    refuses_unanswerable=True,
    local=False,
)


# The same small model served another way (llama-cpp server on loopback: "openai/smollm2-...").
_WEAK_MODEL_MARKERS = ("smollm",)


def model_capabilities(model_name: str) -> Capabilities:
    """Capabilities of a litellm model name: in-process or known-small models are weak, others capable."""
    name = model_name.lower()
    if name.startswith(f"{LOCAL_PROVIDER}/") or any(marker in name for marker in _WEAK_MODEL_MARKERS):
        return LOCAL_WEAK
    return HOSTED
