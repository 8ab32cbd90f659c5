"""Tables are kept as rows with their headers (issue 12): every format that carries tables gives
one "table" section per row, rendered "Header: value; ..." with the row's structure in
extra["table_row"], and the chunker makes each row one chunk that matches on its caption too."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import docx
import openpyxl
import pytest

from ingest.chunking import chunk_document
from ingest.parsing import parse_file
from ingest.parsing.table_text import TABLE_ROW_KEY
from ingest.types import ParsedDocument

HEADERS = ["Plan", "Monthly price (EUR)", "Data"]
ROWS = [["Basic", "10", "5 GB"], ["Premium", "30", "50 GB"]]
RENDERED = [
    "Plan: Basic; Monthly price (EUR): 10; Data: 5 GB",
    "Plan: Premium; Monthly price (EUR): 30; Data: 50 GB",
]
INTRO = "Prices include VAT."


def _md(path: Path) -> None:
    table = "\n".join("| " + " | ".join(row) + " |" for row in [HEADERS, ["---"] * 3, *ROWS])
    path.write_text(f"# Mobile plans\n\n{INTRO}\n\n{table}\n", encoding="utf-8")


def _html(path: Path) -> None:
    head = "".join(f"<th>{h}</th>" for h in HEADERS)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in ROWS)
    path.write_text(
        f"<html><body><h1>Mobile plans</h1><p>{INTRO}</p><table><tr>{head}</tr>{body}</table></body></html>",
        encoding="utf-8",
    )


def _docx(path: Path) -> None:
    document = docx.Document()
    document.add_heading("Mobile plans", 1)
    document.add_paragraph(INTRO)
    table = document.add_table(rows=3, cols=3)
    for cell, text in zip(table._cells, [*HEADERS, *ROWS[0], *ROWS[1]]):
        cell.text = text
    document.save(path)


def _csv(path: Path) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([HEADERS, *ROWS])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _xlsx(path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Mobile plans"
    for row in [HEADERS, *ROWS]:
        sheet.append(row)
    workbook.save(path)


# file name -> (writer, the table's caption: the heading above it, or the sheet)
FORMATS = {
    "plans.md": (_md, "Mobile plans"),
    "plans.html": (_html, "Mobile plans"),
    "plans.docx": (_docx, "Mobile plans"),
    "Mobile plans.csv": (_csv, "Mobile plans"),
    "plans.xlsx": (_xlsx, "Mobile plans"),
}


def _parse(tmp_path: Path, name: str) -> ParsedDocument:
    writer, _ = FORMATS[name]
    path = tmp_path / name
    writer(path)
    return parse_file(path, max_bytes=10_000_000)


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_keeps_each_row_with_its_headers(tmp_path: Path, name: str) -> None:
    doc = _parse(tmp_path, name)
    caption = FORMATS[name][1]

    rows = [s for s in doc.sections if s.kind == "table"]
    assert [s.text for s in rows] == RENDERED
    assert [s.extra[TABLE_ROW_KEY] for s in rows] == [
        {"table": caption, "headers": HEADERS, "cells": row} for row in ROWS
    ]
    # Prose around the table stays prose.
    assert all(s.kind == "text" for s in doc.sections if s.kind != "table")


@pytest.mark.parametrize("name", list(FORMATS))
def test_each_row_is_one_chunk_carrying_its_headers_and_caption(tmp_path: Path, name: str) -> None:
    doc = _parse(tmp_path, name)

    chunks = [c for c in chunk_document(doc, chunk_tokens=200, overlap_tokens=20) if c.kind == "table"]

    assert [c.text for c in chunks] == RENDERED  # not the two rows in one chunk
    assert all("Mobile plans" in c.match_text for c in chunks)
    assert [c.extra[TABLE_ROW_KEY]["cells"] for c in chunks] == ROWS


def test_a_chinese_table_keeps_its_headers(tmp_path: Path) -> None:
    path = tmp_path / "资费.md"
    path.write_text(
        "# 月费计划\n\n| 套餐 | 月费（元） | 流量 |\n|---|---|---|\n| 基础版 | 10 | 5 GB |\n| 高级版 | 30 | 50 GB |\n",
        encoding="utf-8",
    )
    doc = parse_file(path, max_bytes=10_000_000)

    rows = [s for s in doc.sections if s.kind == "table"]
    assert [s.text for s in rows] == [
        "套餐: 基础版; 月费（元）: 10; 流量: 5 GB",
        "套餐: 高级版; 月费（元）: 30; 流量: 50 GB",
    ]
    assert rows[1].extra[TABLE_ROW_KEY] == {
        "table": "月费计划",
        "headers": ["套餐", "月费（元）", "流量"],
        "cells": ["高级版", "30", "50 GB"],
    }
    chunks = chunk_document(doc, chunk_tokens=200, overlap_tokens=20)
    assert [c.lang for c in chunks] == ["zh", "zh"]


def test_an_faq_sheet_is_still_an_faq_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("Question,Answer\nCan I pause my plan?,Yes, for up to 3 months.\n", encoding="utf-8")

    doc = parse_file(path, max_bytes=10_000_000)

    assert [(s.kind, s.question, TABLE_ROW_KEY in s.extra) for s in doc.sections] == [
        ("faq", "Can I pause my plan?", False)
    ]
