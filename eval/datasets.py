"""Evaluation data sets by name or path, and the samples an eval run takes of them.

A name is a folder inside the data sets folder (KEFU_DATASETS) in the shared layout, a golden set
file, or a built-in set (`helpcentres`, `helpcentres/<centre>`: eval.helpcentres). The file
layouts and their validation are in eval.dataset_layout.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Literal

from ingest.config import get_settings
from eval.dataset_layout import (
    GOLDEN_SUFFIXES,
    CorpusDoc,
    DatasetError,
    EvalDataset,
    EvalItem,
    load_golden,
    load_layout,
)
from eval.helpcentres.dataset import CENTRES, NAME, is_helpcentre_name, load_helpcentres
from ingest.errors import NotFound

__all__ = [
    "CorpusDoc",
    "DatasetError",
    "DatasetNotFound",
    "EvalDataset",
    "EvalItem",
    "available",
    "load",
    "load_layout",
    "resolve",
    "select",
]

Only = Literal["answerable", "unanswerable"]


def datasets_dir() -> Path:
    return get_settings().eval.datasets_dir


class DatasetNotFound(NotFound, DatasetError, LookupError):
    pass


def available() -> list[str]:
    """Names a data set can be given by: layout folders and golden-set files in the data sets
    folder, then the built-in sets."""
    folder = datasets_dir()
    named = (
        sorted(
            entry.name
            for entry in folder.iterdir()
            if (entry.is_dir() and (entry / "questions.jsonl").is_file())
            or (entry.is_file() and entry.suffix.lower() in GOLDEN_SUFFIXES)
        )
        if folder.is_dir()
        else []
    )
    return [*named, NAME, *(f"{NAME}/{centre}" for centre in CENTRES)]


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
        f"existing: {', '.join(available())}"
    )


def load(
    path_or_name: str | Path, *, corpus_dir: Path | None = None, split: str | None = None
) -> EvalDataset:
    """A data set by path or name. Built in: `helpcentres` and `helpcentres/<centre>`, the
    help-centre benchmark (eval.helpcentres), whose `split` is tune or heldout and whose
    document files are built into `corpus_dir` (default: in the kefu data folder). Other sets
    take a split only when their questions name one in meta.split."""
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
        raise DatasetError(
            f"{path}: expected a data-set folder or a golden set ({', '.join(GOLDEN_SUFFIXES)})"
        )
    if split is not None:
        named = {str(item.meta.get("split")) for item in dataset.items if item.meta.get("split") is not None}
        if split not in named:
            raise DatasetError(
                f"{path} has no split {split!r} (its questions' meta.split: {sorted(named) or 'none'})"
            )
        dataset.items = [item for item in dataset.items if item.meta.get("split") == split]
    return dataset


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
