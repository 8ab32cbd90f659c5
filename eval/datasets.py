"""Evaluation data sets: the shared JSONL layout and hand-written golden sets.

Shared layout (../shared/datasets/README.md): a folder with corpus.jsonl {"id","title","text",...}
and questions.jsonl {"id","question","answer","answer_aliases","gold_doc_ids","answerable",
"history","meta"}. Gold ids are corpus ids, which become Document.source when ingested.

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
from typing import Any, Literal

from eval.config import get_eval_settings

Only = Literal["answerable", "unanswerable"]
GOLDEN_SUFFIXES = (".jsonl", ".csv")


class DatasetError(ValueError):
    """A data set that cannot be read; the message says which file and line."""


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


class DatasetNotFound(DatasetError, LookupError):
    pass


def available() -> list[str]:
    """Names of the data sets in the data sets folder: layout folders and golden-set files."""
    folder = datasets_dir()
    if not folder.is_dir():
        return []
    return sorted(
        entry.name for entry in folder.iterdir()
        if (entry.is_dir() and (entry / "questions.jsonl").is_file())
        or (entry.is_file() and entry.suffix.lower() in GOLDEN_SUFFIXES)
    )


def resolve(path_or_name: str | Path) -> Path:
    """An existing path as given, else a data-set name inside the data sets folder."""
    path = Path(path_or_name)
    if path.exists():
        return path
    candidate = datasets_dir() / path
    if candidate.exists():
        return candidate
    raise DatasetNotFound(
        f"no data set {str(path_or_name)!r} (neither a path nor a name in {datasets_dir()}); "
        f"existing: {', '.join(available()) or '(none)'}"
    )


def load(path_or_name: str | Path, *, corpus_dir: Path | None = None) -> EvalDataset:
    path = resolve(path_or_name)
    if path.is_dir():
        if not (path / "questions.jsonl").exists():
            raise DatasetError(f"{path} has no questions.jsonl (expected the shared data-set layout)")
        return load_layout(path)
    if path.suffix.lower() in GOLDEN_SUFFIXES:
        return load_golden(path, corpus_dir=corpus_dir)
    raise DatasetError(f"{path}: expected a data-set folder or a golden set ({', '.join(GOLDEN_SUFFIXES)})")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
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


def load_layout(folder: Path) -> EvalDataset:
    corpus_file, questions_file = folder / "corpus.jsonl", folder / "questions.jsonl"
    if not corpus_file.exists():
        raise DatasetError(f"{folder} has no corpus.jsonl")
    corpus = []
    for row in _read_jsonl(corpus_file):
        try:
            extra = {k: v for k, v in row.items() if k not in ("id", "title", "text")}
            corpus.append(CorpusDoc(str(row["id"]), row.get("title") or "", row["text"], extra))
        except KeyError as exc:
            raise DatasetError(f"{corpus_file}: document without {exc.args[0]!r}: {row}") from exc
    items = []
    for number, row in enumerate(_read_jsonl(questions_file), 1):
        try:
            items.append(
                EvalItem(
                    id=str(row["id"]),
                    question=row["question"],
                    answer=row.get("answer") or "",
                    aliases=[list(group) for group in row.get("answer_aliases") or []],
                    gold_doc_ids=[str(d) for d in row.get("gold_doc_ids") or []],
                    answerable=bool(row.get("answerable", True)),
                    history=list(row.get("history") or []),
                    scenario=row.get("scenario") or "",
                    meta=dict(row.get("meta") or {}),
                )
            )
        except KeyError as exc:
            raise DatasetError(f"{questions_file}:{number}: missing field {exc.args[0]!r}") from exc
    known = {doc.id for doc in corpus}
    for item in items:
        unknown = [d for d in item.gold_doc_ids if d not in known]
        if unknown:
            raise DatasetError(f"{questions_file}: question {item.id} cites unknown documents {unknown}")
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
    question = (row.get("question") or "").strip()
    if not question:
        raise DatasetError(f"{where}: empty question")
    sources = row.get("expected_sources") or ""
    if isinstance(sources, str):
        sources = [s.strip() for s in sources.split("|")]
    history = _parse_json_field(row.get("history"), where, "history")
    for turn in history:
        if not isinstance(turn, dict) or "role" not in turn or "content" not in turn:
            raise DatasetError(f"{where}: history turns must be {{role, content}} objects")
    return EvalItem(
        id=str(row.get("id") or f"golden-{number}"),
        question=question,
        answer=row.get("reference_answer") or "",
        aliases=[list(g) for g in _parse_json_field(row.get("answer_aliases"), where, "answer_aliases")],
        gold_doc_ids=[s for s in sources if s],
        answerable=_parse_bool(row.get("answerable", True), where),
        history=history,
    )


def load_golden(path: Path, *, corpus_dir: Path | None = None) -> EvalDataset:
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        first_line = 2  # after the header
    else:
        rows = _read_jsonl(path)
        first_line = 1
    items = [_golden_item(row, n, f"{path}:{n + first_line - 1}") for n, row in enumerate(rows, 1)]
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
