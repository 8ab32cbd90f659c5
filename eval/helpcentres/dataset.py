"""The help-centre benchmark as an eval data set: `helpcentres` (all eight centres in one
knowledge base) or `helpcentres/<centre>`, optionally one split (`tune` or `heldout`).

Questions: data/questions/<centre>.jsonl, the shared layout (eval.dataset_layout.QuestionRecord) whose
meta is validated as HelpCentreMeta:

  centre        carrier | shop | saas | courier | airline | hotel | rail | utility
  type          plain | paraphrase | crosslang | followup | table | edition | twopage |
                nearmiss | offtopic
  lang          the question's language, en | zh
  key_facts     the facts a right answer states (numbers with units, dates, names, yes/no);
                wrong-fact scoring compares answers with them (eval.answer_scores)
  gold_passages the lines of the gold documents that hold the answer (irrelevant-sentence
                scoring)

gold_doc_ids are document sources as a knowledge base built from the benchmark's files knows
them: "<centre>/en/plans.md". Any one of them is a retrieval hit; a two-page question lists the
documents of both pages (every language version of each).

Split: within each (centre, type) stratum, questions ordered by the SHA-256 of their id are
dealt alternately to tune and heldout, so both halves have every type of every centre and the
split never depends on answers.
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from eval.dataset_layout import DatasetError, EvalDataset, EvalItem, check_gold_ids, read_questions, validated
from eval.facts import key_fact
from ingest.parsing.frontmatter import split_front_matter
from ingest.parsing.table_text import render_row
from eval.helpcentres.build import (
    CENTRES,
    DATA_DIR,
    build_centre,
    centre_dir,
    document_ids,
    output_name,
    source_files,
)

NAME = "helpcentres"
QUESTIONS_DIR = DATA_DIR / "questions"
QUESTION_TYPES = (
    "plain",
    "paraphrase",
    "crosslang",
    "followup",
    "table",
    "edition",
    "twopage",
    "nearmiss",
    "offtopic",
)
UNANSWERABLE_TYPES = ("nearmiss", "offtopic")
SPLITS = ("tune", "heldout")
Split = Literal["tune", "heldout"]


class HelpCentreMeta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    centre: Literal["carrier", "shop", "saas", "courier", "airline", "hotel", "rail", "utility"]
    type: Literal[
        "plain", "paraphrase", "crosslang", "followup", "table", "edition", "twopage", "nearmiss", "offtopic"
    ]
    lang: Literal["en", "zh"]
    key_facts: list[StrictStr] = Field(default_factory=list)
    gold_passages: list[StrictStr] = Field(default_factory=list)


def is_helpcentre_name(name: str) -> bool:
    return name == NAME or (name.startswith(f"{NAME}/") and name.split("/", 1)[1] in CENTRES)


def parse_name(name: str) -> tuple[str, ...]:
    """The centres a data-set name stands for."""
    if name == NAME:
        return CENTRES
    centre = name.split("/", 1)[1] if "/" in name else ""
    if centre not in CENTRES:
        raise DatasetError(f"unknown help centre {centre!r}; known: {', '.join(CENTRES)}")
    return (centre,)


def sources_hash(centres: tuple[str, ...]) -> str:
    """Identifies the centres' document sources (the built files follow from them)."""
    digest = hashlib.sha256()
    for centre in centres:
        root = centre_dir(centre)
        for path in source_files(centre):
            digest.update(f"{centre}/{path.relative_to(root).as_posix()}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def validate_items(items: list[EvalItem], centre: str, where: Path) -> None:
    """Each question's meta is a HelpCentreMeta of this centre; answerable questions have gold
    documents, aliases and passages; unanswerable ones have none."""
    for item in items:
        meta = validated(HelpCentreMeta, item.meta, f"{where}: question {item.id}: meta")
        if meta.centre != centre:
            raise DatasetError(f"{where}: question {item.id} belongs to {meta.centre}, not {centre}")
        unanswerable = meta.type in UNANSWERABLE_TYPES
        if unanswerable == item.answerable:
            raise DatasetError(
                f"{where}: question {item.id}: type {meta.type} but answerable={item.answerable}"
            )
        if item.answerable and not (item.gold_doc_ids and item.aliases and meta.gold_passages):
            raise DatasetError(
                f"{where}: question {item.id} needs gold_doc_ids, answer_aliases and gold_passages"
            )
        if meta.type == "followup" and not item.history:
            raise DatasetError(f"{where}: follow-up question {item.id} has no history")


def split_of(items: list[EvalItem]) -> dict[str, Split]:
    """Question id -> tune or heldout (see the module docstring)."""
    strata: dict[tuple[str, str], list[EvalItem]] = {}
    for item in items:
        strata.setdefault((item.meta["centre"], item.meta["type"]), []).append(item)
    result: dict[str, Split] = {}
    for members in strata.values():
        ordered = sorted(members, key=lambda i: hashlib.sha256(i.id.encode()).hexdigest())
        for n, item in enumerate(ordered):
            result[item.id] = "tune" if n % 2 == 0 else "heldout"
    return result


def name_vocabulary(items: list[EvalItem]) -> list[str]:
    """The centre's names: key facts that are neither quantities nor yes/no."""
    names = {
        fact for item in items for fact in item.meta.get("key_facts", []) if key_fact(fact).kind == "name"
    }
    return sorted(names)


def load_questions(centre: str) -> list[EvalItem]:
    path = QUESTIONS_DIR / f"{centre}.jsonl"
    if not path.exists():
        raise DatasetError(f"no questions for help centre {centre} at {path}")
    items = read_questions(path)
    validate_items(items, centre, path)
    check_gold_ids(items, {f"{centre}/{doc}" for doc in document_ids(centre)}, path)
    names = name_vocabulary(items)
    for item in items:
        item.meta["names"] = names
    return items


def build_dir() -> Path:
    from ingest.config import get_settings

    return get_settings().data_dir / "helpcentres"


def load_helpcentres(
    name: str = NAME, *, split: str | None = None, out_dir: Path | None = None
) -> EvalDataset:
    """The named benchmark set with its document files built (once per source version) under
    out_dir (default <KEFU_DATA_DIR>/helpcentres/<hash>)."""
    if split is not None and split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; the help-centre benchmark has {', '.join(SPLITS)}")
    centres = parse_name(name)
    items: list[EvalItem] = []
    for centre in centres:
        items.extend(load_questions(centre))
    splits = split_of(items)
    for item in items:
        item.meta["split"] = splits[item.id]
    if split is not None:
        items = [item for item in items if splits[item.id] == split]
    digest = sources_hash(centres)
    corpus_dir = (out_dir or build_dir()) / f"{'-'.join(centres)}-{digest[:12]}"
    if not corpus_dir.is_dir():
        staging = corpus_dir.with_name(corpus_dir.name + ".building")
        for centre in centres:
            build_centre(centre, staging)
        staging.rename(corpus_dir)
    questions = b"".join((QUESTIONS_DIR / f"{c}.jsonl").read_bytes() for c in centres)
    label = name if split is None else f"{name}:{split}"
    return EvalDataset(
        name=label,
        path=QUESTIONS_DIR,
        items=items,
        corpus_dir=corpus_dir,
        content_hash=hashlib.sha256(digest.encode() + questions).hexdigest(),
    )


# --- the documents' text as written, for deriving and checking gold passages ----------------

_TAG = re.compile(r"<[^>]+>")
_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S)
_CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def _html_lines(text: str) -> list[str]:
    lines: list[str] = []
    for table in re.findall(r"<table.*?</table>", text, re.S):
        rows = [[_text(cell) for cell in _CELL.findall(row)] for row in _ROW.findall(table)]
        lines += [render_row(rows[0], row) for row in rows[1:]]
    body = re.sub(r"<table.*?</table>|<head>.*?</head>", "\n", text, flags=re.S)
    body = re.sub(r"</(?:p|h\d|li|div)>", "\n", body)
    return [_text(line) for line in body.splitlines() if _text(line)] + lines


def _text_lines(text: str, *, csv_file: bool) -> list[str]:
    lines: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        lines.extend(render_row(table[0], row) for row in table[1:])
        table.clear()

    raw_lines = text.splitlines()
    if csv_file:
        table.extend(csv.reader(raw_lines))
        flush()
        return lines
    for raw in raw_lines:
        line = raw.strip()
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if not all(set(cell) <= set("-: ") for cell in cells):  # Markdown's |---| line
                table.append(cells)
            continue
        flush()
        line = line.lstrip("#").strip()
        if line and line != "---":
            lines.append(line)
    flush()
    return lines


def source_lines(centre: str, doc_id: str) -> list[str]:
    """The text lines of one document's source ("en/plans.md"): paragraphs and headings as
    lines, a table row rendered as ingest renders it ("Header: value; Header: value"), front
    matter and markup left out; an FAQ sheet's rows as "question answer similar"."""
    root = centre_dir(centre)
    for path in source_files(centre):
        if (path.relative_to(root).parent / output_name(path)).as_posix() != doc_id:
            continue
        text = path.read_text(encoding="utf-8")
        if path.name.endswith(".html"):
            return _html_lines(text)
        if path.name.endswith(".xlsx.csv"):
            return [" ".join(row) for row in list(csv.reader(text.splitlines()))[1:]]
        if path.suffix == ".md":
            text = split_front_matter(text)[1]
        return _text_lines(text, csv_file=path.name.endswith(".csv"))
    raise DatasetError(f"help centre {centre} has no document {doc_id}")
