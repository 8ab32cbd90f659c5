"""Regression gate: a candidate run may not be worse than a baseline run by more than allowed.

The default checks (DEFAULT_CHECKS) are what a release must not lose: answer correctness, false
refusals, refusal recall, wrong facts (only when the suite has key facts to check them against:
the help-centre benchmark) and p95 latency, each with a tolerance in the metric's own units:
0.02 on correct allows 0.90 -> 0.88; for lower-is-better metrics (latency, false refusal rate) it
is the allowed increase. A tolerance may also be a share of the baseline value (latency: 1 s or
20 %, whichever is larger), because a slow local model's p95 moves by seconds between runs.

A check that cannot be computed (its metric is missing or None in either run: no unanswerable
questions for refusal recall, no aliases for correctness) is *skipped*, and a skipped check fails
the gate unless it is allowed by name (allow_skipped): a gate that says nothing must not pass.
Both runs must have answered the same questions (selection hash), unless allowed otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

from eval.runner import RunResult
from eval.scoring import LOWER_IS_BETTER

_EPSILON = 1e-12  # float noise must not fail an exactly-at-limit drop


@dataclass(frozen=True)
class Tolerance:
    """The allowed worsening: `absolute` in the metric's units, or `relative` times the
    baseline value, whichever is larger."""

    absolute: float = 0.0
    relative: float = 0.0

    def allowed(self, baseline: float) -> float:
        return max(self.absolute, self.relative * abs(baseline))

    def describe(self, metric: str) -> str:
        unit = " ms" if metric.endswith("_ms") else ""
        parts = [f"{self.absolute:g}{unit}"] if self.absolute or not self.relative else []
        if self.relative:
            parts.append(f"{self.relative * 100:g}% of the baseline")
        return " or ".join(parts)


@dataclass(frozen=True)
class GateCheck:
    metric: str  # a summary metric (eval.scoring.summarise)
    tolerance: Tolerance
    label: str
    # Checked only when the suite can compute it (key facts for wrong facts); else not applicable.
    needs_key_facts: bool = False


DEFAULT_CHECKS: tuple[GateCheck, ...] = (
    GateCheck("correct", Tolerance(0.02), "answer correctness"),
    GateCheck("false_refusal_rate", Tolerance(0.03), "false refusals"),
    GateCheck("refusal_recall", Tolerance(0.05), "refusal recall"),
    GateCheck("wrong_fact_rate", Tolerance(0.02), "wrong facts", needs_key_facts=True),
    GateCheck("latency_p95_ms", Tolerance(1000.0, 0.2), "p95 latency"),
)
DEFAULT_MAX_DROP: dict[str, Tolerance] = {check.metric: check.tolerance for check in DEFAULT_CHECKS}

# Why a metric comes out None, said with the skip.
_WHY_NONE = {
    "correct": "no question has answer aliases or is unanswerable",
    "answer_correct": "no answerable question with key facts",
    "false_refusal_rate": "the suite has no answerable question",
    "refusal_recall": "the suite has no unanswerable question",
    "wrong_fact_rate": "no answerable question was answered",
    "latency_p95_ms": "no question was answered without an error",
}

Status = Literal["passed", "failed", "skipped", "not applicable"]


@dataclass
class CheckOutcome:
    metric: str
    label: str
    baseline: float | None
    candidate: float | None
    allowed: float | None  # the allowed worsening for this baseline value
    status: Status
    reason: str = ""
    skip_allowed: bool = False  # skipped, and allowed to be


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
    skipped: list[str] = field(default_factory=list)  # metrics that could not be compared
    outcomes: list[CheckOutcome] = field(default_factory=list)  # every check, in order


def _tolerance(value: float | Tolerance) -> Tolerance:
    return value if isinstance(value, Tolerance) else Tolerance(float(value))


def checks_for(max_drop: Mapping[str, float | Tolerance] | None, *, defaults: bool = True) -> list[GateCheck]:
    """The default checks with max_drop's tolerances applied and its other metrics added (a
    metric named in max_drop is always required); only max_drop's when defaults is False."""
    given = {metric: _tolerance(value) for metric, value in (max_drop or {}).items()}
    checks = []
    for check in DEFAULT_CHECKS if defaults else ():
        if check.metric in given:
            check = GateCheck(check.metric, given.pop(check.metric), check.label)
        checks.append(check)
    checks += [GateCheck(metric, tolerance, metric) for metric, tolerance in given.items()]
    return checks


def has_key_facts(run: RunResult) -> bool:
    """Whether the run's suite carries key facts (what wrong facts are checked against)."""
    if "wrong_fact_rate" in run.summary.get("metrics", {}):
        return True
    return any("key_facts" in (row.get("meta") or {}) for row in run.rows)


def _outcome(
    check: GateCheck, baseline: RunResult, candidate: RunResult, allow_skipped: Collection[str]
) -> CheckOutcome:
    metric = check.metric
    before = baseline.summary.get("metrics", {}).get(metric)
    after = candidate.summary.get("metrics", {}).get(metric)
    if check.needs_key_facts and not (has_key_facts(baseline) or has_key_facts(candidate)):
        return CheckOutcome(
            metric, check.label, before, after, None, "not applicable", "the suite has no key facts"
        )
    if before is None or after is None:
        where = (
            "either run"
            if before is None and after is None
            else "the baseline run"
            if before is None
            else "the candidate run"
        )
        reason = f"not computed in {where}"
        if metric in _WHY_NONE:
            reason += f" ({_WHY_NONE[metric]})"
        return CheckOutcome(
            metric, check.label, before, after, None, "skipped", reason, skip_allowed=metric in allow_skipped
        )
    allowed = check.tolerance.allowed(before)
    worse = (after - before) if metric in LOWER_IS_BETTER else (before - after)
    if worse > allowed + _EPSILON:
        amount = f"{worse:.0f} ms" if metric.endswith("_ms") else f"{worse:.4g}"
        reason = f"worse by {amount} (allowed {check.tolerance.describe(metric)})"
        return CheckOutcome(metric, check.label, before, after, allowed, "failed", reason)
    return CheckOutcome(metric, check.label, before, after, allowed, "passed")


def gate(
    baseline: RunResult,
    candidate: RunResult,
    max_drop: Mapping[str, float | Tolerance] | None = None,
    *,
    require_same_questions: bool = True,
    allow_skipped: Collection[str] = (),
    defaults: bool = True,
) -> GateResult:
    """Compare candidate with baseline on the checks of checks_for(max_drop, defaults=defaults).
    allow_skipped: metrics whose check may be skipped without failing the gate."""
    checks = checks_for(max_drop, defaults=defaults)
    unknown = set(allow_skipped) - {check.metric for check in checks}
    if unknown:
        raise ValueError(
            f"allow_skipped names no check: {', '.join(sorted(unknown))}; "
            f"the checks are {', '.join(check.metric for check in checks)}"
        )
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
    outcomes = [_outcome(check, baseline, candidate, allow_skipped) for check in checks]
    for o in outcomes:
        if o.status == "failed":
            failures.append(GateFailure(o.metric, o.baseline, o.candidate, o.allowed, o.reason))
        elif o.status == "skipped" and not o.skip_allowed:
            failures.append(
                GateFailure(
                    o.metric,
                    o.baseline,
                    o.candidate,
                    None,
                    f"skipped: {o.reason}; a skipped check fails the gate unless allowed "
                    f"(--allow-skipped {o.metric})",
                )
            )
    return GateResult(
        ok=not failures,
        failures=failures,
        checked=[o.metric for o in outcomes if o.status in ("passed", "failed")],
        skipped=[o.metric for o in outcomes if o.status == "skipped"],
        outcomes=outcomes,
    )
