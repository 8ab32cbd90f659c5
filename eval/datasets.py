"""Evaluation data sets: the shared JSONL layout and hand-written golden sets.

Shared layout (../shared/datasets/README.md): a folder with corpus.jsonl {"id","title","text",...}
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
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from eval.config import get_eval_settings

Only = Literal["answerable", "unanswerable"]
ModelT = TypeVar("ModelT", bound=BaseModel)
GOLDEN_SUFFIXES = (".jsonl", ".csv")


class DatasetError(ValueError):
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


def datasets_dir() -> Path:
    return get_eval_settings().datasets_dir


def resolve(path_or_name: str | Path) -> Path:
    """An existing path as given, else a data-set name inside the data sets folder."""
    path = Path(path_or_name)
    if path.exists():
        return path
    candidate = datasets_dir() / path
    if candidate.exists():
        return candidate
    raise DatasetError(f"no data set at {path} nor {candidate}")


def load(path_or_name: str | Path, *, corpus_dir: Path | None = None, split: str | None = None) -> EvalDataset:
    """A data set by path or name. Built in: `helpcentres` and `helpcentres/<centre>`, the
    help-centre benchmark (eval.helpcentres), whose `split` is tune or heldout and whose
    document files are built into `corpus_dir` (default: in the kefu data folder). Other sets
    take a split only when their questions name one in meta.split."""
    from eval.helpcentres.dataset import is_helpcentre_name, load_helpcentres

    if isinstance(path_or_name, str) and is_helpcentre_name(path_or_name) and not Path(path_or_name).exists():
        return load_helpcentres(path_or_name, split=split, out_dir=corpus_dir)
    path = resolve(path_or_name)
    if path.is_dir():
        if not (path / "questions.jsonl").exists():
            raise DatasetError(f"{path} has no questions.jsonl (expected the shared data-set layout)")
        dataset = load_layout(path)
    elif path.suffix.lower() in GOLDEN_SUFFIXES:
        dataset = load_golden(path, corpus_dir=corpus_dir)
    else:
        raise DatasetError(f"{path}: expected a data-set folder or a golden set ({', '.join(GOLDEN_SUFFIXES)})")
    if split is not None:
        named = {str(item.meta.get("split")) for item in dataset.items if item.meta.get("split") is not None}
        if split not in named:
            raise DatasetError(f"{path} has no split {split!r} (its questions' meta.split: {sorted(named) or 'none'})")
        dataset.items = [item for item in dataset.items if item.meta.get("split") == split]
    return dataset


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
            raise DatasetError(f"{questions_file}:{number}: id {item.id!r} already used on line {seen[item.id]}")
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
        corpus.append(CorpusDoc(str(record.id), record.title or "", record.text, dict(record.model_extra or {})))
    items = read_questions(questions_file)
    check_gold_ids(items, {doc.id for doc in corpus}, questions_file)
    return EvalDataset(
        name=folder.resolve().name, path=folder, items=items, corpus=corpus,
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


def stratum(item: EvalItem) -> tuple[bool, bool]:
    """What a sample keeps in proportion: answerable or not, single- or multi-turn."""
    return (item.answerable, bool(item.history))


def stratified_sample(items: list[EvalItem], size: int, seed: int) -> list[EvalItem]:
    """A seeded random sample of `size` items, kept in data-set order, with each stratum (see
    stratum()) in proportion to its share of `items` (largest remainders get the rounding), and
    every stratum present when `size` allows, so a small sample of a set with few unanswerable
    questions still measures refusal."""
    if size >= len(items):
        return list(items)
    groups: dict[tuple[bool, bool], list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(stratum(item), []).append(i)
    keys = sorted(groups)
    exact = {k: size * len(groups[k]) / len(items) for k in keys}
    quota = {k: int(exact[k]) for k in keys}
    if size >= len(keys):
        for k in keys:
            quota[k] = max(quota[k], 1)
    by_remainder = sorted(keys, key=lambda k: (exact[k] - int(exact[k]), len(groups[k])), reverse=True)
    while sum(quota.values()) < size:
        for k in by_remainder:
            if sum(quota.values()) < size and quota[k] < len(groups[k]):
                quota[k] += 1
    while sum(quota.values()) > size:  # the minimum of one per stratum overshot: take from the largest
        largest = max(keys, key=lambda k: quota[k])
        quota[largest] -= 1
    rng = random.Random(seed)
    picked = {i for k in keys for i in rng.sample(groups[k], quota[k])}
    return [item for i, item in enumerate(items) if i in picked]


def select(
    items: list[EvalItem],
    *,
    only: Only | None = None,
    sample: int | None = None,
    seed: int = 0,
    limit: int | None = None,
) -> list[EvalItem]:
    """Filter by answerability, then a seeded stratified sample (kept in data-set order, see
    stratified_sample), then the first `limit`."""
    chosen = items
    if only is not None:
        want = only == "answerable"
        chosen = [item for item in chosen if item.answerable == want]
    if sample is not None and sample < len(chosen):
        chosen = stratified_sample(chosen, sample, seed)
    if limit is not None:
        chosen = chosen[:limit]
    return chosen


def selection_hash(items: list[EvalItem]) -> str:
    """Identifies which questions a run answered, so only like-for-like runs are gated."""
    return hashlib.sha256("\n".join(item.id for item in items).encode()).hexdigest()
