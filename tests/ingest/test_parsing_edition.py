"""Edition detection at ingest: the date or year a document applies from, from front matter, an
effective-date line, the title or the file name, and the page it is an edition of."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.parsing import parse_file
from ingest.parsing.edition import detect_edition, parse_date
from ingest.types import Edition


@pytest.mark.parametrize(
    ("title", "text", "source", "year", "iso", "found_in"),
    [
        (
            "Contract cancellation policy (2023 edition)",
            "Effective from 1 April 2023.\nNotice: 21 days.",
            "cancellation-policy.docx",
            2023,
            "2023-04-01",
            "text",
        ),
        (
            "取消合约政策（2022年版）",
            "自2022年3月1日起生效。\n通知期：30天。",
            "policy.pdf",
            2022,
            "2022-03-01",
            "text",
        ),
        ("Terms", "生效日期：2024年3月1日\n条款内容", "terms.txt", 2024, "2024-03-01", "text"),
        (
            "Terms",
            "Last updated March 5, 2021. These terms apply to all plans.",
            "terms.txt",
            2021,
            "2021-03-05",
            "text",
        ),
        ("Pricing (2024 edition)", "Plans start at 10 euros.", "pricing.md", 2024, None, "title"),
        ("退货政策（2023年版）", "退货须在三十天内办理。", "returns.txt", 2023, None, "title"),
        ("Uptime SLA", "We aim for 99.9% uptime.", "docs/uptime-sla-2022.pdf", 2022, None, "file name"),
    ],
)
def test_reads_the_edition_from_the_strongest_evidence(
    title: str, text: str, source: str, year: int, iso: str | None, found_in: str
) -> None:
    edition = detect_edition(title=title, text=text, source=source)
    assert edition is not None
    assert (edition.year, edition.date, edition.found_in) == (year, iso, found_in)


def test_front_matter_wins_and_file_metadata_comes_last() -> None:
    edition = detect_edition(
        title="Returns policy (2023 edition)",
        text="Effective from 1 March 2023.",
        source="returns-2023.md",
        front_matter={"date": "2023-02-15"},
        metadata={"modified": "2024-06-01"},
    )
    assert edition is not None and (edition.date, edition.found_in) == ("2023-02-15", "front matter")
    # Only a saved-on date: used, but only when nothing else states one.
    edition = detect_edition(
        title="Returns",
        text="Send items back within 30 days.",
        source="returns.md",
        metadata={"modified": "2024-06-01T10:00:00"},
    )
    assert edition is not None and (edition.year, edition.found_in) == (2024, "metadata")


def test_other_dates_and_numbers_are_not_editions() -> None:
    assert detect_edition(title="Plans", text="This offer ends 31 December 2024.", source="plans.md") is None
    assert (
        detect_edition(
            title="Hotline", text="Call 1833 1833; the QR code is valid for 30 days.", source="help.txt"
        )
        is None
    )
    assert parse_date("HK$2,400 in total") is None


def test_the_editions_of_one_page_share_a_series() -> None:
    series = {
        detect_edition(
            title=f"Contract cancellation policy ({y} edition)",
            text=f"Effective from 1 May {y}.",
            source=f"c-{y}.docx",
        ).series  # type: ignore[union-attr]
        for y in (2022, 2023, 2024)
    }
    assert series == {"contract cancellation policy"}
    zh = detect_edition(title="取消合约政策（2024年版）", text="自2024年1月1日起生效。", source="c.pdf")
    assert zh is not None and zh.series == "取消合约政策"


def test_parse_file_stores_the_edition_in_extra(tmp_path: Path) -> None:
    path = tmp_path / "returns-policy-2024.md"
    path.write_text(
        "---\ntitle: Returns policy (2024 edition)\ndate: 2024-01-15\n---\n# Returns\nYou have 30 days.\n",
        encoding="utf-8",
    )
    parsed = parse_file(path, max_bytes=1_000_000)
    edition = Edition.from_extra(parsed.extra)
    assert edition == Edition(2024, "2024-01-15", "returns policy", "front matter")
    undated = tmp_path / "shipping.md"
    undated.write_text("# Shipping\nParcels arrive in 3 days.\n", encoding="utf-8")
    assert "edition" not in parse_file(undated, max_bytes=1_000_000).extra


def test_a_malformed_stored_edition_reads_as_none() -> None:
    assert Edition.from_extra({"edition": {"year": "2024", "series": "x"}}) is None
    assert Edition.from_extra({"edition": "2024"}) is None
    assert Edition.from_extra(None) is None
