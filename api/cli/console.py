"""Shared terminal output: one rich console, JSON on stdout, progress on stderr (errors: api.cli.exits).

Scripts read stdout: a `--json` command writes one JSON document there and nothing else;
progress, warnings and errors go to stderr.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

console = Console()
err_console = Console(stderr=True)

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout (nothing else goes there).")
]

# What each progress stage counts, for the plain progress lines.
STAGE_UNITS = {
    "parse": "files",
    "embed": "chunks",
    "answer": "questions",
    "score": "questions",
    "judge": "questions",
}
LINE_EVERY_S = 5.0  # plain progress lines: at most one per stage this often (and at each stage's end)


def print_json(data: BaseModel | list[BaseModel] | dict[str, Any] | list[Any]) -> None:
    """One JSON document on stdout (models serialised as the API serialises them)."""

    def plain(value: Any) -> Any:
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json")
        if isinstance(value, list):
            return [plain(item) for item in value]
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    sys.stdout.write(json.dumps(plain(data), ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def _progress_lines(label: str) -> Callable[[str, int, int], None]:
    """A progress callback printing lines like `eval: answer 40/265 questions, 12.3 s` to stderr."""
    started = time.monotonic()
    last: dict[str, float] = {}

    def update(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and stage in last and now - last[stage] < LINE_EVERY_S:
            return
        last[stage] = now
        unit = STAGE_UNITS.get(stage, "")
        err_console.print(
            f"{label}: {stage} {done}/{total}{' ' + unit if unit else ''}, {now - started:.1f} s",
            highlight=False,
            soft_wrap=True,
        )

    return update


@contextmanager
def stage_progress(label: str = "kefu") -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback (stage, done, total): one bar per stage on a terminal, else plain lines."""
    # The stream itself, not rich's is_terminal: FORCE_COLOR would make a log file "a terminal".
    if not sys.stderr.isatty():
        yield _progress_lines(label)
        return
    bars = Progress(
        TextColumn("{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars:
        yield update
