"""Generate an answer from retrieved passages with the configured LLM, citing them as [n].

The prompt is a grounding prompt (numbered passages, answer only from them, cite [n]) with ONE
worked example as a prior chat turn: measured on SmolLM2-135M with ten questions, zero-shot output
rambled on (lists of made-up "[3] 30 days" lines, echoed passages) and 2/10 answers passed the
grounding check; with the example, answers were one or two sentences and 4/10 passed (the rest
fall back to the extractive answer). The small model still often leaves out the
[n] markers on correct sentences, so code attaches the best-supporting passage number to uncited
sentences it can attribute (`citations_added`); sentences no passage supports stay uncited and the
grounding check rejects them. The system prompt and worked example come first and never change, so
the local model finds them in its KV cache and only evaluates the passages and question.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from assistant.grounding import (
    MIN_CLAIM_UNITS,
    MIN_SUPPORT_BIGRAMS,
    MIN_SUPPORT_WORDS,
    lexical_units,
    split_sentences,
)
from assistant.llm.client import LLMClient, LLMError, LLMReply
from assistant.types import Passage
from ingest.config import Settings, get_settings
from ingest.text import citations_in, count_tokens, is_chinese, strip_citations, truncate_tokens

# cl100k counts are converted to the model's tokens with this factor. Measured for SmolLM2's
# tokenizer: 1.18x cl100k on English prompts (chat template included), 2.05x on Chinese.
TOKENIZER_FACTOR = {"en": 1.25, "zh": 2.1}
PER_MESSAGE_TOKENS = 6  # chat template markers around each message
# A passage cut shorter than this is no longer worth showing; the prompt ends before it instead.
MIN_PASSAGE_TOKENS = 48
# Prompt scaffolding the small model sometimes echoes after its answer; generation stops there.
STOP = ["\nQuestion:", "\nSources:", "\n问题：", "\n资料："]

SYSTEM_PROMPT = {
    "en": (
        "You are a customer service assistant. Answer the customer's question using only the numbered "
        "passages. Cite the passage number in square brackets, like [1], after each fact. Keep the answer "
        "short. If the passages do not answer the question, say you don't know."
    ),
    "zh": (
        "你是客服助手。只根据编号资料回答客户的问题，用简体中文回答。每个事实后面用方括号注明资料编号，"
        "例如[1]。回答要简短。如果资料里没有答案，就说不知道。"
    ),
}
SOURCES_LABEL = {"en": "Sources:", "zh": "资料："}
QUESTION_LABEL = {"en": "Question: ", "zh": "问题："}
# (passages as (title, text), question, answer): a different topic from real questions, so a
# model that copies the example produces text the grounding check rejects.
WORKED_EXAMPLE = {
    "en": (
        [
            (
                "Changing an order",
                "You can change the delivery address until the order has shipped. "
                "Go to My Orders and choose Edit address.",
            ),
            ("Gift cards", "Gift cards never expire and can be used online or in store."),
        ],
        "Can I change my delivery address?",
        "Yes, you can change the delivery address until the order has shipped [1].",
    ),
    "zh": (
        [
            ("修改订单", "订单发货前可以修改收货地址。请在“我的订单”中选择“修改地址”。"),
            ("礼品卡", "礼品卡永久有效，可在线上或门店使用。"),
        ],
        "我可以修改收货地址吗？",
        "可以，订单发货前可以修改收货地址[1]。",
    ),
}


@dataclass
class GeneratedAnswer:
    text: str
    citations_used: list[int]
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    model: str
    citations_added: list[int] = field(default_factory=list)  # attached by code, not by the model
    passages_used: list[int] = field(default_factory=list)  # n of the passages that fit the prompt
    finish_reason: str | None = None


def _lang_key(lang: str) -> str:
    return "zh" if lang.lower().startswith("zh") else "en"


def format_passage(passage: Passage) -> str:
    body = " ".join(passage.text.split())  # one line per passage keeps the numbering unambiguous
    return f"[{passage.n}] {passage.title} — {body}" if passage.title else f"[{passage.n}] {body}"


class AnswerGenerator:
    def __init__(self, settings: Settings | None = None, client: LLMClient | None = None) -> None:
        self.settings = settings or (client.settings if client else get_settings())
        self.client = client or LLMClient(self.settings)

    def run(self, question: str, passages: list[Passage], lang: str) -> GeneratedAnswer:
        messages, used = self.build_messages(question, passages, lang)
        reply = self.client.complete(messages, max_tokens=self.settings.llm_max_tokens, stop=STOP)
        return self._answer(reply, passages, used)

    async def arun(self, question: str, passages: list[Passage], lang: str) -> GeneratedAnswer:
        messages, used = self.build_messages(question, passages, lang)
        reply = await self.client.acomplete(messages, max_tokens=self.settings.llm_max_tokens, stop=STOP)
        return self._answer(reply, passages, used)

    async def astream(self, question: str, passages: list[Passage], lang: str) -> AsyncIterator[str]:
        """The model's text as it is produced: unchecked, and without the citations `run` attaches.
        For a model that needs the grounding check (the local one), use `run`."""
        messages, _ = self.build_messages(question, passages, lang)
        async for piece in self.client.astream(messages, max_tokens=self.settings.llm_max_tokens, stop=STOP):
            yield piece

    def build_messages(
        self, question: str, passages: list[Passage], lang: str
    ) -> tuple[list[dict[str, str]], list[int]]:
        """Chat messages for the question, and the n of the passages that fit the context window."""
        if not passages:
            raise ValueError("generation needs at least one passage")
        key = _lang_key(lang)
        example_passages, example_question, example_answer = WORKED_EXAMPLE[key]
        example = [
            Passage(chunk_id=f"example-{i}", doc_id="example", title=title, text=text, n=i)
            for i, (title, text) in enumerate(example_passages, start=1)
        ]
        head = [
            {"role": "system", "content": SYSTEM_PROMPT[key]},
            {
                "role": "user",
                "content": self._user_message(key, [format_passage(p) for p in example], example_question),
            },
            {"role": "assistant", "content": example_answer},
        ]
        fixed = sum(count_tokens(m["content"]) for m in head) + count_tokens(
            self._user_message(key, [], question)
        )
        # What the model's context holds besides the reply and the template, in cl100k tokens.
        room = (
            self.settings.llm_context_tokens
            - self.settings.llm_max_tokens
            - PER_MESSAGE_TOKENS * (len(head) + 1)
        )
        budget = int(room / TOKENIZER_FACTOR[key]) - fixed
        blocks = self._fit(passages, budget)
        if not blocks:
            raise ValueError(f"no room for passages: question and instructions use {fixed} of the context")
        user = {"role": "user", "content": self._user_message(key, [b for _, b in blocks], question)}
        return head + [user], [n for n, _ in blocks]

    def _user_message(self, key: str, blocks: list[str], question: str) -> str:
        sources = "\n".join(blocks)
        return f"{SOURCES_LABEL[key]}\n{sources}\n\n{QUESTION_LABEL[key]}{question}"

    def _fit(self, passages: list[Passage], budget: int) -> list[tuple[int, str]]:
        # Passages arrive best first: keep them whole while they fit, cut the first one that does
        # not (if enough of it remains to be useful) and drop the rest.
        blocks: list[tuple[int, str]] = []
        for passage in passages:
            block = format_passage(passage)
            tokens = count_tokens(block) + 1  # + the newline between blocks
            if tokens <= budget:
                blocks.append((passage.n, block))
                budget -= tokens
                continue
            if budget >= MIN_PASSAGE_TOKENS:
                blocks.append((passage.n, truncate_tokens(block, budget - 2) + "…"))
            break
        return blocks

    def _answer(self, reply: LLMReply, passages: list[Passage], used: list[int]) -> GeneratedAnswer:
        text = _drop_cut_sentence(reply.text) if reply.finish_reason == "length" else reply.text
        if not text.strip():
            raise LLMError(f"LLM {reply.model} returned no answer text", model=reply.model)
        shown = [p for p in passages if p.n in used]
        text, added = attach_citations(text, shown)
        return GeneratedAnswer(
            text=text,
            citations_used=citations_in(text),
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            latency_ms=reply.latency_ms,
            model=reply.model,
            citations_added=added,
            passages_used=used,
            finish_reason=reply.finish_reason,
        )


_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？", "；", ";")
_FINAL_PUNCT_RE = re.compile(r"[.!?。！？；;]*$")


def attach_citations(text: str, passages: list[Passage]) -> tuple[str, list[int]]:
    """Append [n] to each uncited sentence that passage n supports (best support, earliest n on
    ties); returns the new text and the numbers attached."""
    sources = [(p.n, set(lexical_units(f"{p.title}\n{p.text}"))) for p in passages]
    added: list[int] = []
    lines = []
    for line in text.splitlines():
        sentences = []
        for sentence in split_sentences(line):
            units = set(lexical_units(sentence))
            if len(units) >= MIN_CLAIM_UNITS and sources and not citations_in(sentence):
                n, source = max(sources, key=lambda s: (len(units & s[1]), -s[0]))
                threshold = MIN_SUPPORT_BIGRAMS if is_chinese(sentence) else MIN_SUPPORT_WORDS
                if len(units & source) / len(units) >= threshold:
                    match = _FINAL_PUNCT_RE.search(sentence)
                    cut = match.start() if match else len(sentence)
                    sentence = f"{sentence[:cut]}{'' if is_chinese(sentence) else ' '}[{n}]{sentence[cut:]}"
                    added.append(n)
            sentences.append(sentence)
        lines.append(("" if is_chinese(line) else " ").join(sentences))
    return "\n".join(lines), list(dict.fromkeys(added))


def _drop_cut_sentence(text: str) -> str:
    # The reply hit max_tokens: its last sentence is unfinished. Keep the complete ones, if any.
    sentences = split_sentences(text)
    if len(sentences) > 1 and not strip_citations(sentences[-1]).rstrip().endswith(_SENTENCE_ENDS):
        return text[: text.rfind(sentences[-1])].rstrip()
    return text
