"""Answer-level scores of one answer against its question's gold: correctness, wrong facts,
irrelevant sentences. Pure functions (eval.facts reads the facts); the definitions:

Correct (answerable questions): the answer is not a refusal and every alias group (AND of OR)
has an alias the answer mentions, as eval.text.contains or, for an alias that is only numbers
with units, as the same quantities in any language or unit ("三十天" for "30 days").

Wrong fact (answerable questions the system answered): the answer states at least one of
  1. a quantity, date, time of day or year (eval.facts.quantities) that is stated neither in the
     gold documents (the answer's source of truth: the question's gold_doc_ids) nor in the
     question or its history ("absent from the gold passage");
  2. for a dimension of the question's key facts (HKD, duration, percent, date, ...): quantities
     of that dimension, none of them a key fact of that dimension (a per-minute price where the
     one-off fee was asked, last year's number);
  3. the opposite of a yes/no key fact: the answer's first sentence that is not a question says
     the opposite (eval.facts.polarity: a leading yes/no word, else a negation means "no"; a
     plain statement says neither, so "SSO is in the Business plan" to "Does Team have SSO?"
     is not counted);
  4. a name of the help centre's vocabulary (the name key facts of all its questions) that no
     gold document, question or history turn contains.
A bare number in a gold text supports the same number with a unit ("Fee (HK$): 58" supports
"HK$58"), and a bare number in the answer is supported by the same value with any unit.
Citation markers ([1]) are not numbers.

Irrelevant sentence: the answer (citation markers removed) is split into sentences at . ! ? 。
！？ ； and line ends; a sentence without a letter or Chinese character is not counted, nor is a
lead-in that ends with a colon ("According to our help centre:", "根据帮助中心的资料："). A counted
sentence is relevant when it mentions an alias or key fact of the question, or when it states no
quantity (eval.facts) other than the key facts and those of the question, and at least half of
its content tokens (English
words without stop words, Chinese character bigrams, numbers) occur in the question, the last
user turn of the history or the gold passages. Every other sentence is irrelevant, and so is a
sentence repeating an earlier one (same normalised text). The irrelevant-sentence rate of a set
of answers is irrelevant sentences / counted sentences, pooled over the answered answerable
questions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from eval.facts import (
    KeyFact,
    Quantity,
    compatible,
    contains_quantity,
    key_fact,
    mentions,
    normalised_sentence,
    polarity,
    quantities,
    strip_citations,
    yes_no_value,
)
from eval.text import contains, normalize
from ingest.text import CJK_CLASS

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？；;])|\n+")
_HAS_WORD = re.compile(f"[A-Za-z{CJK_CLASS}]")
_EN_TOKEN = re.compile(r"[a-z][a-z0-9'-]*|\d+(?:\.\d+)?")
_CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
_STOP = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its "
    "this that these those there here i you your we our us they them he she his her my me do does "
    "did can could will would shall should may might must have has had not no yes so than then "
    "what which who whom when where why how all any each some such only also just about into over "
    "after before up down out per more most much many very own same other please".split()
)
RELEVANT_OVERLAP = 0.5


def split_sentences(answer: str) -> list[str]:
    """The counted sentences of an answer (see the module docstring)."""
    text = strip_citations(answer)
    parts = [part.strip() for part in _SENTENCE_END.split(text)]
    return [part for part in parts if part and _HAS_WORD.search(part) and not part.endswith((":", "："))]


def content_tokens(text: str) -> set[str]:
    """English content words (lower case, a plural s dropped), numbers, and Chinese bigrams
    (a lone Chinese character as itself)."""
    text = normalize(strip_citations(text))
    tokens: set[str] = set()
    for word in _EN_TOKEN.findall(text):
        if word in _STOP or len(word) < 2 and not word.isdigit():
            continue
        tokens.add(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    for run in _CJK_RUN.findall(text.replace(" ", "")):
        if len(run) == 1:
            tokens.add(run)
        else:
            tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


@dataclass
class AnswerGold:
    """What an answer is checked against: from the question record (eval.helpcentres.dataset)
    and the gold documents' text."""

    question: str
    aliases: list[list[str]]
    key_facts: list[str]
    gold_texts: list[str]  # the gold documents
    gold_passages: list[str] = field(default_factory=list)  # the parts of them that answer
    history: list[dict[str, str]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # the help centre's name vocabulary


@dataclass
class AnswerCheck:
    correct: bool
    wrong_facts: list[str]
    sentences: int
    irrelevant: list[str]

    @property
    def wrong_fact(self) -> bool:
        return bool(self.wrong_facts)


def alias_correct(answer: str, aliases: Sequence[Sequence[str]]) -> bool:
    """Every group has an alias the answer mentions (eval.facts.mentions: text or quantity)."""
    return bool(aliases) and all(any(mentions(answer, alias) for alias in group) for group in aliases)


def _asked(gold: AnswerGold) -> str:
    return " ".join([gold.question, *(turn["content"] for turn in gold.history)])


def wrong_facts(answer: str, gold: AnswerGold) -> list[str]:
    """The reasons the answer states a wrong fact (empty: none); rules 1-4 of the docstring."""
    reasons: list[str] = []
    stated = quantities(answer)
    support = [q for text in [*gold.gold_texts, _asked(gold)] for q in quantities(text)]
    for q in stated:
        if not contains_quantity(support, q):
            reasons.append(f"unsupported {q.dim} {q.text!r}")
    facts = [key_fact(text) for text in gold.key_facts]
    wanted: list[Quantity] = [q for fact in facts if fact.kind == "quantity" for q in fact.quantities]
    for dim in sorted({q.dim for q in wanted if q.dim not in ("number", "year")}):
        keys = [q for q in wanted if q.dim == dim]
        same_dim = [q for q in stated if q.dim != "number" and compatible(q.dim, dim)]
        if same_dim and not any(contains_quantity(same_dim, key) for key in keys):
            reasons.append(
                f"{dim} stated as {', '.join(repr(q.text) for q in same_dim)}, not {keys[0].text!r}"
            )
    sentences = split_sentences(answer)
    for fact in facts:
        if fact.kind == "yes_no" and sentences:
            # An answer quoting an FAQ entry starts with its question; the reply is what counts.
            first = next((s for s in sentences if not s.endswith(("?", "？"))), sentences[0])
            said = polarity(first)
            if said is not None and said != yes_no_value(fact):
                reasons.append(f"says {said!r} where the answer is {yes_no_value(fact)!r}")
    sources = " ".join([*gold.gold_texts, _asked(gold)])
    for name in gold.names:
        if contains(answer, name) and not contains(sources, name):
            reasons.append(f"names {name!r}, absent from the gold documents")
    return reasons


def _mentions_gold(sentence: str, gold: AnswerGold, facts: list[KeyFact]) -> bool:
    phrases = [alias for group in gold.aliases for alias in group]
    phrases += [fact.text for fact in facts if fact.kind != "yes_no"]
    return any(mentions(sentence, phrase) for phrase in phrases)


def irrelevant_sentences(answer: str, gold: AnswerGold) -> tuple[int, list[str]]:
    """(counted sentences, the irrelevant ones) per the module docstring."""
    facts = [key_fact(text) for text in gold.key_facts]
    keys = [q for fact in facts if fact.kind == "quantity" for q in fact.quantities] + quantities(
        _asked(gold)
    )
    last_user = next((t["content"] for t in reversed(gold.history) if t.get("role") == "user"), "")
    context = content_tokens(" ".join([gold.question, last_user, *gold.gold_passages]))
    sentences = split_sentences(answer)
    seen: set[str] = set()
    irrelevant = []
    for sentence in sentences:
        norm = normalised_sentence(sentence)
        repeated = norm in seen
        seen.add(norm)
        if repeated:
            irrelevant.append(sentence)
            continue
        if _mentions_gold(sentence, gold, facts):
            continue
        other_facts = [q for q in quantities(sentence) if not contains_quantity(keys, q)]
        tokens = content_tokens(sentence)
        overlap = len(tokens & context) / len(tokens) if tokens else 0.0
        if other_facts or overlap < RELEVANT_OVERLAP:
            irrelevant.append(sentence)
    return len(sentences), irrelevant


def check_answer(answer: str, gold: AnswerGold) -> AnswerCheck:
    """All answer-level scores of one given (not refused) answer to an answerable question."""
    count, irrelevant = irrelevant_sentences(answer, gold)
    return AnswerCheck(
        correct=alias_correct(answer, gold.aliases),
        wrong_facts=wrong_facts(answer, gold),
        sentences=count,
        irrelevant=irrelevant,
    )
