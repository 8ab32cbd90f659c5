"""CSV and Excel files: an FAQ sheet (question/answer columns) or a plain table.

Each sheet is read on its own: a sheet whose header names question and answer columns gives
one faq section per row; any other sheet gives one table section per row, rendered
"Header: value; Header: value" under the sheet name, with the row's structure in extra
(table_text.table_row_sections; the sheet is the table's caption). The first non-empty row is
the header.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from typing import Any

from ingest.parsing.faq import faq_roles, faq_section
from ingest.parsing.source import SourceFile
from ingest.parsing.table_text import table_row_sections
from ingest.types import IngestError, ParsedDocument, Section

_CSV_DELIMITERS = ",\t;"


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 30 as 30.0
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def sheet_sections(rows: list[list[str]], *, sheet: str) -> tuple[list[Section], int]:
    """(sections, rows skipped) for one sheet's non-empty rows, header first."""
    if not rows:
        return [], 0
    header, body = rows[0], rows[1:]
    roles = faq_roles(header)
    sections = []
    for number, row in enumerate(body, start=2):
        if roles:
            section = faq_section(dict(zip(header, row)), roles)
        else:
            row_sections = table_row_sections([header, row], caption=sheet, heading_path=[sheet])
            section = row_sections[0] if row_sections else None
        if section is not None:
            section.extra.update({"sheet": sheet, "row": number})
            sections.append(section)
    return sections, len(body) - len(sections)


def _document(source: SourceFile, file_type: str, sections: list[Section], skipped: int) -> ParsedDocument:
    if not sections:
        raise IngestError("no rows with content below the header row")
    is_faq = all(section.kind == "faq" for section in sections)
    return ParsedDocument(
        source=str(source.path),
        title="",
        file_type=f"faq-{file_type}" if is_faq else file_type,
        sections=sections,
        extra={"skipped_rows": skipped} if skipped else {},
    )


def _csv_delimiter(source: SourceFile, text: str) -> str:
    """Tab for .tsv; otherwise whichever of , TAB ; the header line uses most (csv.Sniffer
    gets confused by "|"-separated similar questions and quoted commas)."""
    if source.path.suffix.lower() == ".tsv":
        return "\t"
    header = text.split("\n", 1)[0]
    return max(_CSV_DELIMITERS, key=header.count)


def parse_csv(source: SourceFile) -> ParsedDocument:
    text = source.text
    reader = csv.reader(io.StringIO(text), delimiter=_csv_delimiter(source, text))
    rows = [[cell.strip() for cell in row] for row in reader if any(cell.strip() for cell in row)]
    sections, skipped = sheet_sections(rows, sheet=source.default_title)
    return _document(source, "csv", sections, skipped)


def parse_xlsx(source: SourceFile) -> ParsedDocument:
    import openpyxl

    source.zip_archive().close()
    workbook = openpyxl.load_workbook(io.BytesIO(source.data), read_only=True, data_only=True)
    sections: list[Section] = []
    skipped = 0
    try:
        for sheet in workbook.worksheets:
            rows = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
            rows = [row for row in rows if any(row)]
            sheet_rows, sheet_skipped = sheet_sections(rows, sheet=sheet.title)
            sections.extend(sheet_rows)
            skipped += sheet_skipped
    finally:
        workbook.close()
    return _document(source, "xlsx", sections, skipped)
