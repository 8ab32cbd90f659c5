"""Two runs side by side: per-metric deltas and the questions whose outcome flipped."""

from __future__ import annotations

from dataclasses import dataclass, field

from eval.runner import RunResult
from eval.scoring import LOWER_IS_BETTER

FLIP_METRICS = ("hit@5", "correct")


@dataclass
class MetricDelta:
    metric: str
    a: float | None
    b: float | None

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def improved(self) -> bool | None:
        """True when b is better than a, False when worse, None when equal or not comparable."""
        if self.delta is None or self.delta == 0:
            return None
        return (self.delta < 0) if self.metric in LOWER_IS_BETTER else (self.delta > 0)


@dataclass
class Flip:
    question_id: str
    question: str
    metric: str
    a: bool
    b: bool


@dataclass
class Comparison:
    a_id: int | None
    b_id: int | None
    deltas: list[MetricDelta]
    flips: list[Flip] = field(default_factory=list)
    common_questions: int = 0

    def gained(self, metric: str) -> list[Flip]:
        return [f for f in self.flips if f.metric == metric and f.b and not f.a]

    def lost(self, metric: str) -> list[Flip]:
        return [f for f in self.flips if f.metric == metric and f.a and not f.b]


def compare(run_a: RunResult, run_b: RunResult) -> Comparison:
    metrics_a = run_a.summary.get("metrics", {})
    metrics_b = run_b.summary.get("metrics", {})
    names = list(dict.fromkeys([*metrics_a, *metrics_b]))
    deltas = [MetricDelta(name, metrics_a.get(name), metrics_b.get(name)) for name in names]
    rows_b = {row["id"]: row for row in run_b.rows}
    flips = []
    common = 0
    for row_a in run_a.rows:
        row_b = rows_b.get(row_a["id"])
        if row_b is None:
            continue
        common += 1
        for metric in FLIP_METRICS:
            before, after = row_a["scores"].get(metric), row_b["scores"].get(metric)
            if before is None or after is None or bool(before) == bool(after):
                continue
            flips.append(Flip(row_a["id"], row_a["question"], metric, bool(before), bool(after)))
    return Comparison(run_a.id, run_b.id, deltas, flips, common)
