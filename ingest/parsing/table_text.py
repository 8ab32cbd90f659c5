"""Table rows as text a retriever and a reader both understand: "Header: value; Header: value"."""

from __future__ import annotations

from html.parser import HTMLParser


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


def render_table(rows: list[list[str]]) -> str:
    """A table whose first row is its header, as one rendered line per body row."""
    if not rows:
        return ""
    header, body = rows[0], rows[1:]
    if not body:
        return render_row([], header)
    lines = (render_row(header, row) for row in body)
    return "\n".join(line for line in lines if line)


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
