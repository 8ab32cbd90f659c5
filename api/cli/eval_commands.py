"""`kefu eval ...`: run data sets through the assistant, report, compare, gate regressions, replay
real conversations against a draft knowledge-base version.

`kefu eval --dataset PATH` is the short form of `kefu eval run --dataset PATH`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from api.cli.console import JsonFlag, console, err_console, print_json, stage_progress
from api.cli.exits import ExitCode, KefuGroup, exit_with, fail
from eval.arms import describe_arms
from eval.gate import DEFAULT_CHECKS, Tolerance
from ingest.config import get_settings

if TYPE_CHECKING:
    from eval.runner import RunResult
    from eval.store import RunStore
    from ingest.versions import VersionRef

eval_app = typer.Typer(
    help="Evaluate the assistant on data sets: run, compare, gate, replay, list, generate. "
    "`kefu eval --dataset PATH [options]` is short for `kefu eval run --dataset PATH [options]`.",
    invoke_without_command=True,
    cls=KefuGroup,
)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")


class OnlyChoice(str, Enum):
    answerable = "answerable"
    unanswerable = "unanswerable"


DATASET_HELP = (
    "Data-set folder (corpus.jsonl + questions.jsonl), golden-set .jsonl/.csv, a name inside "
    "KEFU_DATASETS (default ../shared/datasets), or the built-in help-centre benchmark: "
    "helpcentres or helpcentres/<centre> (carrier, shop, saas, courier, airline, hotel, rail, utility)."
)
DatasetOpt = Annotated[str | None, typer.Option("--dataset", "-d", help=DATASET_HELP)]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N selected questions.")]
SampleOpt = Annotated[
    int | None,
    typer.Option(
        "--sample",
        min=1,
        help="A seeded sample of N questions, stratified: answerable/unanswerable and single/multi-turn kept in proportion.",
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of --sample.")]
OnlyOpt = Annotated[
    OnlyChoice | None, typer.Option("--only", help="Only answerable or unanswerable questions.")
]
SplitOpt = Annotated[
    str | None, typer.Option("--split", help="Only this half of the set (helpcentres: tune or heldout).")
]
ArmOpt = Annotated[
    str,
    typer.Option(
        "--arm",
        help="What answers. "
        + " ".join(f"{name}: {description}" for name, description in describe_arms().items()),
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Questions answered at once (default KEFU_EVAL_WORKERS, 1)."),
]
JudgeOpt = Annotated[
    str | None,
    typer.Option("--judge", help="LLM for the judged Ragas metrics (default KEFU_JUDGE_MODEL; none = skip)."),
]
JudgeUrlOpt = Annotated[
    str | None, typer.Option("--judge-base-url", help="OpenAI-compatible server of the judge model.")
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Report folder (default <data dir>/eval).")]
CorpusOpt = Annotated[
    Path | None,
    typer.Option("--corpus", help="Golden sets: folder of documents (default: corpus/ beside the file)."),
]
KbOpt = Annotated[
    str | None, typer.Option("--kb", help="Golden sets: evaluate against this existing knowledge base.")
]


def _run(
    dataset: str,
    *,
    limit: int | None,
    sample: int | None,
    seed: int,
    only: OnlyChoice | None,
    split: str | None,
    arm: str,
    workers: int | None,
    judge: str | None,
    judge_base_url: str | None,
    out: Path | None,
    corpus: Path | None,
    kb: str | None,
) -> None:
    from ingest.config import get_settings
    from eval.record import record_run
    from eval.report import print_summary
    from eval.runner import RunSpec, run

    eval_settings = get_settings().eval
    spec = RunSpec(
        dataset=dataset,
        arm=arm,
        limit=limit,
        sample=sample,
        seed=seed,
        only=only.value if only else None,
        split=split,
        workers=workers or eval_settings.eval_workers,
        corpus=corpus,
        kb=kb,
        judge=judge or eval_settings.judge_model,
        judge_base_url=judge_base_url or eval_settings.judge_api_base,
    )
    settings = get_settings()
    if spec.judge and spec.judge.startswith("kefu-local/"):
        # Measured: SmolLM2-135M answers Ragas' prompts in prose or runs out of tokens, so every
        # judged metric fails to parse. Allowed (the failures are recorded), but said up front.
        err_console.print(
            f"[yellow]warning:[/] {spec.judge} is too small to judge; expect judge errors on every question"
        )
    try:
        with stage_progress("eval") as progress:
            result = run(spec, settings, progress=progress)
    except ValueError as exc:  # the selection is empty (or a known error: its own code)
        exit_with(exc, ExitCode.USAGE)
    record_run(result, settings, out)
    print_summary(result, console)
    console.print(f"report: {result.report_paths['html']}\nresults: {result.report_paths['json']}")
    errors = [row for row in result.rows if row.get("error")]
    if errors:
        console.print(
            f"[yellow]{len(errors)} questions failed[/]; first: {errors[0]['id']}: {errors[0]['error']}"
        )
    if len(errors) == len(result.rows):
        fail(f"every question failed (run {result.id} stored for inspection)")


@eval_app.callback()
def main(
    ctx: typer.Context,
    dataset: DatasetOpt = None,
    limit: LimitOpt = None,
    sample: SampleOpt = None,
    seed: SeedOpt = 0,
    only: OnlyOpt = None,
    split: SplitOpt = None,
    arm: ArmOpt = "kefu",
    workers: WorkersOpt = None,
    judge: JudgeOpt = None,
    judge_base_url: JudgeUrlOpt = None,
    out: OutOpt = None,
    corpus: CorpusOpt = None,
    kb: KbOpt = None,
) -> None:
    """Evaluate the assistant. `kefu eval --dataset PATH [options]` runs like `kefu eval run`."""
    if ctx.invoked_subcommand is not None:
        return
    if dataset is None:
        console.print(ctx.get_help())
        raise typer.Exit(0)
    _run(
        dataset,
        limit=limit,
        sample=sample,
        seed=seed,
        only=only,
        split=split,
        arm=arm,
        workers=workers,
        judge=judge,
        judge_base_url=judge_base_url,
        out=out,
        corpus=corpus,
        kb=kb,
    )


@eval_app.command("run")
def run_command(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help=DATASET_HELP)],
    limit: LimitOpt = None,
    sample: SampleOpt = None,
    seed: SeedOpt = 0,
    only: OnlyOpt = None,
    split: SplitOpt = None,
    arm: ArmOpt = "kefu",
    workers: WorkersOpt = None,
    judge: JudgeOpt = None,
    judge_base_url: JudgeUrlOpt = None,
    out: OutOpt = None,
    corpus: CorpusOpt = None,
    kb: KbOpt = None,
) -> None:
    """Answer a data set's questions, score them, store the run and write its reports."""
    _run(
        dataset,
        limit=limit,
        sample=sample,
        seed=seed,
        only=only,
        split=split,
        arm=arm,
        workers=workers,
        judge=judge,
        judge_base_url=judge_base_url,
        out=out,
        corpus=corpus,
        kb=kb,
    )


def _store() -> RunStore:
    from eval.record import run_store

    return run_store(get_settings())


def _resolve(ref: str) -> RunResult:
    return _store().resolve(ref)


@eval_app.command("compare")
def compare_command(
    run_a: Annotated[str, typer.Argument(help="Run id, 'latest', or a results .json file.")],
    run_b: Annotated[str, typer.Argument(help="Run id, 'latest', or a results .json file.")],
) -> None:
    """Per-metric deltas from RUN_A to RUN_B and the questions whose hit@5 or correctness flipped."""
    from eval.compare import compare
    from eval.report import print_comparison

    print_comparison(compare(_resolve(run_a), _resolve(run_b)), console)


def _parse_max_drop(values: list[str]) -> dict[str, Tolerance]:
    limits = {}
    for value in values:
        metric, sep, number = value.partition("=")
        number = number.strip()
        try:
            if not sep or not metric.strip():
                raise ValueError
            if number.endswith("%"):
                limits[metric.strip()] = Tolerance(relative=float(number[:-1]) / 100)
            else:
                limits[metric.strip()] = Tolerance(float(number))
        except ValueError:
            fail(
                f"--max-drop takes METRIC=NUMBER or METRIC=PERCENT%, e.g. correct=0.02 or "
                f"latency_p95_ms=20%; got {value!r}",
                ExitCode.USAGE,
            )
    return limits


def _default_checks_help() -> str:
    return "; ".join(
        f"{check.label} {check.metric}={check.tolerance.describe(check.metric)}"
        + (" (when the suite has key facts)" if check.needs_key_facts else "")
        for check in DEFAULT_CHECKS
    )


@eval_app.command("gate")
def gate_command(
    baseline: Annotated[
        str, typer.Option("--baseline", help="Run id or results .json of the reference run.")
    ],
    candidate: Annotated[
        str, typer.Option("--candidate", help="Run to check (default: the latest run).")
    ] = "latest",
    max_drop: Annotated[
        list[str] | None,
        typer.Option(
            "--max-drop",
            help="METRIC=X or METRIC=P%: allowed worsening, in the metric's units or as a share of the "
            "baseline (repeatable); changes a default check's tolerance or adds a check. Default checks: "
            + _default_checks_help()
            + ".",
        ),
    ] = None,
    allow_skipped: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-skipped",
            help="METRIC: a check that may be skipped (cannot be computed) without failing the gate (repeatable).",
        ),
    ] = None,
    no_default_checks: Annotated[
        bool, typer.Option("--no-default-checks", help="Check only the --max-drop metrics.")
    ] = False,
    allow_different_questions: Annotated[
        bool, typer.Option("--allow-different-questions", help="Gate runs that answered different questions.")
    ] = False,
) -> None:
    """Exit 1 when the candidate run is worse than the baseline by more than allowed, or a check
    could not be computed and was not allowed to be skipped (2 on usage errors, 3 when a run does
    not exist). Prints every check: passed, failed or skipped, with both values."""
    from eval.gate import gate
    from eval.report import fmt

    limits = _parse_max_drop(max_drop or [])
    if no_default_checks and not limits:
        fail("--no-default-checks needs at least one --max-drop METRIC=X", ExitCode.USAGE)
    base_run, cand_run = _resolve(baseline), _resolve(candidate)
    try:
        result = gate(
            base_run,
            cand_run,
            limits,
            require_same_questions=not allow_different_questions,
            allow_skipped=allow_skipped or (),
            defaults=not no_default_checks,
        )
    except ValueError as exc:  # --allow-skipped names no check
        exit_with(exc, ExitCode.USAGE)
    label = (
        f"run {cand_run.id if cand_run.id is not None else candidate} vs baseline "
        f"{base_run.id if base_run.id is not None else baseline}"
    )
    table = Table()
    for column in ("check", "metric", "baseline", "candidate", "allowed", "result", "why"):
        table.add_column(column)
    colours = {"passed": "green", "failed": "red", "skipped": "yellow", "not applicable": "dim"}
    for o in result.outcomes:
        status: str = o.status
        if o.status == "skipped":
            status = "skipped (allowed)" if o.skip_allowed else "skipped: fails"
        table.add_row(
            o.label,
            o.metric,
            fmt(o.baseline, o.metric),
            fmt(o.candidate, o.metric),
            "" if o.allowed is None else fmt(o.allowed, o.metric),
            f"[{colours[o.status]}]{status}[/]",
            o.reason,
        )
    console.print(table)
    console.print(
        f"checked {len(result.checked)}, skipped {len(result.skipped)}, failed {len(result.failures)}"
    )
    if result.ok:
        console.print(f"[green]gate passed[/]: {label}")
        return
    console.print(f"[red]gate failed[/]: {label}")
    for failure in result.failures:
        console.print(
            f"  {failure.metric}: {fmt(failure.baseline, failure.metric)} → "
            f"{fmt(failure.candidate, failure.metric)} — {failure.reason}"
        )
    raise typer.Exit(ExitCode.FAILURE)


def _when(value: str, name: str) -> datetime:
    from assistant.escalation.tickets import aware

    try:
        return aware(datetime.fromisoformat(value))  # type: ignore[return-value]
    except ValueError:
        fail(
            f"--{name} {value!r} is not an ISO date or time (e.g. 2026-11-01 or 2026-11-01T08:00)",
            ExitCode.USAGE,
        )


def _version_ref(value: str) -> VersionRef:
    if value in ("draft", "published"):
        return value  # type: ignore[return-value]
    if value.isdigit():
        return int(value)
    fail(f"--version takes draft, published or a version number; got {value!r}", ExitCode.USAGE)


@eval_app.command("replay")
def replay_command(
    kb: Annotated[str, typer.Option("--kb", help="Knowledge base whose conversations are replayed.")],
    since: Annotated[
        str, typer.Option("--since", help="Start of the window (ISO, UTC): customer turns asked from then.")
    ],
    until: Annotated[
        str | None, typer.Option("--until", help="End of the window, exclusive (ISO, UTC; default now).")
    ] = None,
    version: Annotated[
        str, typer.Option("--version", help="Version to answer with: draft (default), published or a number.")
    ] = "draft",
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's conversations.")] = None,
    limit: LimitOpt = None,
    out: OutOpt = None,
) -> None:
    """Replay the customer turns of a time window (questions and histories, PII redacted) against a
    version of the knowledge base and report which answers would change, before and after side by
    side in replay.html."""
    from eval.record import default_out_dir
    from eval.replay import replay
    from eval.report import write_replay_reports
    from ingest.db import open_database
    from ingest.registry import KnowledgeBaseNotFound
    from ingest.versions import VersionNotFound

    start = _when(since, "since")
    end = _when(until, "until") if until is not None else datetime.now(UTC)
    if start >= end:
        fail("--since must be before --until", ExitCode.USAGE)
    ref = _version_ref(version)
    settings = get_settings()
    try:
        result = replay(
            settings, open_database(settings.sql_url), kb, start, end, version=ref, tenant=tenant, limit=limit
        )
    except (KnowledgeBaseNotFound, VersionNotFound) as exc:
        exit_with(exc, ExitCode.NOT_FOUND)
    stamp = result.created_at.replace(":", "").replace("+0000", "Z")
    paths = write_replay_reports(
        result, (out or default_out_dir(settings)) / f"replay-{kb}-{version}-{stamp}"
    )
    counts = result.counts()
    if result.changed:
        table = Table(title="answers that would change")
        for column in ("asked", "question", "changed", "before", "after"):
            table.add_column(column)
        for turn in result.changed:
            after = turn.after.text if turn.after is not None else f"failed: {turn.error}"
            table.add_row(
                turn.asked_at[:19],
                turn.question[:60],
                ", ".join(turn.changes) or "failed",
                turn.before.text[:60],
                after[:60],
            )
        console.print(table)
    console.print(
        f"{counts['turns']} turns replayed against {kb} version {version}"
        + (f" (v{result.kb_version})" if result.kb_version is not None else "")
        + f": {counts['changed']} would change (answer {counts['answer']}, refusal {counts['refusal']}, "
        f"citations {counts['citations']}, failed {counts['errors']})"
    )
    console.print(f"report: {paths['html']}")


@eval_app.command("list")
def list_command(
    limit: Annotated[int, typer.Option("--limit", min=1)] = 20,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Only runs of this data set (name).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Stored runs, newest first (--json: each run with the fields of its results .json, without the rows)."""
    from eval.report import fmt

    if as_json:
        runs = [run.to_dict() for run in _store().list(limit=limit, dataset=dataset)]
        print_json([{key: value for key, value in run.items() if key != "rows"} for run in runs])
        return
    table = Table()
    shown = ("hit@5", "mrr@10", "correct", "refusal_f1", "latency_p95_ms")
    for column in ("id", "created", "dataset", "arm", "questions", "kb", *shown, "judge"):
        table.add_column(column)
    for run in _store().list(limit=limit, dataset=dataset):
        metrics = run.summary.get("metrics", {})
        table.add_row(
            str(run.id),
            run.created_at[:19],
            run.dataset["name"],
            str(run.spec.get("arm", "")),
            str(run.dataset["questions"]),
            f"{run.kb['name']} v{run.kb['version']}",
            *(fmt(metrics.get(m), m) for m in shown),
            run.judge or "",
        )
    console.print(table)


@eval_app.command("generate")
def generate_command(
    kb: Annotated[str, typer.Option("--kb", help="Knowledge base to write questions about.")],
    out: Annotated[Path, typer.Option("--out", help="Golden-set .jsonl to write.")] = Path(
        "golden.generated.jsonl"
    ),
    size: Annotated[int, typer.Option("--size", min=1, help="Questions to generate.")] = 20,
    max_chunks: Annotated[int, typer.Option("--max-chunks", min=1, help="Chunks sampled from the KB.")] = 200,
    judge: JudgeOpt = None,
    judge_base_url: JudgeUrlOpt = None,
) -> None:
    """Generate a golden set from a knowledge base with Ragas' TestsetGenerator (needs a capable LLM)."""
    from ingest.config import get_settings
    from eval.generate import check_generator, generate_golden_set

    eval_settings = get_settings().eval
    model = judge or eval_settings.judge_model
    try:
        check_generator(model)
        written = generate_golden_set(
            get_settings(),
            kb,
            out,
            model=model,
            base_url=judge_base_url or eval_settings.judge_api_base,
            size=size,
            max_chunks=max_chunks,
        )
    except ValueError as exc:
        exit_with(exc, ExitCode.USAGE)
    console.print(
        f"wrote {written} questions to {out}; review them, then: kefu eval run --dataset {out} --kb {kb}"
    )
