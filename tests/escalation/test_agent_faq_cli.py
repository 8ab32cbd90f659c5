"""`kefu agent ...` and `kefu faq ...` on a real data dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli import agent_commands, faq_commands
from assistant.conversations import ConversationStore
from assistant.escalation.hook import Escalator
from assistant.escalation.types import EscalationDecision, RuleHit
from ingest.config import Settings, get_settings
from ingest.db import open_database


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[typer.Typer, Settings]]:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "kefu-data"))
    monkeypatch.setenv("COLUMNS", "250")  # rich tables: no truncated cells
    get_settings.cache_clear()
    app = typer.Typer()
    agent_commands.register(app)
    faq_commands.register(app)
    yield app, get_settings()
    get_settings.cache_clear()


def test_agent_and_faq_commands(cli: tuple[typer.Typer, Settings]) -> None:
    app, settings = cli
    store = ConversationStore(open_database(settings.sql_url))
    conversation = store.create("shop")
    store.add_message(conversation.id, "user", "Do you gift-wrap orders?")
    ticket = Escalator(settings).escalate(
        conversation.id, EscalationDecision([RuleHit("explicit_request", "asked for a human", "转人工")])
    )
    run = CliRunner().invoke

    inbox = run(app, ["agent", "inbox", "--kb", "shop"])
    assert inbox.exit_code == 0 and str(ticket.id) in inbox.output and "explicit_request" in inbox.output
    assert run(app, ["agent", "claim", str(ticket.id), "--agent", "lin"]).exit_code == 0
    taken = run(app, ["agent", "claim", str(ticket.id), "--agent", "bo"])
    assert taken.exit_code == 5 and "claimed by lin" in taken.output  # conflict
    assert (
        run(
            app, ["agent", "reply", str(ticket.id), "Yes, for 5 dollars at checkout.", "--agent", "lin"]
        ).exit_code
        == 0
    )
    shown = run(app, ["agent", "show", str(ticket.id)])
    assert (
        "agent> Yes, for 5 dollars at checkout." in shown.output
        and "Do you gift-wrap orders?" in shown.output
    )
    resolved = run(app, ["agent", "resolve", str(ticket.id), "--agent", "lin"])
    assert resolved.exit_code == 0 and "FAQ candidate #1 (pending)" in resolved.output
    assert store.get(conversation.id).state == "bot"

    listed = run(app, ["faq", "candidates"])
    assert "Do you gift-wrap orders?" in listed.output and "Yes, for 5 dollars at checkout." in listed.output
    assert run(app, ["faq", "reject", "1"]).exit_code != 0  # --reviewer is required
    accepted = run(app, ["faq", "accept", "1", "--reviewer", "owner"])
    assert accepted.exit_code == 0 and "faq/candidate-1" in accepted.output and "version 1" in accepted.output
    again = run(app, ["faq", "reject", "1", "--reviewer", "owner"])
    assert again.exit_code == 5 and "already accepted" in again.output  # conflict
    assert run(app, ["agent", "claim", "999", "--agent", "lin"]).exit_code == 3  # not found
