"""The soak end to end, briefly: a real `kefu serve` (1 worker, SQLite, in-process jobs) on loopback
under search, chat and uploads (a corrupt one included), then the integrity check of its stores."""

from __future__ import annotations

import json

import pytest

from eval.bench_soak import main


@pytest.mark.slow
def test_short_soak_reports_sane_figures_and_integrity(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--topology",
            "embedded",
            "--seconds",
            "15",
            "--sample-files",
            "3",
            "--search-clients",
            "2",
            "--chat-clients",
            "1",
            "--max-chats",
            "2",
            "--upload-clients",
            "1",
            "--names-per-client",
            "1",
            "--upload-pause",
            "0.2",
            "--json",
        ]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 0, result
    assert result["failures"] == [] and "5xx" not in result["overall"]["classes"], result["failures"]
    integrity = result["integrity"]
    assert integrity["ok"], integrity["problems"]
    # Every kind of request ran and was answered as expected.
    kinds = result["kinds"]
    assert {"search", "upload", "job", "verify"} <= set(kinds)
    assert kinds["search"]["requests"] > 0 and kinds["search"]["statuses"] == {
        "200": kinds["search"]["requests"]
    }
    assert kinds["upload"]["statuses"] == {"202": kinds["upload"]["requests"]}
    chat = result["chat"]
    assert 1 <= chat["turns"] <= 2 and sum(chat["modes"].values()) == chat["turns"]
    assert set(chat["modes"]) <= {"generated", "extractive", "refused", "escalated"}
    overall = result["overall"]
    assert overall["requests"] == sum(k["requests"] for k in kinds.values())
    assert overall["req_per_s"] > 0 and 0 < overall["p50_ms"] <= overall["p95_ms"]
    # The one name went through its add and (at least) its corrupt upload, which kept the first version.
    outcomes = result["uploads"]["outcomes"]
    assert outcomes.get("added") == 1 and outcomes.get("failed", 0) >= 1, outcomes
    assert result["uploads"]["searchable_after_job"] == f"{sum(outcomes.values())}/{sum(outcomes.values())}"
    # The stores agree: 3 sample files + the generated one, every chunk with its vector.
    assert integrity["documents"] == 4
    assert integrity["chunks"] == integrity["embedded"] == integrity["vectors"] > 0
    for moment in ("start", "end"):
        assert result["memory_mb"][moment]["api"]["rss"] > 100
    assert result["server_log_errors"] == []
