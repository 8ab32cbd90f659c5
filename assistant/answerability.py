"""Decide: is there enough evidence in the retrieved passages to answer, or should we refuse?

Retrieval scores alone barely separate answerable from unanswerable questions (top-1 AUROC 0.51
BM25, 0.62 dense cosine, measured on cmrc2018): an unanswerable question still retrieves an
on-topic passage. What separates them is whether the passages contain what the question asks
about, above all its rare terms (names, products, numbers). So the judge computes a few general,
language-neutral features and combines them with a logistic regression:

  coverage           share of the question's terms (IDF-weighted) found in the best of the top
                     passages (title + headings + text)
  sentence_coverage  the same for the best single sentence of those passages: evidence that the
                     question's terms occur together, not spread over a long passage
  missing_rare       IDF of the rarest question term found in none of the top passages, over the
                     largest possible IDF (1 = a term the knowledge base has never seen)
  dense_top          the best dense cosine among the passages
  faq_match          the best FAQ question match (Dice overlap with the question; 0 without FAQ)

Terms are assistant.retrieval.text.terms (jieba words + character bigrams for Chinese, stemmed
words for English). IDF comes from the knowledge base's BM25 index (RetrievalResult.query_terms);
without it every term weighs the same. The parameters are fitted by
`python -m eval.bench_retrieval --fit-answerability` and stored in answerability_params.json;
KEFU_ANSWERABILITY_PARAMS points at another file. Embedding the passages' sentences for a
semantic sentence score was measured too slow for the request path (see that command's output).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.retrieval.config import RetrievalSettings, get_retrieval_settings
from assistant.retrieval.text import sentences, terms
from assistant.types import Passage

DEFAULT_PARAMS_PATH = Path(__file__).with_name("answerability_params.json")
FEATURES = ("coverage", "sentence_coverage", "missing_rare", "dense_top", "faq_match")
TOP_PASSAGES = 3  # evidence is looked for in the best few passages, as the answer step uses them


class AnswerabilityParamsError(ValueError):
    pass


@dataclass
class Evidence:
    features: dict[str, float]
    missing_terms: list[str]  # question words found in no top passage, rarest first


@dataclass
class Verdict:
    answerable: bool
    probability: float  # P(answerable) from the fitted model
    features: dict[str, float]
    reason: str


@dataclass
class AnswerabilityParams:
    features: list[str]
    weights: list[float]  # on standardised features
    bias: float
    mean: list[float]
    scale: list[float]
    threshold: float = 0.5  # answer when P(answerable) >= threshold
    fitted_on: dict[str, Any] = field(default_factory=dict)  # provenance: sets, sizes, metrics

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def load(cls, path: Path) -> AnswerabilityParams:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            params = cls(**data)
        except (OSError, json.JSONDecodeError, TypeError) as exc:
            raise AnswerabilityParamsError(f"cannot read answerability parameters from {path}: {exc}") from exc
        unknown = set(params.features) - set(FEATURES)
        if unknown or not len(params.features) == len(params.weights) == len(params.mean) == len(params.scale):
            raise AnswerabilityParamsError(
                f"{path}: features {sorted(unknown)} unknown or feature/weight lists differ in length"
            )
        return params

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.bias
        for name, weight, mean, scale in zip(self.features, self.weights, self.mean, self.scale, strict=True):
            # A feature that cannot be computed (no dense score) counts as average: it says nothing.
            value = features.get(name, mean)
            z += weight * (value - mean) / scale
        return 1.0 / (1.0 + math.exp(-z))


def _weighted_coverage(question: Mapping[str, float], found: set[str]) -> float:
    total = sum(question.values())
    return sum(w for t, w in question.items() if t in found) / total if total else 0.0


@dataclass
class _PassageTerms:
    all: set[str]  # title + headings + text
    sentences: list[set[str]]  # each sentence's terms plus the title and headings


def _passage_terms(passage: Passage) -> _PassageTerms:
    header = set(terms("\n".join([passage.title, *passage.heading_path])))
    return _PassageTerms(
        all=header | set(terms(passage.text)),
        sentences=[header | set(terms(s)) for s in sentences(passage.text)],
    )


def _coverage_features(
    question_terms: set[str], passages: list[_PassageTerms], weights: Mapping[str, float], highest: float
) -> tuple[dict[str, float], list[str]]:
    weighted = {t: weights.get(t, 1.0) for t in question_terms}
    found = set().union(*(p.all for p in passages)) & question_terms
    missing = sorted(question_terms - found, key=lambda t: -weighted[t])
    features = {
        "coverage": max((_weighted_coverage(weighted, p.all) for p in passages), default=0.0),
        "sentence_coverage": max(
            (_weighted_coverage(weighted, s) for p in passages for s in p.sentences), default=0.0
        ),
        "missing_rare": weighted[missing[0]] / highest if missing and highest > 0 else 0.0,
    }
    return features, missing


def evidence(
    question: str, passages: Sequence[Passage], term_weights: Mapping[str, float] | None = None
) -> Evidence:
    """The features of (question, top passages); term_weights maps a term to its IDF in the KB.

    A message may put context before its question ("I work part-time. Am I entitled to ...?"):
    the coverage features are those of its best-covered sentence, so context the knowledge base
    cannot contain does not count against it."""
    weights = term_weights or {}
    highest = max(weights.values(), default=1.0)
    top = [_passage_terms(p) for p in passages[:TOP_PASSAGES]]
    best: tuple[dict[str, float], list[str]] | None = None
    for part in sentences(question) or [question]:
        part_terms = set(terms(part))
        if not part_terms:
            continue
        candidate = _coverage_features(part_terms, top, weights, highest)
        if best is None or candidate[0]["coverage"] > best[0]["coverage"]:
            best = candidate
    features, missing = best if best is not None else ({"coverage": 0.0, "sentence_coverage": 0.0, "missing_rare": 0.0}, [])
    features["faq_match"] = max((p.scores.get("faq", 0.0) for p in passages[:TOP_PASSAGES]), default=0.0)
    dense = [p.scores["dense"] for p in passages[:TOP_PASSAGES] if "dense" in p.scores]
    if dense:
        features["dense_top"] = max(dense)
    return Evidence(features, [t for t in missing if not t.startswith("#")])


def load_params(retrieval: RetrievalSettings | None = None) -> AnswerabilityParams:
    path = (retrieval or get_retrieval_settings()).answerability_params or DEFAULT_PARAMS_PATH
    return AnswerabilityParams.load(path)


class AnswerabilityJudge:
    def __init__(self, params: AnswerabilityParams | None = None) -> None:
        self.params = params or load_params()

    def run(
        self, question: str, passages: Sequence[Passage], *, term_weights: Mapping[str, float] | None = None
    ) -> Verdict:
        if not passages:
            return Verdict(False, 0.0, {}, "nothing was retrieved")
        found = evidence(question, passages, term_weights)
        probability = self.params.probability(found.features)
        answerable = probability >= self.params.threshold
        coverage = found.features["coverage"]
        if answerable:
            reason = f"the passages cover {coverage:.0%} of the question's key terms"
        elif found.missing_terms:
            reason = (
                f"the passages cover {coverage:.0%} of the question's key terms; not found: "
                + ", ".join(found.missing_terms[:3])
            )
        else:
            reason = f"the passages cover {coverage:.0%} of the question's key terms"
        return Verdict(answerable, probability, found.features, reason)


def fit(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[bool],
    *,
    features: Sequence[str] = FEATURES,
    l2: float = 1.0,
    iterations: int = 50,
) -> AnswerabilityParams:
    """Class-balanced, L2-regularised logistic regression (Newton's method, numpy only).

    Balanced: each class weighs half in total, so a dev mix that is mostly answerable does not
    teach "always answer". A missing feature is filled with that feature's mean."""
    if len(rows) != len(labels) or not rows:
        raise ValueError("need as many labels as feature rows, and at least one row")
    y = np.asarray(labels, dtype=float)
    if y.min() == y.max():
        raise ValueError("need both answerable and unanswerable examples")
    raw = np.array([[row.get(f, np.nan) for f in features] for row in rows], dtype=float)
    mean = np.nanmean(raw, axis=0)
    raw = np.where(np.isnan(raw), mean, raw)
    scale = raw.std(axis=0)
    scale[scale == 0] = 1.0
    x = np.hstack([(raw - mean) / scale, np.ones((len(rows), 1))])
    sample_weight = np.where(y == 1, 0.5 / y.sum(), 0.5 / (1 - y).sum()) * len(y)
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    theta = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-x @ theta))
        gradient = x.T @ (sample_weight * (p - y)) + penalty * theta
        hessian = (x * (sample_weight * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return AnswerabilityParams(
        features=list(features),
        weights=[round(float(w), 6) for w in theta[:-1]],
        bias=round(float(theta[-1]), 6),
        mean=[round(float(m), 6) for m in mean],
        scale=[round(float(s), 6) for s in scale],
    )
