"""Table rows as text a retriever and a reader both understand: "Header: value; Header: value".

A table becomes one section per body row (table_row_sections): the row rendered with its
headers, so every chunk of a table reads on its own, and the structured row in
extra["table_row"] = {"table": caption, "headers": [...], "cells": [...]}, which the extractive
answerer reads to answer with the row and the column asked for ("Harbour Plus, monthly fee:
HK$168"). Rows are records: one row alone answers a look-up, and a chunk of several rows would
hand the answerer rows the question never named.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from ingest.types import Section

TABLE_ROW_KEY = "table_row"  # Section/chunk extra key of a table row's structure


def render_row(header: list[str], values: list[str]) -> str:
    """One row. Empty cells are left out; a cell with no header name stands alone."""
    parts = []
    for index, value in enumerate(values):
        value = " ".join(value.split())
        if not value:
            continue
        name = " ".join(header[index].split()) if index < len(header) else ""
        parts.append(f"{name}: {value}" if name else value)
    return "; ".join(parts)


def _clean(cell: str) -> str:
    return " ".join(cell.split())


def table_row_sections(
    rows: list[list[str]], *, caption: str, heading_path: list[str], page: int | None = None
) -> list[Section]:
    """One "table" section per body row of a table whose first row is its header.

    A table of one row has no header to name its cells: it stays one plain table section.
    Rows with no content are dropped.
    """
    if not rows:
        return []
    header = [_clean(cell) for cell in rows[0]]
    if len(rows) == 1:
        text = render_row([], header)
        return [Section(text=text, kind="table", heading_path=list(heading_path), page=page)] if text else []
    sections = []
    for row in rows[1:]:
        text = render_row(header, row)
        if not text:
            continue
        structure: dict[str, Any] = {
            "table": caption,
            "headers": header,
            "cells": [_clean(cell) for cell in row],
        }
        sections.append(
            Section(
                text=text,
                kind="table",
                heading_path=list(heading_path),
                page=page,
                extra={TABLE_ROW_KEY: structure},
            )
        )
    return sections


class _RowCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            if not self.rows:
                self.rows.append([])
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_table_rows(html: str) -> list[list[str]]:
    """The cell texts of an HTML table (unstructured's text_as_html), row by row."""
    collector = _RowCollector()
    collector.feed(html)
    collector.close()
    return [row for row in collector.rows if any(cell for cell in row)]
