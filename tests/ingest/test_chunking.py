"""chunk_document: budgets, sentence boundaries (Chinese included), FAQ pairs, metadata."""

from __future__ import annotations

import pytest

from ingest.chunking import chunk_document, count_tokens, split_sentences
from ingest.config import Settings
from ingest.parsing import parse_file
from ingest.sample import sample_files
from ingest.types import ParsedDocument, Section

pytestmark = pytest.mark.usefixtures("no_network")

CHINESE_SENTENCE_ENDS = set("。！？；…”’」』）")

CHINESE_POLICY = (
    "Lumo Plus 会员自签收之日起60天内可以申请退货，普通用户的退货期限为30天。"
    "商品须配件齐全，包括电源线、安装配件和快速入门卡；已拆封但无损坏的商品同样可以退货。"
    "仓库收到退货并完成检测后，将在3个工作日内原路退款！"
    "银行或支付平台到账通常还需要1至5个工作日，请您耐心等待。"
    "客服说：“会员退货享受免费上门取件服务。”"
    "如果超过退货期限怎么办？超过期限的商品将被退回给您，运费由您承担；"
    "礼品卡和开通超过14天的会员费不支持退货。"
)


def doc_of(*sections: Section, lang: str = "en") -> ParsedDocument:
    return ParsedDocument(source="test", title="Test", file_type="md", sections=list(sections), lang=lang)


def test_faq_pair_is_one_chunk_whatever_its_length() -> None:
    answer = " ".join(f"Step {n}: open the app and check the hub light." for n in range(80))
    faq = Section(
        text=answer,
        kind="faq",
        heading_path=["Devices"],
        question="How do I reset the hub?",
        similar_questions=["factory reset", "hub reset steps"],
        extra={"url": "https://x/reset"},
    )
    (chunk,) = chunk_document(doc_of(faq), chunk_tokens=64, overlap_tokens=8)

    assert chunk.text == f"Q: How do I reset the hub?\nA: {answer}"
    assert chunk.match_text == "How do I reset the hub?\nfactory reset\nhub reset steps"
    assert chunk.tokens == count_tokens(chunk.text) > 64
    assert (chunk.kind, chunk.heading_path, chunk.lang) == ("faq", ["Devices"], "en")
    assert (chunk.char_start, chunk.char_end) == (0, len(answer))
    assert chunk.extra == {"url": "https://x/reset"}


def test_chinese_faq_pair_uses_chinese_labels() -> None:
    faq = Section(text="签收后30天内；会员60天。", kind="faq", question="退货期限是多久？")
    (chunk,) = chunk_document(doc_of(faq), chunk_tokens=320, overlap_tokens=40)
    assert chunk.text == "问：退货期限是多久？\n答：签收后30天内；会员60天。"
    assert (chunk.match_text, chunk.lang) == ("退货期限是多久？", "zh")


@pytest.mark.parametrize("budget", [36, 60, 100])
def test_chinese_chunks_end_at_sentence_boundaries(budget: int) -> None:
    # the longest sentence is 35 tokens: every sentence fits, so no chunk may end mid-sentence
    assert max(count_tokens(s) for s in split_sentences(CHINESE_POLICY)) <= 36
    section = Section(text=CHINESE_POLICY + "\n" + CHINESE_POLICY, heading_path=["退货政策"])
    chunks = chunk_document(doc_of(section, lang="zh"), chunk_tokens=budget, overlap_tokens=8)

    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.tokens <= budget
        assert section.text[chunk.char_start : chunk.char_end] == chunk.text
        next_char = section.text[chunk.char_end : chunk.char_end + 1]
        assert chunk.text[-1] in CHINESE_SENTENCE_ENDS or next_char in ("", "\n"), chunk.text
        assert chunk.lang == "zh"
    # every sentence is in some chunk: chunks cover the text
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.char_start, chunk.char_end))
    assert all(i in covered for i, char in enumerate(section.text) if not char.isspace())


def test_semicolon_ends_a_chinese_sentence() -> None:
    assert split_sentences("商品须配件齐全；否则无法退货。好的!可以?") == [
        "商品须配件齐全；",
        "否则无法退货。",
        "好的!",
        "可以?",
    ]


def test_sentence_split_keeps_every_character() -> None:
    text = "他说：“好的。”\n\nMembers get 60 days. Mr. Smith paid USD 5.99 on Jan. 3.  Done…下一行"
    assert "".join(split_sentences(text)) == text
    assert "他说：“好的。”" in split_sentences(text)


def test_single_sentence_over_budget_is_cut_at_commas() -> None:
    sentence = "，".join(["会员退货享受免费上门取件服务"] * 12) + "。"
    chunks = chunk_document(doc_of(Section(text=sentence)), chunk_tokens=40, overlap_tokens=0)
    assert len(chunks) > 1
    assert all(chunk.tokens <= 40 and chunk.text[-1] in "，。" for chunk in chunks)


def test_english_chunks_respect_budget_and_end_sentences() -> None:
    text = " ".join(
        f"Returns for order {n} are accepted within 30 days of delivery with the receipt." for n in range(40)
    )
    chunks = chunk_document(doc_of(Section(text=text)), chunk_tokens=50, overlap_tokens=20)
    assert len(chunks) > 5
    assert all(chunk.tokens <= 50 and chunk.text.endswith(".") for chunk in chunks)
    # overlap (whole sentences of 18 tokens): each chunk starts before the previous one ends
    assert all(b.char_start < a.char_end for a, b in zip(chunks, chunks[1:]))


@pytest.mark.parametrize(("budget", "overlap"), [(12, 6), (20, 0), (33, 16)])
def test_repetitive_text_spans_coverage_and_budget(budget: int, overlap: int) -> None:
    # Repeated sentences, runs of spaces and emoji: where naive text search mislocates chunks
    # and where BPE merges joined splits into more tokens than the splitter counted.
    text = "AAA.  AAA.   会员60天。会员60天。🙂🙂 Members get 60 days.   \n\n会员60天；" * 6
    chunks = chunk_document(doc_of(Section(text=text)), chunk_tokens=budget, overlap_tokens=overlap)

    covered: set[int] = set()
    for chunk in chunks:
        assert text[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.tokens == count_tokens(chunk.text) <= budget
        covered.update(range(chunk.char_start, chunk.char_end))
    assert all(i in covered for i, char in enumerate(text) if not char.isspace())


def test_chunks_never_cross_sections_and_carry_metadata() -> None:
    doc = doc_of(
        Section(text="Returns are accepted within 30 days.", heading_path=["Returns", "Standard"]),
        Section(text="Members get 60 days.", heading_path=["Returns", "Members"], page=4),
    )
    first, second = chunk_document(doc, chunk_tokens=320, overlap_tokens=40)

    assert (first.section_index, first.text, first.heading_path) == (
        0,
        "Returns are accepted within 30 days.",
        ["Returns", "Standard"],
    )
    assert second.match_text == "Test > Returns > Members: Members get 60 days."
    assert (second.section_index, second.page, second.kind, second.lang) == (1, 4, "text", "en")
    assert (second.char_start, second.char_end) == (0, len("Members get 60 days."))
    assert second.tokens == count_tokens("Members get 60 days.")


def test_table_chunks_split_between_rows_without_overlap() -> None:
    rows = [f"Model: LH-{n}; Price: {100 + n} USD; Warranty: 2 years" for n in range(30)]
    table = Section(text="\n".join(rows), kind="table", heading_path=["Specs"])
    chunks = chunk_document(doc_of(table), chunk_tokens=60, overlap_tokens=20)

    assert len(chunks) > 3
    assert [row for chunk in chunks for row in chunk.text.split("\n")] == rows
    assert all(chunk.kind == "table" and chunk.match_text.startswith("Test > Specs: ") for chunk in chunks)


def test_special_token_text_is_just_text() -> None:
    doc = doc_of(Section(text="Type <|endoftext|> to finish."))
    (chunk,) = chunk_document(doc, chunk_tokens=32, overlap_tokens=0)
    assert chunk.text == "Type <|endoftext|> to finish."


def test_bad_budgets_are_rejected() -> None:
    doc = doc_of(Section(text="x"))
    with pytest.raises(ValueError):
        chunk_document(doc, chunk_tokens=0, overlap_tokens=0)
    with pytest.raises(ValueError):
        chunk_document(doc, chunk_tokens=40, overlap_tokens=40)


def test_sample_knowledge_base_chunks_deterministically_within_budget() -> None:
    settings = Settings()
    budget = dict(chunk_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap_tokens)
    for path in sample_files():
        doc = parse_file(path, max_bytes=settings.max_file_bytes)
        chunks = chunk_document(doc, **budget)
        assert chunks == chunk_document(doc, **budget), path.name
        faq_pairs = sum(section.kind == "faq" for section in doc.sections)
        assert sum(chunk.kind == "faq" for chunk in chunks) == faq_pairs
        for chunk in chunks:
            assert chunk.text.strip() and chunk.match_text.strip() and chunk.lang in ("en", "zh")
            assert chunk.kind == "faq" or chunk.tokens <= settings.chunk_tokens
        if path.name == "faq.csv":  # bilingual sheet: language per pair
            assert {chunk.lang for chunk in chunks} == {"en", "zh"}


def test_match_text_names_the_document_title_once() -> None:
    titled = ParsedDocument(
        source="faq-7",
        title="Can I return a gift?",
        file_type="dataset",
        lang="en",
        sections=[
            Section(text="Can I return a gift?\nYes, with the gift receipt."),
            Section(text="Gift cards are final.", heading_path=["Can I return a gift?", "Cards"]),
            Section(text="Refunds go to the giver."),
        ],
    )
    own_start, in_headings, plain = chunk_document(titled, chunk_tokens=320, overlap_tokens=40)

    assert own_start.match_text == own_start.text  # the text already opens with the title
    assert in_headings.match_text == "Can I return a gift? > Cards: Gift cards are final."
    assert plain.match_text == "Can I return a gift?: Refunds go to the giver."
    assert plain.text == "Refunds go to the giver."  # shown and cited text is untouched
