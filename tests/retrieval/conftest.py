"""A small bilingual knowledge base, built once per test session through the real ingest pipeline;
the bundled sample help centre (ingest/sample), likewise; and loopback HTTP services that stand in
for hosted models (a rerank endpoint, an OpenAI-compatible chat endpoint)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ingest.config import Settings
from ingest.pipeline import IngestPipeline
from ingest.sample import sample_files
from ingest.types import ParsedDocument, Section

KB = "help"


def document(
    source: str, title: str, sections: list[Section], lang: str = "en", **extra: object
) -> ParsedDocument:
    return ParsedDocument(
        source=source, title=title, file_type="md", sections=sections, lang=lang, extra=dict(extra)
    )


DOCUMENTS = [
    document(
        "returns.md",
        "Returns and refunds",
        [
            Section(
                "You can return any item within 30 days of delivery with the original receipt.",
                heading_path=["Returns"],
            ),
            Section(
                "Lumo Plus members can return items within 60 days, no receipt needed.",
                heading_path=["Returns", "Members"],
            ),
        ],
        tags=["policy", "returns"],
    ),
    document(
        "shipping.md",
        "Shipping",
        [
            Section(
                "Standard shipping takes 3 to 5 business days. Express delivery arrives the next day.",
                heading_path=["Shipping"],
            )
        ],
        tags="policy, shipping",
    ),
    document(
        "hub-manual.md",
        "Lumo Hub manual",
        [
            Section(
                "To reset the Lumo Hub, hold the reset button on the back for 10 seconds until the light blinks.",
                heading_path=["Reset"],
            )
        ],
        product="lumo-hub",
    ),
    document(
        "zh-returns.md",
        "退货政策",
        [
            Section(
                "自签收之日起三十天内可凭订单号退货。会员享有六十天退货期，无需小票。", heading_path=["退货"]
            )
        ],
        lang="zh",
        tags=["policy"],
    ),
    document(
        "zh-hub.md",
        "智能网关说明",
        [Section("长按网关背面的重置按钮十秒，指示灯闪烁后网关恢复出厂设置。", heading_path=["重置网关"])],
        lang="zh",
        product="lumo-hub",
    ),
    ParsedDocument(
        source="faq.csv",
        title="FAQ",
        file_type="faq-csv",
        sections=[
            Section(
                "Yes. Gift cards can be used together with a discount code at checkout.",
                kind="faq",
                question="Can I use a gift card with a discount code?",
                similar_questions=["Can gift cards and coupons be combined?"],
            ),
            Section(
                "Your password can be changed in Settings > Account > Password.",
                kind="faq",
                question="How do I change my password?",
            ),
        ],
    ),
]


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("retrieval") / "kefu-data", embed_batch_size=8)
    report = IngestPipeline(settings).ingest_documents(DOCUMENTS, KB)
    assert report.failed == [] and report.pending == 0
    yield settings


@pytest.fixture
def documents() -> list[ParsedDocument]:
    return DOCUMENTS


@pytest.fixture
def fresh_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "kefu-data", embed_batch_size=8)


@pytest.fixture(scope="session")
def sample_kb_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The bundled sample help centre (ingest/sample, without its README, which names topics the
    help centre does not cover) as knowledge base "sample"."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("retrieval-sample") / "kefu-data")
    report = IngestPipeline(settings).ingest_paths(sample_files(), "sample")
    assert not report.failed and report.pending == 0
    return settings


# A loopback service answers POST (path, JSON body) with a JSON payload, or None for HTTP 500.
Respond = Callable[[str, dict[str, Any]], dict[str, Any] | None]


def _handler(respond: Respond) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            try:
                payload = respond(self.path, body)
            except AssertionError:  # the request lacked what the test expects: the caller sees a failure
                payload = None
            if payload is None:
                self.send_response(500)
                self.end_headers()
                return
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture(scope="session")
def loopback() -> Iterator[Callable[[Respond], str]]:
    """Start a loopback HTTP service answering with `respond`; returns its base URL. All are shut
    down at the end of the session."""
    servers: list[ThreadingHTTPServer] = []

    def start(respond: Respond) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(respond))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
