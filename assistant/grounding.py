"""Grounding check: is every claim in an answer supported by the passage it cites?

Decided by code, not by an LLM: the local model cannot judge, so support is scored.
- Wording: English is compared on lightly stemmed content words, Chinese on character bigrams; a
  paraphrase that shares few words ("can go up to 60 kilometres on one charge" for "a range of
  60 km") is supported when the embedder finds it close to the passage sentence that states its
  facts.
- Facts (assistant/facts.py): every number with its unit, duration, date, amount and age in a
  sentence must be stated by the passage the sentence cites, not by any passage ("30 days" against
  "7 days" fails, "60 miles" against "60 km" fails, "三十天" matches "30天"), with the same rate
  ("per minute") and the same bound ("until you are 16" against "the minimum age is 16" fails).
- Names: capitalised names and product codes must occur in the cited passage, and where the
  sentence states a fact, in the passage line that states it ("Basic plan: 30 euros" when the
  table gives 30 euros for Premium fails).
- Negation: a sentence agrees in polarity with the passage sentence closest to it.
- The question: what it asks for (a duration, an amount, a one-off fee, a distance, an age) must be
  what the answer states; a per-minute price does not answer a question about the one-off fee.
- Form: no citation dumps ("No, you cannot. [1] [2] [3] [4] [5]"), no loops.
The text helpers here are shared with the extractive answerer and the generator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.facts import Fact, asked_kinds, find_facts
from assistant.retrieval.hanzi import to_simplified
from assistant.retrieval.text import normalise
from assistant.sentence_similarity import SentenceSimilarity
from assistant.types import Passage
from ingest.text import CITATION_PATTERN, CJK_CLASS, CJK_RE, citations_in, is_chinese, strip_citations
from ingest.embedding import Embedder

# A sentence is supported when at least this share of its content units occurs in the passage(s).
# English: the local model paraphrases with function words, which are dropped, and stems that the
# crude stemmer may miss ("purchasing"/"bought"); 0.6 keeps such paraphrases while an invented
# sentence on another topic scores near 0 (see tests/answer/test_grounding.py).
MIN_SUPPORT_WORDS = 0.6
# Chinese: bigram coverage of a faithful paraphrase is lower than word coverage (reordering and
# synonyms break two bigrams each), so the bar is lower.
MIN_SUPPORT_BIGRAMS = 0.5
# Sentences with fewer content units than this ("Sure!", "Thanks.") carry no checkable claim.
MIN_CLAIM_UNITS = 2
# A draft that states the same claim more than this many extra times has looped (the small model
# does, until its token limit: "Refunds are issued within 3 business days [3]." eight times), not
# answered. None is tolerated: a customer should not read a sentence twice, and the small model's
# one repeat came with a recombined claim ("The only admin who can run a full workspace export is
# the one who created the workspace", twice).
MAX_REPEATED_CLAIMS = 0
# A bracketed word that is no citation ("[address]", "<name>", "{website}"): the small model's
# template slots.
_PLACEHOLDER_RE = re.compile(
    r"\[[^\]\d\n][^\]\n]{0,40}\]|<[A-Za-z][A-Za-z _-]{1,30}>|\{[A-Za-z][A-Za-z _-]{1,30}\}"
)
# A sentence citing more passages than this is a citation dump, not a sourced claim.
MAX_CITATIONS_PER_SENTENCE = 2
# multilingual-e5-small cosines are compressed (unrelated help-centre sentences score 0.77-0.85):
# a paraphrase alone needs PARAPHRASE_SIMILARITY; one whose facts all match the passage needs
# FACT_PARAPHRASE_SIMILARITY with the passage sentence stating them (tests/answer/test_grounding.py).
PARAPHRASE_SIMILARITY = 0.92
FACT_PARAPHRASE_SIMILARITY = 0.86
# Across languages the same sentence scores lower (0.82-0.89 measured; unrelated pairs 0.72-0.79).
CROSS_LANGUAGE_FACT_SIMILARITY = 0.80

_UNIT_RE = re.compile(rf"[{CJK_CLASS}]+|[a-z0-9]+(?:['’.,:][a-z0-9]+)*")
_LEADING_CITATIONS_RE = re.compile(rf"^(?:\s*{CITATION_PATTERN})+")
_ENUMERATOR_RE = re.compile(r"^\s*(?:\d+[.)、]|[-*•])\s+", re.MULTILINE)
# Sentence ends inside a line: CJK terminators (no space follows them) and Latin ones before
# whitespace (so "1.5" and "e.g.x" stay whole). Line breaks always end a sentence.
_SENTENCE_END_RE = re.compile(r"(?<=[。！？；])|(?<=[.!?;])\s+")

STOP_WORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    below between both but by could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me
    more most my myself of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this those through
    to too under until up very was we were what when where which while who whom why will with would
    you your yours yourself yourselves can may please thank thanks hello hi dear s t""".split()
)
# Negations are deliberately not stop words: they flip a claim's meaning. Beyond that, a sentence
# must agree in polarity with the passage sentence closest to it: "The warranty covers water damage"
# against "... covers manufacturing defects but not ... water damage" has full word overlap.
NEGATIONS_ZH = ("不", "没", "未", "无法", "禁止")
# Words that contain a negation character without negating the claim ("未使用的商品" are unused
# items, as "unused" in English carries no "not").
_NOT_NEGATIONS_ZH = ("未使用", "不同", "不仅", "不断", "不错", "不久", "不少", "不管", "不限")
_NEGATION_RE = re.compile(r"\b(?:not|no|never|cannot|none|nor|without)\b|n['’]t\b")


def _stem(word: str) -> str:
    # Crude suffix strip + 6-character truncation: enough to match return/returns/returned and
    # purchase/purchases without an NLP dependency; over-merging only makes support more lenient.
    if word.isdigit():
        return word
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # shipped -> shipp -> ship
            break
    return word[:6]


def lexical_units(text: str, stop: frozenset[str] = STOP_WORDS) -> list[str]:
    """Content units of text: stemmed non-stop words and numbers; CJK runs as character bigrams."""
    units: list[str] = []
    for match in _UNIT_RE.finditer(to_simplified(text.lower())):
        token = match.group()
        if token.endswith(("'s", "’s")):
            token = token[:-2]  # "what's" is "what", "the driver's" is "driver"; "don't" stays
        if CJK_RE.match(token):
            pieces = [token] if len(token) == 1 else [token[i : i + 2] for i in range(len(token) - 1)]
            units.extend(p for p in pieces if p not in stop)
        elif token not in stop:
            units.append(_normalise_number(token) if token[0].isdigit() else _stem(token))
    return units


def _normalise_number(token: str) -> str:
    # "95.0" and "95" are one number ("below 95%" is about "below 95.0%"); "1.50" is "1.5".
    number = token.replace(",", "").rstrip(".:")
    return number.rstrip("0").rstrip(".") if "." in number else number


def split_sentences(text: str) -> list[str]:
    """Sentences of text, each line split on its own. A citation right after a sentence end
    ("... receipt. [1]") stays with that sentence; one that starts a line labels that line."""
    sentences: list[str] = []
    for line in text.splitlines():
        line_sentences: list[str] = []
        for piece in _SENTENCE_END_RE.split(line):
            piece = piece.strip()
            leading = _LEADING_CITATIONS_RE.match(piece)
            if leading and line_sentences:
                line_sentences[-1] += " " + leading.group().strip()
                piece = piece[leading.end() :].strip()
            if piece:
                line_sentences.append(piece)
        sentences.extend(line_sentences)
    return sentences


@dataclass
class SentenceScore:
    sentence: str
    citations: list[int]
    score: float  # share of the sentence's content units found in its supporting passage(s)
    supported: bool
    problems: list[str] = field(default_factory=list)  # why it is not supported
    facts: list[MatchedFact] = field(default_factory=list)  # its facts, matched to the passage


@dataclass
class GroundingResult:
    ok: bool
    score: float  # unit-weighted mean support over the claim sentences, 0..1
    sentence_scores: list[SentenceScore]
    invalid_citations: list[int]
    reasons: list[str]


class GroundingChecker:
    """Checks an answer against the passages it was generated from.

    With the question given, three more checks catch what the small model does most: grafting the
    asked-about subject onto a fact from another passage ("A refund takes 3-5 business days [2]"
    citing the shipping passage), answering a different question than the one asked, and giving
    the wrong kind of fact (a per-minute price for the one-off fee). Without an embedder, support
    is judged on words and facts only.
    """

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.similarity = SentenceSimilarity(embedder) if embedder is not None else None

    def run(self, answer: str, passages: list[Passage], question: str | None = None) -> GroundingResult:
        by_n = {p.n: p for p in passages}
        cited = citations_in(answer)
        invalid = [n for n in cited if n not in by_n]
        reasons: list[str] = []
        if not cited:
            reasons.append("answer cites no passage")
        if invalid:
            reasons.append(f"citations point at no given passage: {invalid}")
        question_units = set(lexical_units(question)) if question else set()

        scores: list[SentenceScore] = []
        weighted = 0.0
        total_units = 0
        for sentence in split_sentences(_ENUMERATOR_RE.sub("", answer)):
            if len(citations_in(sentence)) > MAX_CITATIONS_PER_SENTENCE:
                reasons.append(
                    f"citation dump ({len(citations_in(sentence))} citations on one sentence): {sentence[:80]}"
                )
            units = set(lexical_units(strip_citations(sentence)))
            if len(units) < MIN_CLAIM_UNITS or _is_lead_in(sentence):
                continue
            result = self._score_sentence(sentence, units, by_n, question_units)
            scores.append(result)
            weighted += result.score * len(units)
            total_units += len(units)
            if not result.supported:
                reasons.append(
                    f"unsupported ({result.score:.2f}; {'; '.join(result.problems)}): {sentence[:80]}"
                )

        slots = _PLACEHOLDER_RE.findall(answer)
        sources = "\n".join(p.text for p in passages) if slots else ""
        if placeholders := [m for m in slots if m not in sources]:
            # "Send your claim to [address] at [website]": a template slot, not a fact.
            reasons.append(f"answer holds template slots the passages do not: {', '.join(placeholders[:3])}")
        repeated = len(scores) - len({frozenset(lexical_units(strip_citations(s.sentence))) for s in scores})
        if repeated > MAX_REPEATED_CLAIMS:
            reasons.append(f"answer repeats itself ({repeated} repeated sentences)")
        if phrase := _looping_phrase(strip_citations(answer)):
            # "approved by the 2023 edition of the 2023 edition of the 2023 edition of ...": the
            # model looped; each piece is in the passage, the whole says nothing.
            reasons.append(f"answer loops on a phrase: {phrase!r}")
        if _cut_off(answer):
            reasons.append("answer is cut off mid-sentence")
        if not scores:
            reasons.append("answer makes no checkable claim")
        elif (
            question_units
            and is_chinese(question or "") == is_chinese(answer)
            and not any(question_units & set(lexical_units(strip_citations(s.sentence))) for s in scores)
            and not (question and answers_asked_kind(question, [f for s in scores for f in s.facts]))
        ):
            # No word of the question, and no fact of the kind it asks for ("the range" answered
            # "up to 60 kilometres" shares no word and is an answer).
            reasons.append("answer mentions nothing the question asks about")
        if question and scores:
            mismatch = answer_type_mismatch(question, [f for s in scores for f in s.facts])
            if mismatch:
                reasons.append(mismatch)
        score = weighted / total_units if total_units else 0.0
        return GroundingResult(
            ok=not reasons, score=score, sentence_scores=scores, invalid_citations=invalid, reasons=reasons
        )

    def _score_sentence(
        self, sentence: str, units: set[str], by_n: dict[int, Passage], question_units: set[str]
    ) -> SentenceScore:
        cited = [n for n in citations_in(sentence) if n in by_n]
        # A cited sentence must be supported by what it cites (together: one sentence may combine
        # two passages); an uncited one by the single best passage.
        groups = [[by_n[n] for n in cited]] if cited else [[p] for p in by_n.values()]
        if not groups:
            return SentenceScore(
                sentence=sentence, citations=cited, score=0.0, supported=False, problems=["no passages"]
            )
        results = [self._score_against(sentence, units, group, question_units) for group in groups]
        best = max(results, key=lambda r: (r.supported, r.score))
        best.citations = cited
        return best

    def _score_against(
        self, sentence: str, units: set[str], group: list[Passage], question_units: set[str]
    ) -> SentenceScore:
        bare = strip_citations(sentence)
        source = "\n".join(_passage_text(p) for p in group)
        source_units = set(lexical_units(source))
        source_sentences = split_sentences(source)
        coverage = len(units & source_units) / len(units)
        problems: list[str] = []
        matched, fact_problems, fact_lines = _check_facts(bare, source, source_sentences)
        problems.extend(fact_problems)
        problems.extend(_check_names(bare, source, fact_lines))
        problems.extend(_check_bindings(bare, source_sentences))
        threshold = MIN_SUPPORT_BIGRAMS if is_chinese(bare) else MIN_SUPPORT_WORDS
        # An English answer from a Chinese passage (or the reverse) shares no words with it: facts,
        # names and the embedder judge it.
        other_language = is_chinese(bare) != is_chinese("\n".join(p.text for p in group))
        closest = max(source_sentences, key=lambda s: len(units & set(lexical_units(s))), default="")
        if coverage < threshold:
            fact_sentences = fact_lines if matched and not fact_problems else []
            similar = self._paraphrase_of(bare, source_sentences, fact_sentences, other_language)
            if similar is None:
                problems.append(f"below {threshold}")
            else:
                closest = similar
        missing_topic = sorted(
            u
            for u in (units & question_units) - source_units - _GENERIC_WORDS
            if not _has_prefix_match(u, source_units)
        )
        if missing_topic and not other_language:
            problems.append(f"asked-about words not in passage: {missing_topic}")
        if _negated(bare) != _negated(closest):
            problems.append("negation differs from the passage")
        return SentenceScore(
            sentence=sentence,
            citations=[],
            score=coverage,
            supported=not problems,
            problems=problems,
            facts=matched,
        )

    def _paraphrase_of(
        self, sentence: str, source_sentences: list[str], fact_lines: list[str], other_language: bool
    ) -> str | None:
        """The passage sentence this one paraphrases, judged by the embedder: very close to any
        passage sentence, or close to the one stating the same facts."""
        if self.similarity is None or not source_sentences:
            return None
        similarities = self.similarity.matrix([sentence], source_sentences)[0]
        best = int(similarities.argmax())
        if similarities[best] >= PARAPHRASE_SIMILARITY:
            return source_sentences[best]
        needed = CROSS_LANGUAGE_FACT_SIMILARITY if other_language else FACT_PARAPHRASE_SIMILARITY
        for line in fact_lines:
            if line in source_sentences and similarities[source_sentences.index(line)] >= needed:
                return line
        return None


@dataclass(frozen=True)
class MatchedFact:
    """A fact of the answer and the passage facts that state it."""

    fact: Fact
    sources: tuple[Fact, ...]

    @property
    def per(self) -> str | None:
        """The rate, as the answer or, when it leaves it out, its passage states it."""
        if self.fact.per is not None or not self.sources:
            return self.fact.per
        return self.sources[0].per


def _check_facts(
    sentence: str, source: str, source_sentences: list[str]
) -> tuple[list[MatchedFact], list[str], list[str]]:
    """(facts matched to the passage, problems, passage sentences stating the matched facts)."""
    source_facts = find_facts(source)
    lowered_source = normalise(source)
    matched: list[MatchedFact] = []
    problems: list[str] = []
    lines: list[str] = []
    for fact in find_facts(sentence):
        same = [g for g in source_facts if fact.same_quantity(g)]
        if not same and fact.kind != "number":
            # A table cell under a header naming the unit: "Range (km): 60" states "60 km".
            same = [
                g
                for g in source_facts
                if g.kind == "number"
                and abs(g.raw - fact.raw) < 1e-9
                and any(w in lowered_source for w in _unit_words(fact))
            ]
        if not same:
            problems.append(
                f"numbers not in passage: ['{fact.text}']"
                if fact.kind == "number"
                else f"not in passage: {fact.text}"
            )
            continue
        # A rate the answer adds must be the passage's ("€5 a month" for "€5 per month"); a bare
        # table cell takes its rate from the header, which the words check covers.
        if fact.per is not None and not any(g.per == fact.per or g.kind == "number" for g in same):
            problems.append(f"rate differs from the passage: {fact.text}")
            continue
        if fact.bound is not None and all(g.bound is not None and g.bound != fact.bound for g in same):
            problems.append(f"bound differs from the passage ({fact.bound} vs {same[0].bound}): {fact.text}")
            continue
        matched.append(MatchedFact(fact, tuple(same)))
        lines.extend(s for s in source_sentences if any(_states(s, g) for g in same))
    return matched, problems, list(dict.fromkeys(lines))


def _unit_words(fact: Fact) -> list[str]:
    """Words naming the fact's unit: "days" of "30 days"; "usd" and "$" of "$129"."""
    words = [re.sub(r"[\d.,\s-]+", " ", fact.text).strip()]
    if fact.kind == "money":
        words.append(fact.unit.lower())
    return [w for w in words if w]


def _states(sentence: str, fact: Fact) -> bool:
    return any(f.same_quantity(fact) and f.per == fact.per for f in find_facts(sentence))


# Capitalised words inside a sentence and codes mixing letters and digits name things: plans,
# products, places. Words that open a sentence or are capitalised by convention do not.
_NAME_RE = re.compile(r"\b([A-Z][a-zA-Z]+|[A-Za-z]+\d+[A-Za-z\d]*)\b")
_NAME_CONTINUES_RE = re.compile(rf"\s+[A-Z][a-zA-Z]*\b|\s*[{CJK_CLASS}]")
_NOT_NAMES = frozenset(
    "i i'm ok yes no monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december faq faqs url app eu uk us usa".split()
)


def names_in(text: str) -> list[str]:
    names = []
    for match in _NAME_RE.finditer(text):
        start = match.start()
        opens_sentence = start == 0 or re.search(r"[.!?:;\]\n]\s*$", text[:start]) or not text[:start].strip()
        if opens_sentence and not _NAME_CONTINUES_RE.match(text, match.end()):
            continue  # capitalised by rule, unless a name goes on ("Lumo Hub has", "Lumina 会员")
        name = match.group(1)
        if name.lower() not in _NOT_NAMES and name.lower() not in STOP_WORDS:
            names.append(name)
    return names


def _check_names(sentence: str, source: str, fact_lines: list[str]) -> list[str]:
    lowered = source.lower()
    rows = [row for row in source.splitlines() if any(line in row for line in fact_lines)]
    problems = []
    for name in names_in(sentence):
        stem = _stem(name.lower())
        if stem not in lowered:
            problems.append(f"name not in passage: {name}")
        elif rows and not any(stem in row.lower() for row in rows) and not _in_heading(stem, source, rows):
            problems.append(f"name not where the passage states the fact: {name}")
    return problems


# Where one sentence lists figures for several things: "99.95% for the Business plan and 99.99% for
# Enterprise" binds each figure to the name in its own clause.
_CLAUSE_RE = re.compile(r"[,;，；]|\b(?:and|but|while|whereas)\b")


def _check_bindings(sentence: str, source_sentences: list[str]) -> list[str]:
    """A figure stated of a name the passage gives another figure of the same kind: "the Business
    plan is committed to 99.99%" where the passage says "99.95% for the Business plan and 99.99%
    for Enterprise" (the right number, the wrong row)."""
    problems = []
    for clause in _CLAUSE_RE.split(sentence):
        # Any capitalised word: a row's name often opens the sentence ("Enterprise gets 99.95%").
        names = {
            _stem(name.lower()): name
            for name in _NAME_RE.findall(strip_citations(clause))
            if name.lower() not in _NOT_NAMES and name.lower() not in STOP_WORDS
        }
        for fact in find_facts(clause) if names else []:
            if fact.kind == "number":
                continue
            for stem, name in names.items():
                if _bound_to_another(stem, fact, source_sentences):
                    problems.append(f"{fact.text} is not what the passage states for {name}")
    return list(dict.fromkeys(problems))


def _bound_to_another(stem: str, fact: Fact, source_sentences: list[str]) -> bool:
    """Whether every passage sentence stating the fact gives the name, in another clause, another
    quantity of the fact's kind, and none puts the name in the fact's own clause."""
    bound_elsewhere = False
    for source_sentence in source_sentences:
        clauses = [c.lower() for c in _CLAUSE_RE.split(source_sentence)]
        own = [c for c in clauses if any(f.same_quantity(fact) for f in find_facts(c))]
        if not own:
            continue
        if any(stem in c for c in own):
            return False
        if any(
            stem in c and any(f.kind == fact.kind and not f.same_quantity(fact) for f in find_facts(c))
            for c in clauses
            if c not in own
        ):
            bound_elsewhere = True
    return bound_elsewhere


def _in_heading(stem: str, source: str, rows: list[str]) -> bool:
    # The passage's title line speaks for its prose, not for the rows of a table under it.
    first = source.split("\n", 1)[0].lower()
    return stem in first and all(not _looks_like_row(row) for row in rows)


def _looks_like_row(line: str) -> bool:
    return line.count(":") >= 2 or ";" in line or "|" in line


_ONE_OFF_RE = re.compile(
    r"\b(?:one[- ]off|one[- ]time|once|flat|up-?front|unlock(?:ing)?|activation|set-?up|joining|sign-?up|entry)\b"
    r"|一次性|开通费|解锁费|起步价|入会费|激活费"
)
_PERIOD_ASKED = (
    (re.compile(r"\bper minute\b|\ba minute\b|每分钟"), "minute"),
    (re.compile(r"\bper hour\b|\bhourly\b|每小时"), "hour"),
    (re.compile(r"\bper day\b|\bdaily\b|每天|每日"), "day"),
    (re.compile(r"\bper month\b|\bmonthly\b|\ba month\b|每月|每个月|月费"), "month"),
    (re.compile(r"\bper year\b|\byearly\b|\bannual(?:ly)?\b|\ba year\b|每年|年费"), "year"),
)


# Words a question and its answer share whatever the topic ("does the plan include", "includes",
# "return something"): the asked-about-words check looks for the topic ("refund"), not these.
_GENERIC_WORDS = frozenset(
    lexical_units(
        "include cover cost take need have get make offer allow work use come go give keep last "
        "something anything thing"
    )
)


def _has_prefix_match(unit: str, source_units: set[str]) -> bool:
    """ride/rider, month/monthl: the crude stemmer leaves such pairs apart."""
    return len(unit) >= 4 and any(
        len(v) >= 4 and (v.startswith(unit) or unit.startswith(v)) for v in source_units
    )


def answers_asked_kind(question: str, facts: list[MatchedFact]) -> bool:
    asked = asked_kinds(question)
    return bool(asked) and any(_kind(m) in asked for m in facts)


def _kind(matched: MatchedFact) -> str:
    return matched.fact.kind if matched.fact.kind != "number" else matched.sources[0].kind


def answer_type_mismatch(question: str, facts: list[MatchedFact]) -> str | None:
    """Why the facts an answer states do not answer what the question asks for, or None."""
    if not facts:
        return None  # "Yes, you can ..." states no quantity; the words are checked elsewhere
    lowered = normalise(question)
    asked = asked_kinds(question)
    kinds = {_kind(m) for m in facts}
    if asked and not kinds & asked and "number" not in kinds:
        return f"answer states {sorted(kinds)} where the question asks for {sorted(asked)}"
    money = [m for m in facts if "money" in (m.fact.kind, m.sources[0].kind)]
    if money and _ONE_OFF_RE.search(lowered) and all(m.per is not None for m in money):
        return (
            "the question asks for a one-off fee; the answer gives a rate ("
            + ", ".join(m.fact.text for m in money)
            + ")"
        )
    for pattern, period in _PERIOD_ASKED:
        if money and pattern.search(lowered) and all(m.per not in (period, None) for m in money):
            return f"the question asks for a price per {period}; the answer gives another rate"
    return None


# A phrase of LOOP_WORDS words (LOOP_CHARS Chinese characters: "个工作日" three times is three
# periods) written LOOP_TIMES times or more is a loop, not an answer.
LOOP_WORDS = 4
LOOP_CHARS = 8
LOOP_TIMES = 3
_LOOP_WORD_RE = re.compile(r"[\w$€£¥%]+")
# How a whole answer may end: a sentence's end, or a closing bracket or quote after one.
_FINISHED_RE = re.compile(r"[.!?。！？…:：;；)）\]」』\"'”’*]\s*$")


def _looping_phrase(text: str) -> str | None:
    lowered = text.lower()
    for tokens, size, joiner in (
        (_LOOP_WORD_RE.findall(CJK_RE.sub(" ", lowered)), LOOP_WORDS, " "),
        (CJK_RE.findall(lowered), LOOP_CHARS, ""),
    ):
        counts: dict[tuple[str, ...], int] = {}
        for i in range(len(tokens) - size + 1):
            phrase = tuple(tokens[i : i + size])
            counts[phrase] = counts.get(phrase, 0) + 1
            if counts[phrase] >= LOOP_TIMES:
                return joiner.join(phrase)
    return None


def _cut_off(answer: str) -> bool:
    """Whether the answer stops mid-sentence ("... approved by the 2023 edition of the [1]"): the
    model ran out of tokens."""
    body = strip_citations(answer).strip()
    return bool(body) and not _FINISHED_RE.search(body)


def _passage_text(passage: Passage) -> str:
    return f"{passage.title}\n{passage.text}" if passage.title else passage.text


def _is_lead_in(sentence: str) -> bool:
    # "According to our help centre:" introduces the claims that follow; it makes none itself.
    return strip_citations(sentence).rstrip().endswith((":", "："))


def _negated(text: str) -> bool:
    lowered = text.lower()
    for word in _NOT_NEGATIONS_ZH:
        lowered = lowered.replace(word, "")
    return bool(_NEGATION_RE.search(lowered)) or any(marker in lowered for marker in NEGATIONS_ZH)
