"""Headless Chromium (Debian package, driven by Playwright) against a real `kefu serve`:
the embeddable widget and the console, as people use them. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

from browser_fixture import ARTIFACTS, BROWSER_MARKS, browser  # noqa: F401 (browser: a fixture)
from api_fixture import EN_QUESTION, ZH_QUESTION, Live
from sqlalchemy import select

from assistant.models import Conversation, Feedback
from ingest.db import open_database

pytestmark = BROWSER_MARKS


def load_widget(page, live: Live, path: str) -> None:  # type: ignore[no-untyped-def]
    """The demo page's form, as a person fills it: the key is typed, never put in a URL."""
    page.goto(f"{live.url}{path}")
    page.fill("#choose input[name='kb']", "shop")
    page.fill("#choose input[name='key']", live.keys["customer"])
    page.click("#choose button")
    page.locator("#kefu-widget textarea").wait_for(timeout=10_000)


def test_widget_streams_an_answer_with_citations_and_takes_feedback(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    load_widget(page, live, "/widget-demo")
    page.locator("#kefu-widget textarea").fill(EN_QUESTION)
    page.locator("#kefu-widget form button").click()
    citation = page.locator("#kefu-widget .kefu-cite").first
    citation.wait_for(timeout=90_000)
    assert citation.inner_text().startswith("[1]")
    answer = page.locator("#kefu-widget .msg.bot").last
    assert "30" in answer.locator(".text").inner_text()
    message_id = answer.get_attribute("data-message-id")
    assert message_id
    page.screenshot(path=str(ARTIFACTS / "widget-answer.png"))

    answer.locator(".thumb-up").click()
    page.locator("#kefu-widget .actions span", has_text="Thanks").wait_for(timeout=10_000)
    with open_database(f"sqlite:///{(live.data_dir / 'kefu.db').resolve()}").session() as session:
        ratings = session.scalars(select(Feedback.rating).where(Feedback.message_id == message_id)).all()
    assert ratings == [1]

    page.locator("#kefu-widget .human").click()
    page.locator("#kefu-widget .msg.system", has_text="human agent").wait_for(timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "widget-handoff.png"))
    assert errors == []
    page.close()


def test_console_login_upload_and_hit_testing(live: Live, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live.url}/console")
    page.fill("#login-key", live.keys["owner"])
    page.click("#login-form button")
    page.locator("#documents").wait_for(state="visible", timeout=10_000)
    page.locator("#documents-list tr[data-source='returns.md']").wait_for(timeout=10_000)

    upload = tmp_path / "opening-hours.md"
    upload.write_text("# Opening hours\n\nOur support desk is open Monday to Friday, 8:00 to 18:00.\n")
    page.set_input_files("#upload-files", str(upload))
    page.click("#upload button")
    page.locator("#job[data-status='succeeded']").wait_for(timeout=90_000)
    page.locator("#documents-list tr[data-source='opening-hours.md']").wait_for(timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "console-documents.png"))

    page.click("nav a[href='#search']")
    page.fill("#search-form input[name='query']", "when is the support desk open")
    page.click("#search-form button")
    page.locator("#search-hits .hit").first.wait_for(timeout=30_000)
    assert "Opening hours" in page.locator("#search-hits .hit").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "console-search.png"))
    assert errors == []
    page.close()


def test_console_agent_inbox_reply(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    import httpx

    customer = {"Authorization": f"Bearer {live.keys['customer']}"}
    with httpx.Client(base_url=live.url, timeout=30) as client:
        session_id = client.post(
            "/v1/sessions", json={"kb": "shop", "user_id": "browser-cust"}, headers=customer
        ).json()["id"]
        ticket = client.post(
            f"/v1/sessions/{session_id}/escalate", json={"reason": "invoice"}, headers=customer
        ).json()
    ticket_id = ticket["ticket"]["id"]
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live.url}/console#inbox")
    page.fill("#login-key", live.keys["agent"])
    page.click("#login-form button")
    entry = page.locator(f"#inbox-list li[data-ticket='{ticket_id}']")
    entry.wait_for(timeout=10_000)
    entry.click()
    page.fill("#reply-form input[name='text']", "Hello from the agent desk")
    page.click("#reply-form button")
    page.locator("#conversation-log .m.agent", has_text="Hello from the agent desk").wait_for(timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "console-inbox.png"))
    with httpx.Client(base_url=live.url, timeout=30) as client:
        messages = client.get(f"/v1/sessions/{session_id}/messages", headers=customer).json()
    assert [m["content"] for m in messages if m["role"] == "agent"] == ["Hello from the agent desk"]
    assert errors == []
    page.close()


def test_no_key_in_the_address_bar_or_the_customer_profile(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    key = live.keys["customer"]
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A link made the old way (key in the query): the page drops it from the address and does not use it.
    page.goto(f"{live.url}/widget-demo?kb=shop&key={key}&title=Help")
    assert key not in page.url and "kb=shop" in page.url
    assert "not used" in page.locator("#status").inner_text()
    assert page.locator("#kefu-widget").count() == 0
    # The page's own query and fragment (which can carry tokens) are not reported by the widget.
    load_widget(page, live, "/widget-demo?kb=shop&ref=mail&token=t-123#section=help")
    assert key not in page.url
    page.locator("#kefu-widget textarea").fill(ZH_QUESTION)
    page.locator("#kefu-widget form button").click()
    page.locator("#kefu-widget .msg.bot[data-message-id]").first.wait_for(timeout=90_000)
    session_id = page.evaluate(
        "() => Object.keys(sessionStorage).filter(k => k.startsWith('kefu:')).map(k => sessionStorage.getItem(k))[0]"
    )
    with open_database(f"sqlite:///{(live.data_dir / 'kefu.db').resolve()}").session() as session:
        profile = session.get(Conversation, session_id).user_profile
    assert profile["page"] == f"{live.url}/widget-demo"
    assert key not in str(profile) and "t-123" not in str(profile)
    assert errors == []
    page.close()
