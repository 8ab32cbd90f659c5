"""`kefu` as a scriptable tool, through the real command (api.cli.app) on a fresh data dir:
`--json` output parses and carries the API's field names, ingest's exit code and messages, exit
codes of missing things. Progress and warnings go to stderr, so stdout holds only the document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from api.cli import app
from api.cli.exits import ExitCode
from api.schemas import CandidateOut, DocumentOut, KBOut, KeyInfo, TicketOut
from ingest.config import get_settings

PAGES = {
    "returns.md": "# Returns\n\nYou can return any item within 30 days with the receipt.\n",
    "shipping.md": "# Shipping\n\nStandard shipping takes 3 to 5 business days.\n",
}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def kefu(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def write_docs(folder: Path, pages: dict[str, str] = PAGES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def stdout_json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # the whole of stdout is one JSON document


def test_ingest_failures_missing_files_and_kb_json(data_dir: Path, tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<>> garbage without xref")
    first = kefu("ingest", str(docs), "--kb", "shop")
    assert first.exit_code == ExitCode.FAILURE, first.output
    assert "failed broken.pdf: " in first.stderr and "1 of 3 files failed to ingest" in first.stderr
    assert "ingest: parse 3/3 files, " in first.stderr  # plain progress lines: not a terminal

    (docs / "broken.pdf").unlink()
    (docs / "shipping.md").unlink()
    again = kefu("ingest", str(docs), "--kb", "shop")
    assert again.exit_code == 0, again.output
    gone = "knowledge base 'shop' has 1 document whose file is no longer among the paths given: shipping.md"
    assert gone in again.stderr and f"kefu ingest {docs} --kb shop --delete-missing" in again.stderr
    kept = stdout_json(kefu("kb", "show", "shop", "--json"))
    assert [d["source"] for d in kept["documents"]] == ["returns.md", "shipping.md"]  # type: ignore[index]

    removed = kefu("ingest", str(docs), "--kb", "shop", "--delete-missing")
    assert removed.exit_code == 0 and "no longer among" not in removed.stderr, removed.output
    shown = stdout_json(kefu("kb", "show", "shop", "--json"))
    assert isinstance(shown, dict) and set(shown) == {"kb", "documents"}
    assert set(shown["kb"]) == set(KBOut.model_fields)
    assert [d["source"] for d in shown["documents"]] == ["returns.md"]
    assert set(shown["documents"][0]) == set(DocumentOut.model_fields)
    assert shown["kb"]["documents"] == 1 and shown["kb"]["embedded"] == shown["kb"]["chunks"] >= 1

    listed = stdout_json(kefu("kb", "list", "--json"))
    assert isinstance(listed, list) and [kb["name"] for kb in listed] == ["shop"]
    assert set(listed[0]) == set(KBOut.model_fields)

    missing = kefu("kb", "show", "shoes")
    assert missing.exit_code == ExitCode.NOT_FOUND
    assert "no knowledge base 'shoes'; existing: shop" in missing.stderr and missing.stdout == ""
    for command in (
        ["ask", "hello?", "--kb", "shoes"],
        ["kb", "embed", "--kb", "shoes"],
        ["kb", "rm-doc", "returns.md", "--kb", "shoes"],
    ):
        result = kefu(*command)
        assert result.exit_code == ExitCode.NOT_FOUND and "existing: shop" in result.stderr, (
            command,
            result.output,
        )
    no_doc = kefu("kb", "rm-doc", "[draft] nothing.md", "--kb", "shop")  # brackets are not markup
    assert no_doc.exit_code == ExitCode.NOT_FOUND and "no document '[draft] nothing.md'" in no_doc.stderr
    assert kefu("ask", "  ", "--kb", "shop").exit_code == ExitCode.USAGE


def test_delete_missing_keeps_faq_entries(data_dir: Path, tmp_path: Path) -> None:
    """An FAQ entry has no file in the folder: it is neither reported as gone nor removed."""
    from ingest.pipeline import IngestPipeline
    from ingest.types import ParsedDocument, Section

    docs = write_docs(tmp_path / "docs")
    assert kefu("ingest", str(docs), "--kb", "shop").exit_code == 0
    faq = ParsedDocument(
        source="faq/gift-wrap",
        title="Do you gift-wrap orders?",
        file_type="faq",
        lang="en",
        sections=[Section(text="Yes, for 5 dollars.", kind="faq", question="Do you gift-wrap orders?")],
    )
    IngestPipeline(get_settings()).ingest_documents([faq], "shop")
    (docs / "shipping.md").unlink()
    reported = kefu("ingest", str(docs), "--kb", "shop")
    assert "no longer among the paths given: shipping.md\n" in reported.stderr, reported.stderr
    assert kefu("ingest", str(docs), "--kb", "shop", "--delete-missing").exit_code == 0
    shown = stdout_json(kefu("kb", "show", "shop", "--json"))
    assert [d["source"] for d in shown["documents"]] == ["faq/gift-wrap", "returns.md"]  # type: ignore[index]


def test_an_ingest_where_every_file_fails(data_dir: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "picture.png").write_bytes(b"\x89PNG\r\n")
    result = kefu("ingest", str(docs), "--kb", "shop")
    assert result.exit_code == ExitCode.FAILURE
    assert "failed picture.png: unsupported file type '.png'" in result.stderr
    assert "1 of 1 files failed to ingest" in result.stderr


def test_ask_json_is_the_api_reply(data_dir: Path, tmp_path: Path) -> None:
    """End to end with the packaged local model."""
    assert kefu("ingest", str(write_docs(tmp_path / "docs")), "--kb", "shop").exit_code == 0
    reply = stdout_json(kefu("ask", "How many days do I have to return an item?", "--kb", "shop", "--json"))
    from api.schemas import AnswerOut

    assert isinstance(reply, dict) and set(reply) == set(AnswerOut.model_fields)
    assert reply["session_id"] and reply["mode"] in ("generated", "extractive", "refused", "escalated")
    if not reply["refused"]:
        assert reply["citations"] and reply["citations"][0]["source"] == "returns.md"


def test_keys_agent_and_faq_json(data_dir: Path) -> None:
    from assistant.conversations import ConversationStore
    from assistant.escalation.agents import AgentDesk
    from assistant.escalation.hook import Escalator
    from assistant.escalation.types import EscalationDecision, RuleHit
    from ingest.db import open_database

    created = kefu("keys", "create", "--role", "agent", "--tenant", "acme", "--kb", "shop", "--name", "desk")
    assert created.exit_code == 0, created.output
    keys = stdout_json(kefu("keys", "list", "--json"))
    assert isinstance(keys, list) and len(keys) == 1
    key = keys[0]
    assert set(KeyInfo.model_fields) <= set(key) and {
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    } <= set(key)
    assert (
        key["role"] == "agent"
        and key["tenant"] == "acme"
        and key["kbs"] == ["shop"]
        and key["name"] == "desk"
    )
    assert created.stdout.strip() not in json.dumps(keys)  # never the secret
    assert kefu("keys", "revoke", "nokey").exit_code == ExitCode.NOT_FOUND
    assert kefu("keys", "create", "--role", "root", "--tenant", "acme").exit_code == ExitCode.USAGE

    settings = get_settings()
    store = ConversationStore(open_database(settings.sql_url))
    conversation = store.create("shop")
    store.add_message(conversation.id, "user", "Do you gift-wrap orders?")
    ticket = Escalator(settings).escalate(
        conversation.id, EscalationDecision([RuleHit("explicit_request", "asked for a human", "转人工")])
    )
    inbox = stdout_json(kefu("agent", "inbox", "--json"))
    assert isinstance(inbox, list) and [t["id"] for t in inbox] == [ticket.id]
    assert set(inbox[0]) == set(TicketOut.model_fields)
    assert inbox[0]["session_id"] == conversation.id and inbox[0]["reasons"] == ["explicit_request"]
    assert kefu("agent", "inbox", "--status", "lost", "--json").exit_code == ExitCode.USAGE

    desk = AgentDesk(settings)
    desk.claim(ticket.id, "lin")
    desk.reply(ticket.id, "lin", "Yes, for 5 dollars at checkout.")
    desk.resolve(ticket.id, "lin", "", propose_faq=True)
    candidates = stdout_json(kefu("faq", "candidates", "--json"))
    assert isinstance(candidates, list) and len(candidates) == 1
    assert set(candidates[0]) == set(CandidateOut.model_fields)
    assert candidates[0]["kb"] == "shop" and candidates[0]["answer"] == "Yes, for 5 dollars at checkout."
    assert stdout_json(kefu("faq", "candidates", "--status", "accepted", "--json")) == []
