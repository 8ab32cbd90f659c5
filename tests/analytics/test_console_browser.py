"""The console's operations pages in headless Chromium against a real `kefu serve` whose database
holds the analytics fixtures: analytics charts, the gap list with drill-down and "propose as FAQ",
QA scores, the candidate queue, the job history. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_fixture import ARTIFACTS, BROWSER_MARKS, browser  # noqa: F401 (browser: a fixture)
from api_fixture import api_settings, kefu_server, make_keys
from conversation_fixture import build
from gap_fixture import SHIPPING, build_gaps

from api.services import Services
from ingest.embedding import Embedder

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[tuple[str, dict[str, str]]]:
    data_dir = tmp_path_factory.mktemp("console") / "data"
    services = Services(api_settings(data_dir))
    keys = make_keys(services, "default")
    build(services.settings, services.db, embedder)
    build_gaps(services.settings, services.db, embedder)
    services.db.dispose()
    with kefu_server(data_dir, data_dir.parent / "server.log", KEFU_WARMUP="false") as url:
        yield url, keys


def test_console_operations_pages(server, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, keys = server
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{url}/console#analytics")
    page.fill("#login-key", keys["owner"])
    page.click("#login-form button")
    page.locator("#analytics").wait_for(state="visible", timeout=10_000)
    page.fill("#analytics-form input[name='days']", "60")
    page.click("#analytics-form button")
    # The login's own load (last 30 days) may land first: wait for the 60-day one (7 days of "shop").
    page.wait_for_function(
        "document.querySelectorAll(\".table-box[data-table='analytics_by_day'] tbody tr\").length >= 7",
        timeout=20_000,
    )
    assert page.locator("#analytics-charts svg.chart").count() == 3
    assert page.locator("#analytics-charts polyline.series").count() >= 6
    assert page.locator("#analytics-cards svg.icon").count() >= 10  # icons are inline SVG, no emoji
    days = page.locator(".table-box[data-table='analytics_by_day'] tbody tr")
    assert days.count() >= 7
    page.screenshot(path=str(ARTIFACTS / "console-analytics.png"), full_page=True)

    page.click("nav a[href='#gaps']")
    page.locator("#gaps-list details.gap").first.wait_for(timeout=60_000)
    names = page.locator("#gaps-list details.gap summary b").all_inner_texts()
    assert any(name.split(" ", 1)[1] in SHIPPING for name in names)
    shipping = page.locator("#gaps-list details.gap", has=page.locator("summary b", has_text="Canada"))
    shipping.locator("summary").click()
    assert "shipping.md" in shipping.inner_text()
    page.screenshot(path=str(ARTIFACTS / "console-gaps.png"), full_page=True)
    shipping.locator("button.propose").click()
    page.locator("#gaps-list details.gap span.muted", has_text="review queue").wait_for(timeout=20_000)

    page.select_option("#kb", "shop")
    page.click("nav a[href='#candidates']")
    row = page.locator(".table-box[data-table='faq_candidates'] tbody tr").first
    row.wait_for(timeout=10_000)
    assert "Canada" in row.inner_text() and "gap cluster" in row.inner_text()
    page.screenshot(path=str(ARTIFACTS / "console-candidates.png"), full_page=True)
    # The cluster had no agent's answer: the reviewer writes one when accepting.
    page.once("dialog", lambda dialog: dialog.accept("We ship to mainland China only, for now."))
    row.locator("button", has_text="Accept").click()
    page.locator(".table-box[data-table='faq_candidates'] tbody tr").first.wait_for(
        state="detached", timeout=60_000
    )

    page.click("nav a[href='#quality']")
    page.locator(".table-box[data-table='qa_scores'] tbody tr").first.wait_for(timeout=10_000)
    assert page.locator(".table-box[data-table='qa_scores'] tbody tr").count() == 16  # the contacts of "shop"
    page.screenshot(path=str(ARTIFACTS / "console-quality.png"), full_page=True)

    with page.expect_download() as download:
        page.locator(".table-box[data-table='qa_scores'] button.csv").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "conversation,kb,channel,day,score,signals" and len(lines) == 17

    import httpx
    from api_fixture import upload

    faq_csv = tmp_path / "faq.csv"
    faq_csv.write_text("question,answer\nDo you gift-wrap?,Yes for 5 dollars.\n", encoding="utf-8")
    with httpx.Client(base_url=url, timeout=60) as client:
        assert upload(client, keys["owner"], "shop", [faq_csv])["status"] == "succeeded"
    page.click("nav a[href='#faqs']")
    entries = page.locator(".table-box[data-table='faq_entries'] tbody tr")
    entries.nth(1).wait_for(timeout=10_000)
    texts = entries.all_inner_texts()
    assert any("Do you gift-wrap?" in t and "faq.csv" in t for t in texts)
    assert any("mainland China only, for now" in t for t in texts)  # the accepted candidate
    page.screenshot(path=str(ARTIFACTS / "console-faq-entries.png"), full_page=True)

    page.click("nav a[href='#jobs']")
    page.locator(".table-box[data-table='jobs'] tbody tr", has_text="succeeded").first.wait_for(
        timeout=10_000
    )
    page.screenshot(path=str(ARTIFACTS / "console-jobs.png"), full_page=True)
    assert errors == []
    page.close()
