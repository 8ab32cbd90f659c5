"""The console's Releases page in headless Chromium against a real `kefu serve`: the running
release's arms side by side from the stored turns, and Abort. Screenshot to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_fixture import (
    ZH_QUESTION,
    api_settings,
    auth,
    kefu_server,
    make_keys,
    upload,
    write_docs,
)
from browser_fixture import ARTIFACTS, BROWSER_MARKS, browser  # noqa: F401 (browser: a fixture)
from fastapi.testclient import TestClient

from api.app import create_app

pytestmark = BROWSER_MARKS

THIRTY = "# 退货政策\n\n收货后三十天内可以退货，请保留原始收据。\n"
SEVEN = "# 退货政策\n\n收货后七天内可以退货，请保留原始收据。\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A knowledge base with version 1 published and a release serving draft version 2 to every
    new session, two customer turns on it; then `kefu serve` on the same data folder."""
    root = tmp_path_factory.mktemp("releases-console")
    data_dir = root / "data"
    app = create_app(api_settings(data_dir, auto_publish=False))
    keys = make_keys(app.state.services, "acme")
    owner, customer = keys["owner"], keys["customer"]
    with TestClient(app) as client:
        assert client.post("/v1/kbs", json={"name": "shop"}, headers=auth(owner)).status_code == 201
        upload(client, owner, "shop", write_docs(root / "v1", {"zh-returns.md": THIRTY}))
        assert client.post("/v1/kbs/shop/versions/1/publish", headers=auth(owner)).status_code == 200
        upload(client, owner, "shop", write_docs(root / "v2", {"zh-returns.md": SEVEN}))
        from assistant.releases import ReleaseStore

        ReleaseStore(app.state.services.db).start("shop", share=1.0, candidate_version=2, suite="returns")
        for _ in range(2):
            session = client.post("/v1/sessions", json={"kb": "shop"}, headers=auth(customer)).json()["id"]
            answer = client.post(
                f"/v1/sessions/{session}/messages", json={"text": ZH_QUESTION}, headers=auth(customer)
            )
            assert answer.status_code == 200 and "七天" in answer.json()["text"], answer.text
    variables = {"KEFU_WARMUP": "false", "KEFU_AUTO_PUBLISH": "false"}
    with kefu_server(data_dir, root / "server.log", **variables) as url:
        yield url, keys


def cell(page: Any, label: str, arm: str) -> str:
    row = page.locator("#release-arms tbody tr", has=page.locator(f"th:text-is('{label}')"))
    return str(row.locator(f"td[data-arm='{arm}']").inner_text())


def test_console_releases_page(server, browser) -> None:  # type: ignore[no-untyped-def]
    url, keys = server
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{url}/console#releases")
    page.fill("#login-key", keys["owner"])
    page.click("#login-form button")
    page.locator("#release-arms table").wait_for(state="visible", timeout=20_000)
    assert "running" in page.inner_text("#release-meta") and "100.0%" in page.inner_text("#release-meta")
    assert [page.locator("#release-arms thead th").nth(i).inner_text() for i in (1, 2)] == [
        "published",
        "candidate",
    ]
    assert (
        cell(page, "Knowledge-base version", "published"),
        cell(page, "Knowledge-base version", "candidate"),
    ) == (
        "1",
        "2",
    )
    assert (cell(page, "Sessions assigned", "candidate"), cell(page, "Answers", "candidate")) == ("2", "2")
    assert cell(page, "Answers", "published") == "0"
    assert cell(page, "Latency p95", "candidate").endswith(" ms")
    page.screenshot(path=str(ARTIFACTS / "console-releases.png"), full_page=True)

    page.click("#release-abort")
    page.wait_for_function(
        "document.getElementById('release-meta').textContent.includes('aborted')", timeout=10_000
    )
    assert page.locator("#release-abort").is_hidden()
    assert cell(page, "Answers", "candidate") == "2"  # the aborted release's record stays
    assert not errors, errors

    qa = browser.new_page()
    qa.goto(f"{url}/console#releases")
    qa.fill("#login-key", keys["qa"])
    qa.click("#login-form button")
    qa.locator("#release-arms table").wait_for(state="visible", timeout=20_000)
    assert "aborted" in qa.inner_text("#release-meta")
