"""The LLM-judged variant of the QA score, when a judge model is configured
(KEFU_ANALYTICS_QA_JUDGE_MODEL, any litellm model): the judge reads the transcript and rates the
service 1-5 with a one-sentence reason; the judged score is (rating - 1) x 25, so 1 -> 0 and
5 -> 100 like the deterministic score. A judge that fails or answers out of shape leaves the
conversation unjudged with the error, never a made-up score.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from assistant.analytics.facts import ConversationFacts
from assistant.llm.client import LLMClient, LLMError
from ingest.config import Settings

MAX_TURNS = 20
MAX_CHARS = 400
PROMPT = (
    "You review customer-service conversations between a customer, a bot and sometimes a human agent. "
    "Rate how well the customer was served, from 1 (not helped at all) to 5 (fully helped, quickly "
    'and politely). Reply with JSON only: {"rating": <1-5>, "reason": "<one short sentence>"}.'
)
_RATING = re.compile(r'"rating"\s*:\s*"?([1-5])\b')


@dataclass
class JudgedQa:
    model: str
    rating: int | None  # 1-5; None when the judge failed
    reason: str
    error: str | None = None

    @property
    def score(self) -> float | None:
        return None if self.rating is None else float((self.rating - 1) * 25)


def transcript(conversation: ConversationFacts) -> str:
    lines = [
        f"{turn.role}: {' '.join(turn.content.split())[:MAX_CHARS]}"
        for turn in conversation.turns
        if turn.role in ("user", "assistant", "agent") and turn.content.strip()
    ]
    return "\n".join(lines[-MAX_TURNS:])


class QaJudge:
    def __init__(self, settings: Settings, model: str, *, client: LLMClient | None = None) -> None:
        self.model = model
        self.client = client or LLMClient(
            settings.model_copy(update={"llm_model": model, "llm_fallbacks": []})
        )

    def run(self, conversation: ConversationFacts) -> JudgedQa:
        messages = [
            {"role": "system", "content": PROMPT},
            {"role": "user", "content": transcript(conversation)},
        ]
        try:
            reply = self.client.complete(messages, max_tokens=120, temperature=0.0)
        except LLMError as exc:
            return JudgedQa(self.model, None, "", error=str(exc))
        match = _RATING.search(reply.text)
        if match is None:
            return JudgedQa(
                reply.model, None, "", error=f"no 1-5 rating in the judge's reply: {reply.text[:200]!r}"
            )
        return JudgedQa(reply.model, int(match.group(1)), _reason(reply.text))


def _reason(text: str) -> str:
    try:
        start, end = text.index("{"), text.rindex("}") + 1
        return str(json.loads(text[start:end]).get("reason", "")).strip()
    except ValueError:
        return ""
