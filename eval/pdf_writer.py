"""A tiny PDF writer: the help-centre benchmark's PDFs, the ingest tests' and the sample KB's.

No PDF library is a dependency. It writes valid PDF 1.4: one text stream per page and a correct
xref table. Latin-1 lines use Helvetica; a line with any other character (Chinese) uses the
standard Adobe CJK font STSong-Light (not embedded) with UCS-2 codes and a ToUnicode map, so
text extraction (pypdf, pdfminer) gives the characters back. A page with no lines has no text
layer, like a scanned page.
"""

from __future__ import annotations

PAGE_WIDTH, PAGE_HEIGHT = 612, 792  # US Letter, points
LEFT, TOP, LEADING = 72, 720, 16
_LATIN, _CJK = 3, 4  # font object ids


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _is_latin1(line: str) -> bool:
    return all(ord(ch) < 256 for ch in line)


def _show(line: str) -> str:
    if _is_latin1(line):
        return f"/F1 11 Tf ({_escape(line)}) Tj T*"
    # UCS-2 big endian: the code of a character is its BMP code point.
    codes = "".join(f"{ord(ch):04X}" for ch in line if ord(ch) <= 0xFFFF)
    return f"/F2 11 Tf <{codes}> Tj T*"


def _content_stream(lines: list[str]) -> bytes:
    if not lines:
        return b""
    ops = ["BT", f"{LEADING} TL {LEFT} {TOP} Td", *(_show(line) for line in lines), "ET"]
    return "\n".join(ops).encode("latin-1")


def _stream(data: bytes) -> bytes:
    return f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def _to_unicode_cmap() -> bytes:
    """Code = UCS-2 code point, for every two-byte code (256 ranges, each within one high byte)."""
    ranges = "\n".join(
        f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256) if not 0xD8 <= hi <= 0xDF
    )
    count = 256 - 8
    body = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        f"{count // 2} beginbfrange\n" + "\n".join(ranges.split("\n")[: count // 2]) + "\nendbfrange\n"
        f"{count - count // 2} beginbfrange\n"
        + "\n".join(ranges.split("\n")[count // 2 :])
        + "\nendbfrange\n"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    )
    return body.encode()


def _text_string(text: str) -> str:
    """A PDF text string: literal for Latin-1, UTF-16BE with a byte-order mark otherwise."""
    if _is_latin1(text):
        return f"({_escape(text)})"
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def pdf_bytes(pages: list[list[str]], *, title: str = "") -> bytes:
    """A PDF whose page i shows pages[i], one string per line."""
    cid_font, descriptor, to_unicode = 5, 6, 7
    first_page_id = 8
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        _LATIN: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        _CJK: (
            f"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
            f"/DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
        ).encode(),
        cid_font: (
            f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
            f"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
            f"/FontDescriptor {descriptor} 0 R /DW 1000 >>"
        ).encode(),
        descriptor: (
            b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
            b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>"
        ),
        to_unicode: _stream(_to_unicode_cmap()),
    }
    kids = []
    for index, lines in enumerate(pages):
        page_id = first_page_id + 2 * index
        content_id = page_id + 1
        kids.append(f"{page_id} 0 R")
        objects[page_id] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 {_LATIN} 0 R /F2 {_CJK} 0 R >> >> /Contents {content_id} 0 R >>"
        ).encode()
        objects[content_id] = _stream(_content_stream(lines))
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()
    info_id = first_page_id + 2 * len(pages)
    objects[info_id] = f"<< /Title {_text_string(title)} >>".encode()

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for object_id in sorted(objects):
        offsets[object_id] = len(out)
        out += f"{object_id} 0 obj\n".encode() + objects[object_id] + b"\nendobj\n"
    xref_at = len(out)
    count = max(objects) + 1
    out += f"xref\n0 {count}\n0000000000 65535 f \n".encode()
    for object_id in range(1, count):
        out += f"{offsets[object_id]:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {count} /Root 1 0 R /Info {info_id} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return bytes(out)
