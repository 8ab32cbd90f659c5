"""FAQ pairs from spreadsheets, JSON Lines and Markdown, each pair one `Section(kind="faq")`.

Columns (or JSON keys) are recognised by name, English or Chinese: question/q/问题/标准问题/问,
answer/a/答案/回答/答, similar/similar_questions/相似问题 ("|" or newline separated), and the
optional category/分类, tags/标签, url/链接. Other columns are kept in the section's extra.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ingest.parsing.source import SourceFile, normalize_text
from ingest.types import IngestError, ParsedDocument, Section

_ROLE_NAMES = {
    "question": {"question", "questions", "q", "问题", "标准问题", "问"},
    "answer": {"answer", "a", "答案", "回答", "答"},
    "similar": {"similar", "similar_questions", "similar_question", "相似问题", "相似问法"},
    "category": {"category", "分类", "类别"},
    "tags": {"tags", "tag", "标签"},
    "url": {"url", "link", "链接"},
}
_SIMILAR_SEPARATOR = re.compile(r"[|｜\n]")
_TAG_SEPARATOR = re.compile(r"[|｜,，;；\n]")
_BOLD = re.compile(r"(\*\*|__)(.+?)\1")  # Markdown bold; the unstructured path drops it too


def _field_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def faq_roles(names: Iterable[Any]) -> dict[str, str] | None:
    """Which column plays which FAQ role ({"question": "标准问题", ...}), or None when there
    is no question and answer column (then it is a plain table)."""
    roles: dict[str, str] = {}
    for name in names:
        key = _field_key(name)
        for role, accepted in _ROLE_NAMES.items():
            if key in accepted and role not in roles:
                roles[role] = name
    return roles if "question" in roles and "answer" in roles else None


def _as_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _split(value: Any, separator: re.Pattern[str]) -> list[str]:
    parts = value if isinstance(value, list) else separator.split(_as_text(value))
    return [text for text in (_as_text(part) for part in parts) if text]


def faq_section(record: Mapping[Any, Any], roles: Mapping[str, Any]) -> Section | None:
    """One FAQ pair from a row/record, or None when it lacks a question or an answer."""

    def value(role: str) -> Any:
        return record.get(roles[role]) if role in roles else None

    question = " ".join(_as_text(value("question")).split())
    answer = normalize_text(_as_text(value("answer")))
    if not question or not answer:
        return None
    extra: dict[str, Any] = {
        str(name): _as_text(cell)
        for name, cell in record.items()
        if name not in roles.values() and _as_text(cell)
    }
    category = _as_text(value("category"))
    tags = _split(value("tags"), _TAG_SEPARATOR)
    url = _as_text(value("url"))
    extra.update({key: v for key, v in (("category", category), ("tags", tags), ("url", url)) if v})
    similar = _split(value("similar"), _SIMILAR_SEPARATOR)
    return Section(
        text=answer,
        kind="faq",
        heading_path=[category] if category else [],
        question=question,
        similar_questions=[text for text in similar if text != question],
        extra=extra,
    )


def parse_faq_jsonl(source: SourceFile) -> ParsedDocument:
    """One JSON object per line: {"question", "answer", optional "similar_questions", ...}."""
    sections = []
    skipped = 0
    for number, line in enumerate(source.text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(f"corrupt FAQ JSONL: line {number} is not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise IngestError(f"corrupt FAQ JSONL: line {number} is not a JSON object")
        roles = faq_roles(record)
        section = faq_section(record, roles) if roles else None
        if section is None:
            skipped += 1
            continue
        section.extra["line"] = number
        sections.append(section)
    if not sections:
        raise IngestError("no FAQ entries: no line has both a question and an answer")
    return ParsedDocument(
        source=str(source.path),
        title="",
        file_type="faq-jsonl",
        sections=sections,
        extra={"skipped_rows": skipped} if skipped else {},
    )


# --- Markdown FAQ: every ##/### heading is a question, its body the answer -------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SIMILAR_LINE = re.compile(r"^\s*(?:similar(?:\s+questions)?|相似问题|相似问法)\s*[:：]\s*(.+?)\s*$", re.I)


def _headings(body: str) -> list[tuple[int, str]]:
    return [(len(match.group(1)), match.group(2)) for match in map(_HEADING.match, body.split("\n")) if match]


def is_markdown_faq(front_matter: Mapping[str, str], body: str, path: Path) -> bool:
    """A Markdown file is an FAQ when its front matter says `type: faq`, or when its file name
    contains "faq" and most of its ##-or-deeper headings are questions (end with ? or ？)."""
    if front_matter.get("type", "").strip().lower() == "faq":
        return True
    if "faq" not in path.name.lower():
        return False
    questions = [text for level, text in _headings(body) if level >= 2]
    asked = sum(text.endswith(("?", "？")) for text in questions)
    return bool(questions) and asked * 2 >= len(questions)


def parse_markdown_faq(body: str) -> tuple[str | None, list[Section]]:
    """(the # title, one faq section per question). A heading whose body is empty is a group
    heading: it goes into the heading path of the questions below it. Text before the first
    question (an introduction under the # title) is kept as a plain text section."""
    entries: list[tuple[int, str | None, list[str]]] = [(0, None, [])]  # (level, heading, lines)
    for line in body.split("\n"):
        match = _HEADING.match(line)
        if match:
            entries.append((len(match.group(1)), match.group(2), []))
        else:
            entries[-1][2].append(line)
    title = next((heading for level, heading, _ in entries if level == 1), None)
    sections = []
    path: list[tuple[int, str]] = []
    for level, heading, lines in entries:
        similar: list[str] = []
        answer_lines = []
        for line in lines:
            similar_match = _SIMILAR_LINE.match(line)
            if similar_match:
                similar.extend(_split(similar_match.group(1), _SIMILAR_SEPARATOR))
            else:
                answer_lines.append(line)
        answer = _BOLD.sub(r"\2", normalize_text("\n".join(answer_lines)))
        path = [(lvl, text) for lvl, text in path if lvl < level]
        if heading is not None and (level == 1 or not answer):
            path.append((level, heading))
        heading_path = [text for _, text in path]
        if level <= 1 and answer:
            sections.append(Section(text=answer, heading_path=heading_path))
        elif level > 1 and answer:
            sections.append(
                Section(
                    text=answer,
                    kind="faq",
                    heading_path=heading_path,
                    question=heading,
                    similar_questions=similar,
                )
            )
    if not any(section.kind == "faq" for section in sections):
        raise IngestError("no FAQ entries: no question heading has an answer below it")
    return title, sections
