"""ParsedDocument -> ChunkDraft list: token-budgeted, sentence-aware, never across sections.

- Sections come from the parser in reading order; a chunk never crosses a section, so it never
  mixes two headings, a table with prose, or two PDF pages.
- Text and table sections are split by llama-index's SentenceSplitter, counting tokens with
  tiktoken cl100k_base. Its default sentence splitter (punkt) knows no Chinese, and its backup
  regex ends sentences at 。？！ but not ；, so we give it `split_sentences`: Chinese sentence
  ends (。！？；… and !?; after a Chinese character, with closing quotes) and line breaks
  first, then English punkt for Latin text. A chunk therefore ends at a sentence end or a line
  break unless one sentence alone is over budget (then it is cut at commas, then anywhere).
- Every chunk's text is within chunk_tokens (FAQ pairs excepted) and is the exact slice
  section.text[char_start:char_end].
- A table comes from the parser as one section per row, rendered "Header: value; ..." with its
  structure in extra["table_row"] (parsing/table_text.py), so each row is one chunk that carries
  its headers, and its match text the table's title and heading. A row over budget is split
  like a sentence, without overlap.
- Each FAQ pair is exactly one chunk whatever its length: "Q: ...\nA: ..." (问：/答： in
  Chinese). Its match_text is the question and its similar questions, which is what a
  customer's message resembles.
- Other chunks match on their text with the document title and heading path in front
  ("Lumo returns policy > Members: ..."): a chunk's own sentences often leave the topic implicit
  (the third chunk of an answer never repeats the question it answers), so title and headings
  help both BM25 and the embedder. The title is left out when the headings or the chunk's text
  already start with it. `tokens` counts the chunk text.
- lang is detected per section (a bilingual FAQ sheet has both), the document's as fallback.
Output is deterministic: the same document always gives the same chunks.
"""

from __future__ import annotations

import re
from functools import lru_cache

from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.utils import globals_helper
from nltk.tokenize import PunktTokenizer

from ingest.text import CJK_CLASS, count_tokens, detect_language, tokenize
from ingest.types import ChunkDraft, ParsedDocument, Section

# Bumped whenever the chunks of the same document change, so caches keyed on chunking rebuild.
CHUNKER_VERSION = 3

_CLOSERS = re.escape("”’」』）》〉】)\"'")
_SENTENCE_END = re.compile(rf"(?:[。｡！？；…]|(?<=[{CJK_CLASS}])[!?;])+[{_CLOSERS}]*|\n+")
_LATIN_SENTENCE_END = re.compile(r"[.!?]")
# Backup split for one sentence over budget: at clause punctuation, English and Chinese.
_CLAUSE_REGEX = "[^,.;:，、；：。！？]+[,.;:，、；：。！？]?|[,.;:，、；：。！？]"
_FAQ_LABELS = {"zh": ("问：", "答："), "en": ("Q: ", "A: ")}
_MIN_REFIT_TOKENS = 8  # below this a re-split budget would cut single characters apart


@lru_cache(maxsize=1)
def _punkt() -> PunktTokenizer:
    # Trained English punkt (knows "Mr.", "Jan.", "U.S."), read from the nltk data that
    # llama-index-core ships; wait_for_nltk_check puts that folder on nltk's search path.
    globals_helper.wait_for_nltk_check()
    return PunktTokenizer("english")


def _latin_sentences(text: str) -> list[str]:
    """Punkt sentence boundaries, keeping every character (whitespace stays with a sentence)."""
    if not _LATIN_SENTENCE_END.search(text):
        return [text]
    spans = _punkt().span_tokenize(text)
    bounds = [0, *(start for start, _ in list(spans)[1:]), len(text)]
    return [text[start:end] for start, end in zip(bounds, bounds[1:]) if start < end]


def split_sentences(text: str) -> list[str]:
    """Sentences of Chinese and English text; "".join(split_sentences(t)) == t."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        sentences.extend(_latin_sentences(text[start : match.end()]))
        start = match.end()
    if start < len(text):
        sentences.extend(_latin_sentences(text[start:]))
    return sentences


@lru_cache(maxsize=16)
def _splitter(chunk_tokens: int, overlap_tokens: int, paragraph_separator: str) -> SentenceSplitter:
    return SentenceSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=overlap_tokens,
        tokenizer=tokenize,
        paragraph_separator=paragraph_separator,
        chunking_tokenizer_fn=split_sentences,
        secondary_chunking_regex=_CLAUSE_REGEX,
    )


def _spans(text: str, pieces: list[str], *, overlapping: bool) -> list[tuple[int, int]]:
    """Where each chunk sits in its section.

    SentenceSplitter chunks are stripped runs of consecutive splits, in order: chunk n+1 starts
    inside chunk n (overlap) or at the first non-space after it, and normally reaches past its
    end. Searching only that window keeps repeated text from being matched at the wrong place.
    """
    spans: list[tuple[int, int]] = []
    for piece in pieces:
        previous_start, previous_end = spans[-1] if spans else (0, 0)
        rest = text[previous_end:]
        latest_start = previous_end + len(rest) - len(rest.lstrip())
        found = None  # the first match reaching past chunk n, else the last match inside it
        start = text.find(piece, previous_start if overlapping else previous_end)
        while 0 <= start <= latest_start:
            found = start
            if start + len(piece) > previous_end:
                break
            start = text.find(piece, start + 1)
        if found is None:
            raise RuntimeError("chunk text is not a slice of its section")  # splitter changed
        spans.append((found, found + len(piece)))
    return spans


def _without_contained(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """After a whitespace split SentenceSplitter can emit a chunk lying wholly inside its
    neighbour; it only duplicates that neighbour."""

    def inside(span: tuple[int, int], other: tuple[int, int]) -> bool:
        return other[0] <= span[0] and span[1] <= other[1]

    kept: list[tuple[int, int]] = []
    for index, span in enumerate(spans):
        following = spans[index + 1] if index + 1 < len(spans) else None
        if (following and inside(span, following)) or (kept and inside(span, kept[-1])):
            continue
        kept.append(span)
    return kept


def _chunk_spans(
    text: str, chunk_tokens: int, overlap_tokens: int, paragraph_separator: str
) -> list[tuple[int, int]]:
    """The (start, end) of each chunk of `text`, each at most chunk_tokens long."""
    splitter = _splitter(chunk_tokens, overlap_tokens, paragraph_separator)
    pieces = [piece for piece in splitter.split_text(text) if piece]
    spans = _without_contained(_spans(text, pieces, overlapping=overlap_tokens > 0))
    fitted: list[tuple[int, int]] = []
    for start, end in spans:
        # The splitter sums the tokens of its splits; BPE can turn the joined text into a
        # token or two more. Such a chunk is split again with a budget smaller by the excess.
        excess = count_tokens(text[start:end]) - chunk_tokens
        smaller = chunk_tokens - excess
        if excess <= 0 or smaller < _MIN_REFIT_TOKENS:
            fitted.append((start, end))
            continue
        refit = _chunk_spans(text[start:end], smaller, min(overlap_tokens, smaller // 2), paragraph_separator)
        fitted.extend((start + inner_start, start + inner_end) for inner_start, inner_end in refit)
    return fitted


def _faq_chunk(section: Section, index: int, lang: str) -> ChunkDraft:
    question = section.question or ""
    question_label, answer_label = _FAQ_LABELS.get(lang, _FAQ_LABELS["en"])
    text = f"{question_label}{question}\n{answer_label}{section.text}"
    return ChunkDraft(
        text=text,
        match_text="\n".join([question, *section.similar_questions]),
        tokens=count_tokens(text),
        heading_path=list(section.heading_path),
        page=section.page,
        kind="faq",
        lang=lang,
        char_start=0,
        char_end=len(section.text),
        section_index=index,
        extra=dict(section.extra),
    )


def _context(title: str, heading_path: list[str], text: str) -> str:
    """The topic put in front of a chunk's match text: title and headings, without repeats."""
    parts = list(heading_path)
    if title and title not in parts and not text.startswith(title):
        parts.insert(0, title)
    return " > ".join(parts)


def _split_chunks(
    section: Section, index: int, lang: str, spans: list[tuple[int, int]], title: str
) -> list[ChunkDraft]:
    chunks = []
    for start, end in spans:
        text = section.text[start:end]
        heading = _context(title, section.heading_path, text)
        chunks.append(
            ChunkDraft(
                text=text,
                match_text=f"{heading}: {text}" if heading else text,
                tokens=count_tokens(text),
                heading_path=list(section.heading_path),
                page=section.page,
                kind=section.kind,
                lang=lang,
                char_start=start,
                char_end=end,
                section_index=index,
                extra=dict(section.extra),
            )
        )
    return chunks


def chunk_document(doc: ParsedDocument, *, chunk_tokens: int, overlap_tokens: int) -> list[ChunkDraft]:
    """Chunks of a parsed document in reading order (see the module docstring for the rules)."""
    if chunk_tokens < 1:
        raise ValueError(f"chunk_tokens must be positive, got {chunk_tokens}")
    if not 0 <= overlap_tokens < chunk_tokens:
        raise ValueError(
            f"overlap_tokens must be at least 0 and below chunk_tokens ({chunk_tokens}), got {overlap_tokens}"
        )
    chunks: list[ChunkDraft] = []
    for index, section in enumerate(doc.sections):
        lang = detect_language(f"{section.question or ''}\n{section.text}", default=doc.lang)
        if section.kind == "faq":
            chunks.append(_faq_chunk(section, index, lang))
        elif section.kind == "table":  # a row is a record: no overlap
            spans = _chunk_spans(section.text, chunk_tokens, 0, "\n")
            chunks.extend(_split_chunks(section, index, lang, spans, doc.title))
        elif section.text.strip():
            spans = _chunk_spans(section.text, chunk_tokens, overlap_tokens, "\n\n")
            chunks.extend(_split_chunks(section, index, lang, spans, doc.title))
    return chunks
