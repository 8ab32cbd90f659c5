"""`kefu eval replay` end to end: real conversations answered by the real pipeline (the local model's
generation gate starts closed, so answers are extractive and repeatable) against a published
version, replayed against the draft that changes one document."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, UTC
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from assistant.conversations import ConversationStore
from assistant.pipeline import AnswerPipeline, AnswerRequest
from eval.replay import load_turns
from ingest.config import Settings, get_settings
from ingest.db import Database, open_database
from ingest.pipeline import IngestPipeline

EMAIL = "jane.doe@example.com"
RETURNS = "# Returns\n\nYou can return any item within {days} days of purchase with the receipt.\n"
SHIPPING = "# Shipping\n\nStandard shipping takes 3 to 5 business days. Express shipping costs 15 dollars.\n"


@pytest.fixture
def kefu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KEFU_AUTO_PUBLISH", "false")
    get_settings.cache_clear()
    runner = CliRunner(env={"COLUMNS": "200"})

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    yield invoke
    get_settings.cache_clear()


def test_replay_reports_the_answers_a_draft_would_change(kefu, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = get_settings()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "returns.md").write_text(RETURNS.format(days=30), encoding="utf-8")
    (docs / "shipping.md").write_text(SHIPPING, encoding="utf-8")
    ingest = IngestPipeline(settings)
    ingest.ingest_paths(sorted(docs.iterdir()), "shop")
    ingest.publish("shop", 1)
    started = datetime.now(UTC) - timedelta(seconds=1)

    pipeline = AnswerPipeline(settings)
    returns = pipeline.run(
        AnswerRequest(f"My email is {EMAIL}. How many days do I have to return an item?", kb="shop")
    )
    assert "30" in returns.text and returns.kb_version == 1, returns
    shipping = pipeline.run(AnswerRequest("How long does standard shipping take?", kb="shop"))
    follow_up = pipeline.run(
        AnswerRequest(
            "How much does express shipping cost?", kb="shop", conversation_id=shipping.conversation_id
        )
    )
    assert "15" in follow_up.text, follow_up

    # The draft: the returns window changes; customers still get version 1.
    (docs / "returns.md").write_text(RETURNS.format(days=45), encoding="utf-8")
    ingest.ingest_paths(sorted(docs.iterdir()), "shop")

    out = tmp_path / "reports"
    output = kefu("eval", "replay", "--kb", "shop", "--since", started.isoformat(), "--out", str(out))
    assert "3 turns replayed against shop version draft (v2): 1 would change" in output, output
    report_dir = next(out.glob("replay-shop-draft-*"))
    result = json.loads((report_dir / "replay.json").read_text(encoding="utf-8"))
    changed = [t for t in result["turns"] if t["changes"]]
    assert len(changed) == 1 and "answer" in changed[0]["changes"]
    turn = changed[0]
    assert "30" in turn["before"]["text"] and "45" in turn["after"]["text"]
    assert (turn["before"]["kb_version"], turn["after"]["kb_version"]) == (1, 2)
    assert "[EMAIL_1]" in turn["question"]
    # The follow-up was replayed with its conversation's history.
    follow = next(t for t in result["turns"] if t["question"].startswith("How much"))
    assert [h["role"] for h in follow["history"]] == ["user", "assistant"]
    html = (report_dir / "replay.html").read_text(encoding="utf-8")
    assert "before: the reply given" in html and "after: replayed" in html and "1 would change" in html
    for text in (html, (report_dir / "replay.json").read_text(encoding="utf-8")):
        assert EMAIL not in text

    # Against the published version nothing changes: the same answers as the customers got.
    same = kefu(
        "eval",
        "replay",
        "--kb",
        "shop",
        "--since",
        started.isoformat(),
        "--version",
        "published",
        "--out",
        str(out),
    )
    assert "3 turns replayed against shop version published (v1): 0 would change" in same, same
    # A window before the conversations holds nothing; bad input is a usage error.
    assert "0 turns replayed" in kefu(
        "eval", "replay", "--kb", "shop", "--since", "2020-01-01", "--until", "2020-01-02", "--out", str(out)
    )
    assert "not an ISO date" in kefu("eval", "replay", "--kb", "shop", "--since", "yesterday", code=2)
    assert "no version 9" in kefu(
        "eval", "replay", "--kb", "shop", "--since", "2020-01-01", "--version", "9", code=3
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, settings: Settings) -> Database:
    if request.param == "sqlite":
        return open_database(settings.sql_url)
    return open_database(request.getfixturevalue("postgres_url"))


def test_turns_of_the_window_with_histories_redacted(database: Database) -> None:
    """Rows stored without redaction (before it was on) are redacted when read for a replay; a turn
    an agent held (no bot reply) is not replayed; the window and the knowledge base select."""
    store = ConversationStore(database)
    now = datetime.now(UTC)
    old = now - timedelta(days=3)
    chat = store.create("shop").id
    store.add_message(chat, "user", f"Hi, I'm {EMAIL}", created_at=old)
    store.add_message(chat, "assistant", "Hello! How can I help?", mode="generated", created_at=old)
    store.add_message(chat, "system", "handoff to an agent", created_at=now)
    store.add_message(chat, "agent", f"We will write to {EMAIL}", author="a1", created_at=now)
    store.add_message(chat, "user", "Can I return shoes? Call me on 13800138000", created_at=now)
    store.add_message(
        chat,
        "assistant",
        "Yes, within 30 days [1].",
        mode="extractive",
        citations=[{"n": 1, "source": "returns.md"}],
        kb_version=4,
        created_at=now,
    )
    store.add_message(chat, "user", "Thanks, one more thing", created_at=now)  # an agent answered it
    store.add_message(chat, "agent", "You are welcome", created_at=now)
    other = store.create("other-kb").id
    store.add_message(other, "user", "Not this knowledge base", created_at=now)
    store.add_message(other, "assistant", "-", mode="refused", created_at=now)

    turns = load_turns(database, "shop", now - timedelta(hours=1), now + timedelta(hours=1))
    assert [t.question for t in turns] == ["Can I return shoes? Call me on [PHONE_1]"]
    turn = turns[0]
    assert turn.history == [
        {"role": "user", "content": "Hi, I'm [EMAIL_1]"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "assistant", "content": "We will write to [EMAIL_1]"},  # the agent's turn
    ]
    assert (turn.before.refused, turn.before.cited, turn.before.kb_version) == (False, ["returns.md"], 4)
    assert load_turns(database, "shop", now - timedelta(hours=1), now, history_window=1) == []
    assert [
        t.question for t in load_turns(database, "shop", old, now + timedelta(hours=1), history_window=1)
    ] == [
        "Hi, I'm [EMAIL_1]",
        "Can I return shoes? Call me on [PHONE_1]",
    ]
    assert len(load_turns(database, "shop", old, now + timedelta(hours=1), history_window=1)[1].history) == 1
