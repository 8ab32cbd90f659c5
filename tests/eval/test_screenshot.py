"""The HTML report as a person sees it: a headless-Chromium screenshot (when Chromium is installed)."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from eval_fixture import fixed_answer

from eval.kb import KBRef
from eval.report import write_reports
from eval.runner import RunSpec, run
from ingest.config import Settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_report_screenshot(dataset_dir: Path, settings: Settings, tmp_path: Path) -> None:
    result = run(
        RunSpec(dataset=str(dataset_dir)),
        settings,
        arm=lambda ctx: fixed_answer,
        kb_builder=lambda d, s, p: KBRef("fixture-kb", 1),
    )
    html = Path(write_reports(result, tmp_path / "report")["html"])
    shot = tmp_path / "report.png"
    completed = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,2400",
            f"--screenshot={shot}",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height) == (1200, 2400)
    # A page of tables and charts compresses far worse than a blank one (a few KB).
    assert shot.stat().st_size > 50_000
