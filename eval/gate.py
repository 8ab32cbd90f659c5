"""Regression gate: a candidate run may not be worse than a baseline run by more than allowed.

max_drop is in the metric's own units: 0.02 on hit@5 allows 0.90 -> 0.88; for lower-is-better
metrics (latency, false refusal rate) it is the allowed increase, e.g. latency_p95_ms=200.
Both runs must have answered the same questions (selection hash), unless allowed otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eval.runner import RunResult
from eval.scoring import LOWER_IS_BETTER

DEFAULT_MAX_DROP = {
    "hit@5": 0.02,
    "mrr@10": 0.02,
    "ndcg@10": 0.02,
    "correct": 0.02,
    "refusal_f1": 0.05,
    "citation_valid": 0.02,
}


@dataclass
class GateFailure:
    metric: str
    baseline: float | None
    candidate: float | None
    allowed: float | None
    reason: str


@dataclass
class GateResult:
    ok: bool
    failures: list[GateFailure] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # metrics compared


def gate(
    baseline: RunResult,
    candidate: RunResult,
    max_drop: dict[str, float] | None = None,
    *,
    require_same_questions: bool = True,
) -> GateResult:
    limits = DEFAULT_MAX_DROP if max_drop is None else max_drop
    failures: list[GateFailure] = []
    if require_same_questions and (
        baseline.dataset.get("selection_hash") != candidate.dataset.get("selection_hash")
    ):
        failures.append(
            GateFailure(
                "questions",
                None,
                None,
                None,
                f"the runs answered different questions ({baseline.dataset.get('name')} "
                f"{baseline.dataset.get('questions')} vs {candidate.dataset.get('name')} "
                f"{candidate.dataset.get('questions')}); compare runs of the same selection",
            )
        )
    base_metrics = baseline.summary.get("metrics", {})
    cand_metrics = candidate.summary.get("metrics", {})
    checked = []
    for metric, allowed in limits.items():
        before, after = base_metrics.get(metric), cand_metrics.get(metric)
        if before is None and after is None:
            if max_drop is not None:  # asked for explicitly: it must exist
                failures.append(GateFailure(metric, None, None, allowed, "metric not in either run"))
            continue
        checked.append(metric)
        if before is None or after is None:
            missing = "baseline" if before is None else "candidate"
            failures.append(
                GateFailure(metric, before, after, allowed, f"metric missing in the {missing} run")
            )
            continue
        drop = (after - before) if metric in LOWER_IS_BETTER else (before - after)
        if drop > allowed + 1e-12:  # float noise must not fail an exactly-at-limit drop
            failures.append(
                GateFailure(metric, before, after, allowed, f"worse by {drop:.4g} (allowed {allowed:g})")
            )
    return GateResult(ok=not failures, failures=failures, checked=checked)
