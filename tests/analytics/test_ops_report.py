"""`kefu report` on a real data dir: terminal summary, HTML parsed back, CSV for every table."""

from __future__ import annotations

import csv
from html.parser import HTMLParser
from pathlib import Path

import pytest
import typer
from conversation_fixture import build
from gap_fixture import SHIPPING, build_gaps
from typer.testing import CliRunner

from api.cli import report_command
from ingest.config import get_settings
from ingest.db import open_database
from ingest.embedding import Embedder


class ReportParser(HTMLParser):
    """Collects the tables (by data-table name), the SVG charts and the drill-down summaries."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.svgs: list[str] = []
        self.summaries: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_summary = False
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("data-table"):
            self._table = a["data-table"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "svg":
            self.svgs.append(a.get("class") or "")
        elif tag == "summary":
            self._in_summary, self._summary = True, []
        for name in ("src", "href"):
            if a.get(name):
                self.external.append(str(a[name]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "summary":
            self._in_summary = False
            self.summaries.append("".join(self._summary))

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_summary:
            self._summary.append(data)


def test_kefu_report_writes_html_and_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: Embedder
) -> None:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "kefu-data"))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    settings = get_settings()
    db = open_database(settings.sql_url)
    build(settings, db, embedder)
    build_gaps(settings, db, embedder)
    app = typer.Typer()
    report_command.register(app)
    app.command("noop")(lambda: None)  # a group with two commands keeps `report` as a subcommand
    out, csv_dir = tmp_path / "out" / "report.html", tmp_path / "csv"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-09",
            "--out",
            str(out),
            "--csv",
            str(csv_dir),
        ],
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "automated resolution" in result.output and "top gaps" in result.output

    page = ReportParser()
    page.feed(out.read_text(encoding="utf-8"))
    assert page.external == []  # self-contained
    assert len([s for s in page.svgs if "line" in s]) == 3 and any("histogram" in s for s in page.svgs)
    overall = dict((row[0], row[1]) for row in page.tables["overall"][1:])
    # C1-C7 and C10 of the conversation fixture (C8 has no message) and the 9 of the gap fixture.
    assert overall["contacts"] == "17" and overall["SLA breaches"] == "1"
    days = [row[0] for row in page.tables["by_day"][1:]]
    assert days == sorted(days) and "2026-11-07" in days
    gaps = page.tables["gaps"]
    assert gaps[0][:5] == ["rank", "question (most central)", "kb", "volume", "trend"]
    shipping = next(row for row in gaps[1:] if row[1] in SHIPPING)
    assert shipping[3] == "3" and shipping[4] == "1" and "shipping.md" in shipping[6]
    assert any(s.startswith("#1 ") for s in page.summaries)
    assert len(page.tables["qa"]) == 1 + 17  # the header and a row per contact

    files = sorted(p.name for p in csv_dir.iterdir())
    assert files == sorted(f"{name}.csv" for name in page.tables)
    for name, rows in page.tables.items():
        with (csv_dir / f"{name}.csv").open(encoding="utf-8") as handle:
            assert len(list(csv.reader(handle))) == len(rows), name


def test_kefu_report_rejects_a_bad_window(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "kefu-data"))
    get_settings.cache_clear()
    app = typer.Typer()
    report_command.register(app)
    app.command("noop")(lambda: None)
    run = CliRunner().invoke
    bad = run(
        app, ["report", "--since", "2026-11-09", "--until", "2026-11-01", "--out", str(tmp_path / "r.html")]
    )
    assert bad.exit_code == 2 and "before" in bad.output and not (tmp_path / "r.html").exists()
    assert run(app, ["report", "--since", "yesterday"]).exit_code == 2  # usage errors (api/cli/exits.py)
    get_settings.cache_clear()
