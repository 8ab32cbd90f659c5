"""LLM-judged Ragas metrics (only with --judge): Faithfulness, AnswerRelevancy, context precision
and recall against the reference, FactualCorrectness.

Uses the modern `ragas.metrics.collections` classes (`await metric.ascore(...)` -> MetricResult).
A judge failure (server down, unparseable output, timeout, or a metric that comes back NaN because
the reply held nothing to score) is recorded on the question as row["judge_errors"][metric] and the
metric left None; it never stops the run. So every judged metric of a question is either a number
or a recorded failure. The summary's judge_error_rate is failed metric calls / metric calls made.

Knobs (EvalSettings, KEFU_JUDGE_*): max tokens per reply, re-asks after an unparsable reply,
metric calls in flight, AnswerRelevancy's strictness, and a JSON-schema grammar for
llama-cpp-python's server, which lets the packaged 135M model reply in the right shape.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ingest.config import Settings

JUDGE_METRICS = (
    "faithfulness",
    "answer_relevancy",
    "llm_context_precision_with_reference",
    "llm_context_recall",
    "factual_correctness",
)
# Recorded when a metric returns without a number: Ragas gives NaN when the judge's reply held
# nothing to score (no statements extracted from the answer, no claims in the reference, ...).
NO_SCORE = "NoScore: the metric returned NaN (the judge's reply held nothing to score)"


def _score(result: Any) -> float | None:
    """A MetricResult's value as a finite float, else None."""
    value = getattr(result, "value", result)
    try:
        score = float(value)
    except (TypeError, ValueError):
        return None
    return score if math.isfinite(score) else None


@dataclass
class Judge:
    name: str  # recorded with the run: model (and server when given)
    metrics: dict[str, Any]
    concurrency: int = 4  # metric calls in flight (KEFU_JUDGE_CONCURRENCY)

    @classmethod
    def create(cls, model: str, *, base_url: str | None, settings: Settings) -> Judge:
        from ragas.metrics.collections import (
            AnswerRelevancy,
            ContextPrecisionWithReference,
            ContextRecall,
            FactualCorrectness,
            Faithfulness,
        )

        from ingest.config import get_settings
        from eval.judge_models import make_embeddings, make_llm

        eval_settings = get_settings().eval
        base_url = base_url or eval_settings.judge_api_base
        llm = make_llm(
            model,
            base_url=base_url,
            api_key=eval_settings.judge_api_key,
            timeout_s=eval_settings.judge_timeout_s,
            settings=settings,
            max_tokens=eval_settings.judge_max_tokens,
            retries=eval_settings.judge_retries,
            schema_grammar=eval_settings.judge_schema_grammar,
        )
        metrics = {
            "faithfulness": Faithfulness(llm=llm),
            "answer_relevancy": AnswerRelevancy(
                llm=llm, embeddings=make_embeddings(settings), strictness=eval_settings.judge_strictness
            ),
            "llm_context_precision_with_reference": ContextPrecisionWithReference(llm=llm),
            "llm_context_recall": ContextRecall(llm=llm),
            "factual_correctness": FactualCorrectness(llm=llm),
        }
        return cls(
            name=f"{model} @ {base_url}" if base_url else model,
            metrics=metrics,
            concurrency=eval_settings.judge_concurrency,
        )

    def _calls(self, row: dict[str, Any]) -> dict[str, Callable[[], Awaitable[Any]]]:
        """The metric calls that apply to a row: answered questions with a reference answer."""
        question, answer, reference = row["question"], row["answer"], row["reference"]
        contexts = [p["text"] for p in row["passages"]]
        m = self.metrics
        calls: dict[str, Callable[[], Awaitable[Any]]] = {}
        if row.get("error") or not row["answerable"] or row["refused"] or not answer.strip():
            return calls
        calls["answer_relevancy"] = lambda: m["answer_relevancy"].ascore(user_input=question, response=answer)
        if contexts:
            calls["faithfulness"] = lambda: m["faithfulness"].ascore(
                user_input=question, response=answer, retrieved_contexts=contexts
            )
        if reference.strip():
            calls["factual_correctness"] = lambda: m["factual_correctness"].ascore(
                response=answer, reference=reference
            )
            if contexts:
                calls["llm_context_precision_with_reference"] = lambda: m[
                    "llm_context_precision_with_reference"
                ].ascore(user_input=question, reference=reference, retrieved_contexts=contexts)
                calls["llm_context_recall"] = lambda: m["llm_context_recall"].ascore(
                    user_input=question, retrieved_contexts=contexts, reference=reference
                )
        return calls

    async def _score_all(
        self, rows: list[dict[str, Any]], progress: Callable[[str, int, int], None] | None
    ) -> None:
        gate = asyncio.Semaphore(self.concurrency)
        done = 0

        async def one(row: dict[str, Any], name: str, call: Callable[[], Awaitable[Any]]) -> None:
            async with gate:
                try:
                    result = await call()
                except Exception as exc:  # judge failures are data, not crashes
                    row["judge_errors"][name] = f"{type(exc).__name__}: {exc}"[:500]
                    return
                score = _score(result)
                if score is None:
                    row["judge_errors"][name] = NO_SCORE
                else:
                    row["scores"][name] = score

        async def row_task(row: dict[str, Any]) -> None:
            nonlocal done
            await asyncio.gather(*(one(row, name, call) for name, call in self._calls(row).items()))
            done += 1
            if progress is not None:
                progress("judge", done, len(rows))

        for row in rows:
            row["judge_errors"] = {}
            row["judge_calls"] = len(self._calls(row))
            for name in JUDGE_METRICS:
                row["scores"].setdefault(name, None)
        await asyncio.gather(*(row_task(row) for row in rows))

    def score_rows(
        self,
        rows: list[dict[str, Any]],
        *,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        """Adds the judged scores to row["scores"], failures to row["judge_errors"] and the number of
        metric calls made to row["judge_calls"]."""
        # instructor logs every failed attempt at ERROR; the failures are recorded on the rows instead.
        instructor_log = logging.getLogger("instructor")
        level = instructor_log.level
        instructor_log.setLevel(logging.CRITICAL)
        try:
            asyncio.run(self._score_all(rows, progress))
        finally:
            instructor_log.setLevel(level)
