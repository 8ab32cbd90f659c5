"""The console's Versions page in headless Chromium against a real `kefu serve` with review before
publish (KEFU_AUTO_PUBLISH=false): the versions listed with the published one marked, the diff of
two versions, publish and roll back by an owner (what customers are served changes), and no such
buttons for QA. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from browser_fixture import ARTIFACTS, BROWSER_MARKS, browser  # noqa: F401 (browser: a fixture)
from api_fixture import api_settings, auth, kefu_server, make_keys

from api.services import Services
from ingest.pipeline import IngestPipeline

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """Knowledge base "shop": version 1 (returns, shipping) published, version 2 a draft that
    changes the returns page and adds a warranty page."""
    root = tmp_path_factory.mktemp("console-versions")
    data_dir = root / "data"
    services = Services(api_settings(data_dir, auto_publish=False))
    keys = make_keys(services, "default")
    docs = root / "docs"
    docs.mkdir()
    (docs / "returns.md").write_text("# Returns\n\nReturn any item within 30 days.\n", encoding="utf-8")
    (docs / "shipping.md").write_text(
        "# Shipping\n\nStandard shipping takes 3 to 5 days.\n", encoding="utf-8"
    )
    ingest = IngestPipeline(services.settings)
    ingest.ingest_paths(sorted(docs.iterdir()), "shop")
    ingest.publish("shop", 1)
    (docs / "returns.md").write_text("# Returns\n\nReturn any item within 45 days.\n", encoding="utf-8")
    (docs / "warranty.md").write_text(
        "# Warranty\n\nEvery product has a two-year warranty.\n", encoding="utf-8"
    )
    ingest.ingest_paths(sorted(docs.iterdir()), "shop")
    services.db.dispose()
    variables = {"KEFU_WARMUP": "false", "KEFU_AUTO_PUBLISH": "false"}
    with kefu_server(data_dir, root / "server.log", **variables) as url:
        yield url, keys


def published(url: str, key: str) -> int:
    versions = httpx.get(f"{url}/v1/kbs/shop/versions", headers=auth(key), timeout=30).json()
    return next(v["version"] for v in versions if v["state"] == "published")


def login(browser, url: str, key: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before publish and roll back
    page.goto(f"{url}/console#versions")
    page.fill("#login-key", key)
    page.click("#login-form button")
    page.locator("#versions").wait_for(state="visible", timeout=10_000)
    page.locator("#versions-list tr[data-version='2']").wait_for(timeout=10_000)
    return page


def test_versions_page_lists_diffs_publishes_and_rolls_back(server, browser) -> None:  # type: ignore[no-untyped-def]
    url, keys = server
    page = login(browser, url, keys["owner"])
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    assert page.locator("#versions-list tr[data-version='1']").get_attribute("data-state") == "published"
    assert page.locator("#versions-list tr[data-version='2']").get_attribute("data-state") == "draft"
    assert "served version 1" in page.locator("#versions-meta").inner_text()

    # The diff defaults to the published version against the newest.
    page.click("#versions-diff-form button")
    page.locator("#versions-diff tr.change").first.wait_for(timeout=10_000)
    changes = {
        row.get_attribute("data-source"): row.get_attribute("data-change")
        for row in page.locator("#versions-diff tr.change").all()
    }
    assert changes == {"returns.md": "changed", "warranty.md": "added"}
    assert "v1 → v2: 2 documents changed" in page.locator("#versions-diff .summary").inner_text()
    page.screenshot(path=str(ARTIFACTS / "console-versions.png"), full_page=True)

    page.click("#versions-list tr[data-version='2'] button.publish")
    page.locator("#versions-list tr[data-version='2'][data-state='published']").wait_for(timeout=10_000)
    assert published(url, keys["owner"]) == 2  # customers are served the new version
    assert page.locator("#versions-list tr[data-version='1'] button.publish").count() == 1

    page.click("#versions-rollback")
    page.locator("#versions-list tr[data-version='1'][data-state='published']").wait_for(timeout=10_000)
    assert published(url, keys["owner"]) == 1
    assert errors == []
    page.close()


def test_qa_sees_versions_and_diffs_but_cannot_publish(server, browser) -> None:  # type: ignore[no-untyped-def]
    url, keys = server
    page = login(browser, url, keys["qa"])
    assert page.locator("#versions-list button.publish").count() == 0
    assert page.locator("#versions-rollback").is_hidden()
    page.select_option("#versions-a", "2")
    page.select_option("#versions-b", "1")
    page.click("#versions-diff-form button")
    page.locator("#versions-diff tr.change").first.wait_for(timeout=10_000)
    assert (
        page.locator("#versions-diff tr[data-source='warranty.md']").get_attribute("data-change") == "removed"
    )
    page.close()
