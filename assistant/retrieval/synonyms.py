"""Customer-service synonyms, so a paraphrase is not refused for sharing no word with its page.

Customers write what the help centre words differently: "my money back" for a refund, "my mobile
went missing" for a lost phone, "a charity" for a registered nonprofit, 积分 for loyalty points.
The answerability judge asks whether the passages hold the question's key words; embeddings alone
give such a paraphrase's answering sentence no higher similarity than a near miss finds (see
assistant.answerability), and CC-CEDICT (retrieval.lexicon) is a general dictionary without the
trade's words (床褥 mattress, 繁忙时段 peak hours).

synonyms.txt, shipped beside this module, holds groups of words and phrases, English and Chinese,
that mean one thing in a help centre. A question's key term counts as held by a text that writes
another member of a group the question writes it in. Groups are written for customer service in
general, not for one help centre (a deployment adds its trade's words by extending the file).
The groups were written from customer-service usage and first tried on the benchmark's tune half
and on questions written for that purpose; a knowledge base's own wording is not read from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from assistant.retrieval.text import key_terms, normalise, prefix_match, readings, stem
from ingest.text import CJK_RUN_RE

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")
MAX_CACHED_QUESTIONS = 256
PHRASE_CHARS = 3  # a Chinese member this long names a thing (免运费), not a predicate (收费)
_WORD_RE = re.compile(r"[a-z0-9]+")


def english_stems(normalised: str) -> tuple[str, ...]:
    """A text's English words, stemmed as key terms are (retrieval.text.stem), in order."""
    return tuple(stem(w) for w in _WORD_RE.findall(normalised))


# What the stemmer leaves of one word's forms: "charg" / "charge", "deliver" / "delivery",
# "cancel" / "cancellation". Not any longer word one begins: "free" is no "freeze", "help" no
# "helpdesk", "pass" no "passport", "under" no "undergraduate" (each had put a question's word in
# another group).
_WORD_ENDINGS = frozenset(
    "s es e y d ed ing er ers ly al ally ion ions ation ations ment ments ship ity ies ied".split()
)


def _same_stem(a: str, b: str) -> bool:
    if a == b:
        return True
    if not prefix_match(a, b):
        return False
    shorter, longer = sorted((a, b), key=len)
    return longer[len(shorter) :] in _WORD_ENDINGS


@dataclass(frozen=True)
class Member:
    text: str
    stems: tuple[str, ...]  # English: its words' stems, to be found in a row; Chinese: ()

    @cached_property
    def terms(self) -> frozenset[str]:
        """Its key terms (retrieval.text.key_terms), what it holds of a question. Read when first
        needed: cutting the Chinese members into words loads jieba's dictionary (0.6 s), which
        an English question's first answer should not wait for."""
        return frozenset(key_terms(self.text))

    @property
    def is_phrase(self) -> bool:
        """Two English words or more, or three Chinese characters or more."""
        return len(self.stems) >= 2 if self.stems else len(self.text) >= PHRASE_CHARS

    def written_in(self, text: Written) -> bool:
        if not self.stems:
            return any(self.text in reading for reading in text.readings)
        n = len(self.stems)
        words = text.stems
        return any(
            all(_same_stem(a, b) for a, b in zip(self.stems, words[i : i + n], strict=True))
            for i in range(len(words) - n + 1)
        )

    def held_terms(self, question_terms: Iterable[str]) -> set[str]:
        """The question's key terms this member (written in the question) accounts for."""
        if self.stems:
            return {t for t in question_terms if any(_same_stem(t, m) for m in self.terms)}
        # A Chinese word of the question is held when it lies in the member or holds it whole
        # (会员积分 holds 积分); a character bigram ("#积分") when it lies in the member.
        return {
            t
            for t in question_terms
            if (
                t[1:] in self.text
                if t.startswith("#")
                else bool(CJK_RUN_RE.fullmatch(t)) and (t in self.text or self.text in t)
            )
        }


@dataclass(frozen=True)
class Written:
    """A text as members are looked for in it."""

    readings: tuple[str, ...]  # normalised, and without figures inside Chinese words ("分3期": 分期)
    stems: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Written:
        normalised = normalise(text)
        return cls(readings(normalised), english_stems(normalised))


def _member(text: str) -> Member:
    text = normalise(text.strip())
    chinese = CJK_RUN_RE.search(text) is not None and not re.search(r"[a-z]{2}", text)
    return Member(text, () if chinese else english_stems(text))


@dataclass(frozen=True)
class _QuestionMembers:
    """What a question writes: (group, its members written) and (the narrower members of a cover
    written, the cover's broader members)."""

    groups: tuple[tuple[tuple[Member, ...], tuple[Member, ...]], ...]
    narrower: tuple[tuple[tuple[Member, ...], tuple[Member, ...]], ...]


@dataclass(frozen=True)
class SynonymGroups:
    groups: tuple[tuple[Member, ...], ...]
    # (narrower, broader): a text writing a broader member holds a question's narrower one, not
    # the other way round ("on Sunday" is held by "7 days a week, weekends included"; a question
    # on weekends is not answered by Sunday's hours).
    covers: tuple[tuple[tuple[Member, ...], tuple[Member, ...]], ...] = ()
    _asked: dict[str, _QuestionMembers] = field(default_factory=dict, compare=False, repr=False)

    def held(
        self, question: str, question_terms: Iterable[str], text: str, *, phrases_only: bool = False
    ) -> set[str]:
        """The question's key terms a text holds through a synonym: the question writes one
        member of a group, the text another. phrases_only: only through a phrase the question
        writes ("free shipping", 免运费), which names one thing where a single word ("tax") may
        only be a predicate's."""
        asked = self.written_in(question)
        if phrases_only:
            asked = tuple((g, w) for g, w in asked if any(m.is_phrase for m in w))
        narrower = () if phrases_only else self._read(question).narrower
        if not asked and not narrower:  # most questions write no member: the text need not be read
            return set()
        seen = Written.of(text)
        terms = list(question_terms)
        held: set[str] = set()
        for written, broader in narrower:
            if any(m.written_in(seen) for m in broader):
                for member in written:
                    held |= member.held_terms(terms)
        for group, written in asked:
            in_text = [m for m in group if m.written_in(seen)]
            if any(m not in written for m in in_text):
                for member in written:
                    held |= member.held_terms(terms)
                continue
            # The text writes only members the question writes too: an English phrase is held
            # by another member the text writes ("could you cut off the supply after the
            # disconnection notice?" over "we may disconnect"). Not a single word: "the monthly
            # fee and the one-off switching charge" ask two things, and a text's fee is not both.
            for member in written:
                if member.stems and member.is_phrase and any(m.stems and m != member for m in in_text):
                    held |= member.held_terms(terms)
            if any(not m.stems and m.written_in(seen) for m in written):
                # The text writes a Chinese member the question writes inside a word that is a
                # member itself: "可以分期付款吗？" (the word 分期付款) over "分3期免息付款" (分期).
                # Not a word merely holding one (分期付款 holds 付款 of paying, which it is not).
                held |= {t for t in terms if any(not m.stems and t == m.text for m in group)}
        return held

    def written_in(self, question: str) -> tuple[tuple[tuple[Member, ...], tuple[Member, ...]], ...]:
        """(group, its members the question writes) for each group the question writes a member of."""
        return self._read(question).groups

    def _read(self, question: str) -> _QuestionMembers:
        """The groups and covers a question writes members of."""
        # Read once per question: it is matched against every passage and sentence of its answer.
        if (cached := self._asked.get(question)) is not None:
            return cached
        asked = Written.of(question)
        groups = tuple((g, w) for g in self.groups if (w := tuple(m for m in g if m.written_in(asked))))
        narrower = tuple(
            (w, broad)
            for narrow, broad in self.covers
            if (w := tuple(m for m in narrow if m.written_in(asked)))
        )
        if len(self._asked) >= MAX_CACHED_QUESTIONS:
            self._asked.clear()
        self._asked[question] = _QuestionMembers(groups, narrower)
        return self._asked[question]

    def searched_with(self, question: str, known: Callable[[str], bool]) -> list[str]:
        """The members to search for beside a question's words that no page of the knowledge base
        uses (known: whether the BM25 index holds a term): "My mobile went missing" is searched
        with "lost" too. Only words the knowledge base lacks are helped: a word it uses already
        finds its pages, and its synonyms would only widen the search."""
        found: list[str] = []
        for group, written_members in self.written_in(question):
            written = [m for m in written_members if m.terms]
            if not written or any(known(t) for m in written for t in m.terms):
                continue
            found += [
                m.text for m in group if m not in written and m.terms and all(known(t) for t in m.terms)
            ]
        return list(dict.fromkeys(found))


def _members(part: str) -> tuple[Member, ...]:
    return tuple(_member(m) for m in (piece.strip() for piece in part.split("|")) if m)


def parse_synonyms(lines: Iterable[str]) -> SynonymGroups:
    """Groups ("a | b | c"), and covers ("narrow | narrower > broad | broader") whose right side
    holds the left side's members in a text, not the other way round."""
    groups = []
    covers = []
    for line in lines:
        if line.lstrip().startswith("#"):
            continue
        if ">" in line:
            narrow, broad = (_members(side) for side in line.split(">", 1))
            if narrow and broad:
                covers.append((narrow, broad))
            continue
        members = _members(line)
        if len(members) >= 2:
            groups.append(members)
    return SynonymGroups(tuple(groups), tuple(covers))


@cache
def synonym_groups() -> SynonymGroups:
    return parse_synonyms(SYNONYMS_FILE.read_text(encoding="utf-8").splitlines())
