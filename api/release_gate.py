"""Promote a release only through its eval gate (the API route and `kefu release promote` share it).

The release names an eval suite (a data set or golden set). Promote runs it against the release's
knowledge base twice through the eval runner, once answered by the published arm and once by the
candidate arm, stores both runs like `kefu eval run` does, and hands them to eval.gate.gate. A
failed gate leaves the release running and changes nothing; a passed one publishes the candidate
(assistant.releases.ReleaseStore.promote) with the gate's verdict kept on the release.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, replace
from typing import Any

from assistant.releases import CANDIDATE, PUBLISHED, Arm, Release, ReleaseConflict, ReleaseStore
from eval.contract import AnswerFn, ArmContext
from eval.gate import GateResult, gate
from eval.kb import Progress
from eval.runner import RunResult, RunSpec, run
from ingest.config import Settings
from ingest.errors import Conflict


class GateRefused(Conflict, RuntimeError):
    """The candidate did worse than the published arm on the release's suite: not promoted."""

    def __init__(self, release: Release, verdict: dict[str, Any]) -> None:
        failed = "; ".join(f"{f['metric']}: {f['reason']}" for f in verdict["failures"])
        super().__init__(
            f"release {release.id} of {release.kb_name!r} not promoted, the gate failed: {failed}"
        )
        self.release = release
        self.verdict = verdict


@dataclass
class ArmRuns:
    baseline: RunResult  # the published arm
    candidate: RunResult


def run_arm(settings: Settings, release: Release, arm: Arm, progress: Progress | None = None) -> RunResult:
    """The release's suite answered by one of its arms, on the release's knowledge base."""
    from eval.arms import kefu_arm
    from eval.record import record_run

    if not release.suite:
        raise ReleaseConflict(
            f"release {release.id} of {release.kb_name!r} names no eval suite; it cannot pass a gate"
        )

    def answer_with_arm(ctx: ArmContext) -> AnswerFn:
        return kefu_arm(replace(ctx, release_arm=arm))

    spec = RunSpec(dataset=release.suite, arm=f"kefu:{arm.name}", kb=release.kb_name)
    return record_run(run(spec, settings, arm=answer_with_arm, progress=progress), settings)


def gate_release(
    settings: Settings, store: ReleaseStore, release: Release, progress: Progress | None = None
) -> tuple[GateResult, ArmRuns]:
    arms = store.arms(release)
    runs = ArmRuns(
        run_arm(settings, release, arms[PUBLISHED], progress),
        run_arm(settings, release, arms[CANDIDATE], progress),
    )
    return gate(runs.baseline, runs.candidate), runs


def verdict_json(result: GateResult, runs: ArmRuns) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "checked": list(result.checked),
        "failures": [asdict(f) for f in result.failures],
        "baseline_run": runs.baseline.id,
        "candidate_run": runs.candidate.id,
        "suite": runs.candidate.dataset.get("name"),
        "questions": runs.candidate.dataset.get("questions"),
    }


def promote(
    settings: Settings,
    store: ReleaseStore,
    kb_name: str,
    progress: Progress | None = None,
    *,
    hold: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> Release:
    """Run the running release's gate; promote it when the gate passes, else raise GateRefused.
    `hold`: the knowledge base's write lock, held while publishing (not while the suite runs)."""
    release = store.running(kb_name)
    if release is None:
        raise ReleaseConflict(f"no release of {kb_name!r} is running")
    result, runs = gate_release(settings, store, release, progress)
    verdict = verdict_json(result, runs)
    if not result.ok:
        raise GateRefused(release, verdict)
    with hold():
        return store.promote(kb_name, release.id, verdict)
