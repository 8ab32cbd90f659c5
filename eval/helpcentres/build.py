"""Build a help centre's document files from its text sources, deterministically.

    python -m eval.helpcentres.build OUT_DIR [--centre NAME ...]

Sources under data/<centre>/: `.md .html .txt .csv` are copied as they are. Specs become files:

  NAME.docx.md   -> NAME.docx: `# ` heading 1 (also the document title), `## ` heading 2,
                    `| a | b |` lines one table (first line the header), other lines paragraphs
  NAME.pdf.md    -> NAME.pdf: `# ` line the title (PDF metadata and first line), a line `---`
                    a page break, other lines wrapped to the page width
  NAME.xlsx.csv  -> NAME.xlsx: one sheet named after NAME with the CSV's rows (first row header)

Output: OUT_DIR/<centre>/{en,zh}/NAME.EXT. A document's source in a knowledge base built from
OUT_DIR/<centre> is its path relative to that folder ("en/plans.md"), the id questions cite.
Same sources, same bytes: docx/xlsx timestamps are fixed, so a rebuild does not change the
knowledge base's content hash.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import textwrap
import zipfile
from datetime import datetime
from pathlib import Path

from eval.pdf_writer import pdf_bytes
from ingest.errors import InvalidInput
from ingest.text import has_cjk

DATA_DIR = Path(__file__).resolve().parent / "data"
CENTRES = ("carrier", "shop", "saas", "courier", "airline", "hotel", "rail", "utility")
COPIED = (".md", ".html", ".txt", ".csv")
SPECS = {".docx.md": ".docx", ".pdf.md": ".pdf", ".xlsx.csv": ".xlsx"}
FIXED_TIME = datetime(2024, 6, 1)  # written into docx/xlsx metadata so builds are byte-identical
_ZIP_TIME = (2024, 6, 1, 0, 0, 0)


class SpecError(InvalidInput, ValueError):
    """A spec that cannot be built; the message names the file and line."""


def centre_dir(centre: str) -> Path:
    path = DATA_DIR / centre
    if not path.is_dir():
        raise SpecError(f"no help centre {centre!r} in {DATA_DIR} (known: {', '.join(CENTRES)})")
    return path


def spec_kind(path: Path) -> tuple[str, str] | None:
    """(spec suffix, built suffix) when the file is a spec, else None."""
    for spec, built in SPECS.items():
        if path.name.endswith(spec):
            return spec, built
    return None


def output_name(path: Path) -> str:
    kind = spec_kind(path)
    return path.name[: -len(kind[0])] + kind[1] if kind else path.name


_W3CDTF = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _normalised_zip(data: bytes) -> bytes:
    """The same archive with fixed member timestamps and order, and fixed created/modified
    times in docProps/core.xml (python-docx and openpyxl stamp the current time into both)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in sorted(source.namelist()):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(name)
            if name == "docProps/core.xml":
                content = _W3CDTF.sub(lambda m: m.group(1) + stamp + m.group(2), content)
            target.writestr(info, content)
    return out.getvalue()


def _table_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def docx_bytes(spec: str, *, where: str = "spec") -> bytes:
    import docx

    document = docx.Document()
    table_rows: list[list[str]] = []

    def flush_table() -> None:
        if not table_rows:
            return
        width = len(table_rows[0])
        table = document.add_table(rows=0, cols=width)
        for cells in table_rows:
            row = table.add_row().cells
            for i, text in enumerate(cells[:width]):
                row[i].text = text
        table_rows.clear()

    title = ""
    for number, raw in enumerate(spec.splitlines(), 1):
        line = raw.strip()
        if line.startswith("|"):
            cells = _table_cells(line)
            if table_rows and len(cells) != len(table_rows[0]):
                raise SpecError(
                    f"{where}:{number}: table row has {len(cells)} cells, header has {len(table_rows[0])}"
                )
            table_rows.append(cells)
            continue
        flush_table()
        if not line:
            continue
        if line.startswith("## "):
            document.add_heading(line[3:], level=2)
        elif line.startswith("# "):
            title = title or line[2:]
            document.add_heading(line[2:], level=1)
        else:
            document.add_paragraph(line)
    flush_table()
    properties = document.core_properties
    properties.title = title
    properties.author = "kefu help-centre benchmark"
    properties.created = properties.modified = FIXED_TIME
    properties.last_modified_by = ""
    properties.revision = 1
    out = io.BytesIO()
    document.save(out)
    return _normalised_zip(out.getvalue())


def _wrap(line: str) -> list[str]:
    # Helvetica 11 pt fits about 90 Latin characters on a Letter page; CJK glyphs are full width.
    width = 40 if has_cjk(line) else 90
    if has_cjk(line):
        return [line[i : i + width] for i in range(0, len(line), width)] or [""]
    return textwrap.wrap(line, width) or [""]


def pdf_from_spec(spec: str) -> bytes:
    pages: list[list[str]] = [[]]
    title = ""
    for raw in spec.splitlines():
        line = raw.strip()
        if line == "---":
            pages.append([])
            continue
        if line.startswith("# "):
            line = line[2:]
            title = title or line
        pages[-1].extend(_wrap(line) if line else [""])
    return pdf_bytes(pages, title=title)


def xlsx_bytes(spec: str, *, sheet: str) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet[:31]
    for row in csv.reader(io.StringIO(spec)):
        if any(cell.strip() for cell in row):
            worksheet.append(row)
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    workbook.properties.creator = "kefu help-centre benchmark"
    out = io.BytesIO()
    workbook.save(out)
    return _normalised_zip(out.getvalue())


def build_file(source: Path) -> bytes:
    """The bytes of the document built from one source file."""
    kind = spec_kind(source)
    text = source.read_text(encoding="utf-8")
    if kind is None:
        return source.read_bytes()
    if kind[1] == ".docx":
        return docx_bytes(text, where=str(source))
    if kind[1] == ".pdf":
        return pdf_from_spec(text)
    return xlsx_bytes(text, sheet=output_name(source).rsplit(".", 1)[0])


def source_files(centre: str) -> list[Path]:
    root = centre_dir(centre)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        if spec_kind(path) is None and path.suffix.lower() not in COPIED:
            raise SpecError(
                f"{path}: not a document source ({', '.join(COPIED)}) nor a spec ({', '.join(SPECS)})"
            )
    return files


def build_centre(centre: str, out_dir: Path) -> Path:
    """Write the centre's documents into out_dir/<centre> (replacing what was there); returns it."""
    root = centre_dir(centre)
    target = out_dir / centre
    if target.exists():
        shutil.rmtree(target)
    for source in source_files(centre):
        relative = source.relative_to(root)
        path = target / relative.parent / output_name(source)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(build_file(source))
    return target


def document_ids(centre: str) -> list[str]:
    """The sources ("en/plans.md", "zh/faq.xlsx", ...) of the centre's documents once built."""
    root = centre_dir(centre)
    return [(p.relative_to(root).parent / output_name(p)).as_posix() for p in source_files(centre)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--centre", action="append", choices=CENTRES)
    args = parser.parse_args(argv)
    for centre in args.centre or CENTRES:
        print(build_centre(centre, args.out))


if __name__ == "__main__":
    main()
