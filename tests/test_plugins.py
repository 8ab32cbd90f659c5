"""Plug-ins by entry point (ingest.plugins): a distribution made on disk for the test (nothing is
installed) adds a file format that the real ingest pipeline then reads, an escalation rule the
policy runs, an eval arm the CLI offers; a broken plug-in is a clear error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select


from assistant.escalation.policy import EscalationPolicy
from assistant.escalation.types import TurnContext, TurnRecord
from eval import arms
from ingest import plugins
from ingest.config import EscalationSettings, Settings
from ingest.models import Chunk, Document, KnowledgeBase
from ingest.parsing import detect_file_type, supported_extensions
from ingest.pipeline import IngestPipeline
from ingest.registry import current_chunk_ids
from tests.plugin_support import MakePlugin, make_plugin  # noqa: F401 (a fixture)

NOTE_PARSER = textwrap.dedent(
    '''
    from ingest.parsing import FileFormat, SourceFile
    from ingest.types import ParsedDocument, Section


    def parse_note(source: SourceFile) -> ParsedDocument:
        """A ".note" file: "% title" on the first line, then one paragraph per "> " line."""
        lines = source.text.splitlines()
        sections = [Section(text=line[2:].strip()) for line in lines if line.startswith("> ")]
        return ParsedDocument(source=str(source.path), title=lines[0].lstrip("% "), file_type="note", sections=sections)


    NOTE = FileFormat(parse_note, (".note",))
    '''
)


def test_a_parser_plugin_reads_its_file_type_through_the_ingest_pipeline(
    make_plugin: MakePlugin, settings: Settings, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "returns.note").write_text(
        "% Returns desk\n> Parcels go back within 30 days.\nignored line\n> Refunds take 5 days.\n",
        encoding="utf-8",
    )
    assert ".note" not in supported_extensions()
    failed = IngestPipeline(settings).ingest_paths([docs], "before")
    assert [f.outcome for f in failed.files] == ["failed"] and ".note" in failed.files[0].reason

    make_plugin("kefu-notes", {"kefu_notes": NOTE_PARSER}, {"kefu.parsers": {"note": "kefu_notes:NOTE"}})
    assert detect_file_type(Path("a.NOTE")) == "note" and ".md" in supported_extensions()  # built-ins stay
    pipeline = IngestPipeline(settings)
    report = pipeline.ingest_paths([docs], "kb")
    assert [(f.source, f.outcome) for f in report.files] == [("returns.note", "added")], report.files
    with pipeline.db.session() as session:
        kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == "kb"))
        document = session.scalar(select(Document).where(Document.kb_id == kb.id))
        texts = " ".join(session.scalars(select(Chunk.text).where(Chunk.id.in_(current_chunk_ids(kb.id)))))
    assert document.file_type == "note" and document.title == "Returns desk"
    assert "within 30 days" in texts and "Refunds take 5 days" in texts and "ignored" not in texts


VIP_RULE = textwrap.dedent(
    """
    from assistant.escalation.rules import EscalationRule
    from assistant.escalation.types import RuleHit


    class VipRule(EscalationRule):
        code = "vip"

        def run(self, context):
            return RuleHit(self.code, "VIP customer") if "vip" in context.current.user.lower() else None
    """
)


def test_an_escalation_rule_plugin_runs_when_configured(make_plugin: MakePlugin) -> None:
    config = EscalationSettings(_env_file=None, rules=["explicit_request", "vip"], priorities={"vip": 1})
    with pytest.raises(ValueError, match="unknown escalation rules"):
        EscalationPolicy(config)
    make_plugin("kefu-vip", {"kefu_vip": VIP_RULE}, {"kefu.escalation_rules": {"vip": "kefu_vip:VipRule"}})
    decision = EscalationPolicy(config).run(TurnContext([TurnRecord(user="I am a VIP", outcome="answered")]))
    assert decision is not None and decision.reason_codes == ["vip"] and decision.priority == 1


ECHO_ARM = textwrap.dedent(
    '''
    def echo_arm(ctx):
        """Repeats the question: a floor for any scorer."""
        raise NotImplementedError
    '''
)


def test_an_eval_arm_plugin_is_offered_and_described(make_plugin: MakePlugin) -> None:
    make_plugin("kefu-echo", {"kefu_echo": ECHO_ARM}, {"kefu.eval_arms": {"echo": "kefu_echo:echo_arm"}})
    assert arms.get_arm("echo").__name__ == "echo_arm"
    described = arms.describe_arms()
    assert described["echo"] == "Repeats the question: a floor for any scorer."
    assert {"kefu", "retrieval", "baseline"} <= set(described)


def test_a_broken_plugin_is_an_error_naming_it(make_plugin: MakePlugin) -> None:
    make_plugin(
        "kefu-broken",
        {"kefu_broken": "import no_such_module\n"},
        {"kefu.eval_arms": {"bad": "kefu_broken:arm"}},
    )
    with pytest.raises(
        plugins.PluginError, match=r"bad = kefu_broken:arm \(from kefu-broken\).*no_such_module"
    ):
        arms.get_arm("kefu")


def test_a_plugin_of_the_wrong_kind_or_taking_a_suffix_is_an_error(make_plugin: MakePlugin) -> None:
    make_plugin(
        "kefu-clash",
        {"kefu_clash": NOTE_PARSER + "\nMD_AGAIN = FileFormat(parse_note, ('.md',))\nNOT_A_FORMAT = 3\n"},
        {"kefu.parsers": {"md2": "kefu_clash:MD_AGAIN"}},
    )
    with pytest.raises(plugins.PluginError, match=r"'\.md' is claimed by parsers 'md' and 'md2'"):
        detect_file_type(Path("a.md"))
    make_plugin("kefu-wrong", {}, {"kefu.parsers": {"three": "kefu_clash:NOT_A_FORMAT"}})
    with pytest.raises(plugins.PluginError, match="is not a FileFormat"):
        supported_extensions()


def test_kefu_declares_its_builtins_in_every_group() -> None:
    """The built-ins come through the same groups as any plug-in (pyproject.toml)."""
    for group in plugins.GROUPS:
        assert plugins.load(group), group
    assert {"outbox", "webhook", "wechat"} <= set(plugins.load("kefu.channels"))
