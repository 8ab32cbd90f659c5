"""Evaluation data sets as files: the shared JSONL layout and hand-written golden sets, read and
validated (loading by name, built-in sets and sampling are in eval.datasets).

Shared layout (described in the data sets folder's README): a folder with corpus.jsonl {"id","title","text",...}
and questions.jsonl {"id","question","answer","answer_aliases","gold_doc_ids","answerable",
"history","meta"}. Gold ids are corpus ids, which become Document.source when ingested.

Every record is validated completely when the set is loaded (pydantic models of the layout
below), so a malformed set fails at once with its file, line and field, not after an hour of
answering.

Golden set: a .jsonl or .csv file with question, reference_answer, expected_sources (sources as
`kefu kb show` lists them, pipe-separated), answerable, history (JSON list of {role, content});
optionally id and answer_aliases (JSON AND-of-OR groups). Its documents are a folder of files
(--corpus, or a `corpus/` folder beside the file), or an existing knowledge base (--kb).
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from ingest.errors import InvalidInput

ModelT = TypeVar("ModelT", bound=BaseModel)
GOLDEN_SUFFIXES = (".jsonl", ".csv")


class DatasetError(InvalidInput, ValueError):
    """A data set that cannot be read; the message says which file and line."""


# --- the layout's records, validated on load -------------------------------------------------


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: StrictStr


class CorpusRecord(BaseModel):
    """A line of corpus.jsonl; fields beyond id/title/text are kept as the document's extra."""

    model_config = ConfigDict(extra="allow")

    id: StrictStr | StrictInt
    title: StrictStr | None = None
    text: StrictStr = Field(min_length=1)


class QuestionRecord(BaseModel):
    """A line of questions.jsonl. Unknown fields are errors: a misspelt field name would
    otherwise be dropped silently."""

    model_config = ConfigDict(extra="forbid")

    id: StrictStr | StrictInt
    question: StrictStr = Field(min_length=1)
    answer: StrictStr | None = None
    answer_aliases: list[list[StrictStr]] | None = None
    gold_doc_ids: list[StrictStr | StrictInt] | None = None
    answerable: StrictBool = True
    history: list[HistoryTurn] | None = None
    scenario: StrictStr | None = None
    meta: dict[str, Any] | None = None


def validated(model: type[ModelT], row: Any, where: str) -> ModelT:
    """The row as `model`, or a DatasetError naming the place and every bad field."""
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {type(row).__name__}")
    try:
        return model.model_validate(row)
    except ValidationError as exc:
        problems = "; ".join(
            f"field {'.'.join(str(part) for part in error['loc']) or '(record)'}: {error['msg']}"
            + ("" if error["type"] in ("missing", "extra_forbidden") else f" (got {error['input']!r:.80})")
            for error in exc.errors()
        )
        raise DatasetError(f"{where}: {problems}") from exc


@dataclass
class CorpusDoc:
    id: str
    title: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvalItem:
    id: str
    question: str
    answer: str  # reference answer (a refusal sentence for unanswerable questions)
    aliases: list[list[str]]  # AND-of-OR groups for alias match; [] = free-text answer
    gold_doc_ids: list[str]
    answerable: bool
    history: list[dict[str, str]] = field(default_factory=list)
    scenario: str = ""  # or_sharc: the user's situation, said before the question
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        """What the customer types: the situation (if any) followed by the question."""
        return f"{self.scenario.strip()} {self.question}" if self.scenario.strip() else self.question


@dataclass
class EvalDataset:
    name: str
    path: Path
    items: list[EvalItem]
    corpus: list[CorpusDoc] = field(default_factory=list)
    # A folder of document files (golden sets); None when the corpus is inline or an existing KB.
    corpus_dir: Path | None = None
    content_hash: str = ""  # of the corpus and all questions: identifies the data set version

    @property
    def corpus_hash(self) -> str:
        """Identifies the documents alone: the cache key of the knowledge base built from them."""
        digest = hashlib.sha256()
        for doc in self.corpus:
            digest.update(json.dumps([doc.id, doc.title, doc.text], ensure_ascii=False).encode())
        if self.corpus_dir is not None:
            for file in sorted(p for p in self.corpus_dir.rglob("*") if p.is_file()):
                digest.update(file.relative_to(self.corpus_dir).as_posix().encode())
                digest.update(hashlib.sha256(file.read_bytes()).digest())
        return digest.hexdigest()


def _read_jsonl(path: Path) -> list[tuple[int, Any]]:
    """(line number, parsed JSON) of every non-empty line."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number}: invalid JSON: {exc.msg}") from exc
    return rows


def _hash_files(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        if path.is_file():
            digest.update(path.read_bytes())
        elif path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                digest.update(file.relative_to(path).as_posix().encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def item_from_record(record: QuestionRecord) -> EvalItem:
    return EvalItem(
        id=str(record.id),
        question=record.question,
        answer=record.answer or "",
        aliases=[list(group) for group in record.answer_aliases or []],
        gold_doc_ids=[str(d) for d in record.gold_doc_ids or []],
        answerable=record.answerable,
        history=[turn.model_dump() for turn in record.history or []],
        scenario=record.scenario or "",
        meta=dict(record.meta or {}),
    )


def read_questions(questions_file: Path) -> list[EvalItem]:
    """Every line of a questions.jsonl validated (QuestionRecord), ids unique."""
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for number, row in _read_jsonl(questions_file):
        item = item_from_record(validated(QuestionRecord, row, f"{questions_file}:{number}"))
        if item.id in seen:
            raise DatasetError(
                f"{questions_file}:{number}: id {item.id!r} already used on line {seen[item.id]}"
            )
        seen[item.id] = number
        items.append(item)
    return items


def check_gold_ids(items: list[EvalItem], known: set[str], where: Path) -> None:
    for item in items:
        unknown = [d for d in item.gold_doc_ids if d not in known]
        if unknown:
            raise DatasetError(f"{where}: question {item.id} cites unknown documents {unknown}")


def load_layout(folder: Path) -> EvalDataset:
    corpus_file, questions_file = folder / "corpus.jsonl", folder / "questions.jsonl"
    if not corpus_file.exists():
        raise DatasetError(f"{folder} has no corpus.jsonl")
    corpus = []
    for number, row in _read_jsonl(corpus_file):
        record = validated(CorpusRecord, row, f"{corpus_file}:{number}")
        corpus.append(
            CorpusDoc(str(record.id), record.title or "", record.text, dict(record.model_extra or {}))
        )
    items = read_questions(questions_file)
    check_gold_ids(items, {doc.id for doc in corpus}, questions_file)
    return EvalDataset(
        name=folder.resolve().name,
        path=folder,
        items=items,
        corpus=corpus,
        content_hash=_hash_files(corpus_file, questions_file),
    )


def _parse_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "1", "true", "yes", "y"):  # empty = answerable, the common case
        return True
    if text in ("0", "false", "no", "n"):
        return False
    raise DatasetError(f"{where}: answerable must be true/false, not {value!r}")


def _parse_json_field(value: Any, where: str, name: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if value is None or str(value).strip() == "":
        return []
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: {name} is not valid JSON: {exc.msg}") from exc
    if not isinstance(parsed, list):
        raise DatasetError(f"{where}: {name} must be a JSON list")
    return parsed


def _golden_item(row: dict[str, Any], number: int, where: str) -> EvalItem:
    """A golden-set row (CSV cells or JSON values) as the layout's QuestionRecord, validated."""
    question = row.get("question")
    sources = row.get("expected_sources") or []
    if isinstance(sources, str):
        sources = [s.strip() for s in sources.split("|") if s.strip()]
    record = {
        "id": row.get("id") or f"golden-{number}",
        "question": question.strip() if isinstance(question, str) else question,
        "answer": row.get("reference_answer") or None,
        "answer_aliases": _parse_json_field(row.get("answer_aliases"), where, "answer_aliases"),
        "gold_doc_ids": sources,
        "answerable": _parse_bool(row.get("answerable", True), where),
        "history": _parse_json_field(row.get("history"), where, "history"),
    }
    return item_from_record(validated(QuestionRecord, record, where))


def load_golden(path: Path, *, corpus_dir: Path | None = None) -> EvalDataset:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        numbered = [(n + 1, row) for n, row in enumerate(rows, 1)]  # after the header line
    else:
        numbered = _read_jsonl(path)
    items = []
    for n, (line, row) in enumerate(numbered, 1):
        if not isinstance(row, dict):
            raise DatasetError(f"{path}:{line}: expected a JSON object, got {type(row).__name__}")
        items.append(_golden_item(row, n, f"{path}:{line}"))
    if corpus_dir is None and (path.parent / "corpus").is_dir():
        corpus_dir = path.parent / "corpus"
    if corpus_dir is not None and not corpus_dir.is_dir():
        raise DatasetError(f"corpus folder {corpus_dir} does not exist")
    hashed = [path] + ([corpus_dir] if corpus_dir else [])
    return EvalDataset(
        name=path.stem, path=path, items=items, corpus_dir=corpus_dir, content_hash=_hash_files(*hashed)
    )
