"""`kefu release start | status | share | abort | promote`: a candidate configuration served to a
share of new sessions beside the published one (assistant.releases), promoted only through the
eval gate (api.release_gate)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from api.cli.console import JsonFlag, console, print_json, stage_progress
from api.cli.exits import ExitCode, KefuGroup, fail
from ingest.config import get_settings
from ingest.db import open_database

if TYPE_CHECKING:
    from assistant.releases import ReleaseStore

release_app = typer.Typer(
    help="Gray releases: serve a candidate (a knowledge-base version and/or settings) to a share of "
    "new sessions, compare the arms, abort, or promote through the eval gate.",
    no_args_is_help=True,
    cls=KefuGroup,
)

KbOption = Annotated[str, typer.Option("--kb", help="Knowledge base.")]


def register(app: typer.Typer) -> None:
    app.add_typer(release_app, name="release")


def _store() -> ReleaseStore:
    from assistant.releases import ReleaseStore

    return ReleaseStore(open_database(get_settings().sql_url))


def _parse_settings(values: list[str]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name.strip():
            fail(f"--set takes NAME=VALUE, e.g. answerable_threshold=0.6; got {value!r}", ExitCode.USAGE)
        settings[name.strip()] = setting.strip()
    return settings


def _show(release: Any, as_json: bool) -> None:
    from api.routers.releases import release_out

    out = release_out(open_database(get_settings().sql_url), release)
    if as_json:
        print_json(out)
        return
    console.print(
        f"release {out.id} of {out.kb}: [bold]{out.state}[/], candidate share {out.share:.0%}, "
        f"suite {escape(out.suite or '(none)')}, started {str(out.started_at)[:19]}"
    )
    table = Table()
    table.add_column("")
    for arm in out.arms:
        table.add_column(arm.name)
    rows: list[tuple[str, Any]] = [
        ("kb version", lambda a: a.version),
        ("settings", lambda a: ", ".join(f"{k}={v}" for k, v in a.settings.items()) or "-"),
        ("sessions", lambda a: a.sessions),
        ("answers", lambda a: a.metrics.answers),
        ("refusals", lambda a: a.metrics.refusals),
        ("refusal rate", lambda a: a.metrics.refusal_rate),
        ("escalations", lambda a: a.metrics.transfers),
        ("thumbs up", lambda a: a.metrics.thumbs_up),
        ("thumbs down", lambda a: a.metrics.thumbs_down),
        ("latency p50 ms", lambda a: a.metrics.answer_ms_p50),
        ("latency p95 ms", lambda a: a.metrics.answer_ms_p95),
    ]
    for label, value in rows:
        table.add_row(label, *(escape(str("-" if value(arm) is None else value(arm))) for arm in out.arms))
    console.print(table)
    if out.gate:
        console.print(
            f"gate: {'passed' if out.gate.get('ok') else 'failed'} ({', '.join(out.gate.get('checked', []))})"
        )


@release_app.command("start")
def start(
    kb: KbOption = "default",
    share: Annotated[
        float, typer.Option("--share", help="Fraction of new sessions for the candidate, 0..1.")
    ] = 0.1,
    suite: Annotated[
        str,
        typer.Option(
            "--suite", help="The eval set promote must pass: a data set or golden set (name or path)."
        ),
    ] = "",
    version: Annotated[
        int | None, typer.Option("--version", help="The candidate's knowledge-base version (e.g. a draft).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="NAME=VALUE: a candidate setting (repeatable), e.g. llm_model=..."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Serve a candidate to a share of new sessions, sticky per customer and per session."""
    from eval.datasets import load

    if not suite:
        fail("--suite is required: the eval set the candidate must pass to be promoted", ExitCode.USAGE)
    load(suite)  # fails now (exit 2 or 3) rather than at promote
    release = _store().start(
        kb,
        share=share,
        candidate_version=version,
        candidate_config=_parse_settings(set_ or []),
        suite=suite,
        started_by="cli",
    )
    _show(release, as_json)


@release_app.command("status")
def status(kb: KbOption = "default", as_json: JsonFlag = False) -> None:
    """The running release (else the latest) with its arms side by side, live from stored turns."""
    _show(_store().latest(kb), as_json)


@release_app.command("share")
def share(
    value: Annotated[float, typer.Argument(help="Fraction of new sessions for the candidate, 0..1.")],
    kb: KbOption = "default",
    as_json: JsonFlag = False,
) -> None:
    """Change the candidate's share of new sessions; assigned sessions keep their arm."""
    _show(_store().set_share(kb, value), as_json)


@release_app.command("abort")
def abort(kb: KbOption = "default", as_json: JsonFlag = False) -> None:
    """Return all traffic to the published configuration, from every session's next turn."""
    _show(_store().abort(kb), as_json)


@release_app.command("promote")
def promote(kb: KbOption = "default", as_json: JsonFlag = False) -> None:
    """Run the release's eval suite on both arms; publish the candidate only if the gate passes
    (exit 5 listing the failed checks otherwise)."""
    from api.release_gate import GateRefused, promote as promote_release

    store = _store()
    try:
        with stage_progress("promote") as progress:
            release = promote_release(get_settings(), store, kb, progress)
    except GateRefused as refused:
        verdict = refused.verdict
        for failure in verdict["failures"]:
            console.print(
                f"  {failure['metric']}: published {failure['baseline']} -> candidate {failure['candidate']}: "
                f"{escape(failure['reason'])}"
            )
        console.print(f"runs: published {verdict['baseline_run']}, candidate {verdict['candidate_run']}")
        fail(str(refused), ExitCode.CONFLICT)
    _show(release, as_json)
