"""Lexical terms for BM25, FAQ matching and answerability: one tokeniser for both languages.

Text is NFKC-normalised (full-width digits and letters become ASCII), lower-cased and read in
simplified characters (retrieval.hanzi: "手機" is "手机"), then split
into CJK runs and Latin/digit runs, so mixed text ("Lumo Hub 怎么重置") needs no language label.
  Chinese  jieba words (precise mode) minus function words, plus the character bigrams of each
           stretch of consecutive content words: bigrams catch names and terms jieba segments
           differently in question and passage ("广茂铁路" -> 广茂/铁路 vs 广茂铁路), and stopping
           them at function words keeps out noise such as "是哪" or "在哪" that matches nothing.
           BM25 alone on cmrc2018 (2,649 answerable questions), hit@1 / hit@5: jieba words
           0.976 / 0.995, search-mode words 0.974 / 0.994, bigrams of the whole run 0.975 / 0.998,
           words + whole-run bigrams 0.982 / 0.999, words + content bigrams 0.984 / 0.999.
  English  word tokens minus stop words, lightly stemmed (returns/returned -> return); numbers kept.
           Stemming: or_sharc BM25 hit@5 0.863 -> 0.895, covid_faq 0.717 -> 0.742.

key_terms() is terms() without question frames and question words ("how long", "how many",
多少, 多长时间, 哪一年, ...) and words a question leans on without asking about them (someone,
get, know): what the answerability judge looks for in the passages. BM25 keeps them.

jieba loads its dictionary on first use (~0.7 s), not at import. It caches the parsed dictionary
in a file; `configure_jieba_cache` points that at kefu's data dir (else jieba's default, the
system temp dir). Its log lines are silenced.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

from assistant.retrieval.hanzi import to_simplified
from ingest.text import CJK_CLASS, CJK_RUN_RE

# Bumped whenever tokenisation changes, so persisted BM25 indexes are rebuilt.
TOKENIZER_VERSION = 5

_RUN_RE = re.compile(rf"[{CJK_CLASS}]+|\d+(?:[.,:]\d+)*|[a-z0-9]+(?:['’][a-z]+)?")

EN_STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself yourselves may might must shall please thank thanks hello hi
    s t d ll m re ve""".split()
)
# Negations ("not", "no", "cannot") stay: they are what separates a yes from a no rule.

ZH_STOP_WORDS = frozenset(
    """的 了 是 在 和 与 及 或 也 就 都 而 又 被 把 让 给 对 从 向 于 以 之 其 这 那 这个 那个 这些 那些
    什么 怎么 怎样 如何 哪 哪个 哪些 哪里 哪儿 谁 吗 呢 吧 啊 呀 么 嘛 请问 请 我 你 您 他 她 它 我们 你们
    他们 她们 它们 该 此 有 没 个 为 为了 要 会 能 可以 一下 多少 几 是否 还是 以及 并 等""".split()
)


# Question frames and question words (see key_terms). English ones are phrases: "long" or "much"
# alone can be what a question is about ("long-term care"), "how long" never is.
_EN_QUESTION_FRAME_RE = re.compile(
    r"\bhow (?:far|long|much) (?:ahead|in advance|beforehand)\b"
    # A count of people or times is the frame: the page counts "guests", "users", "attempts".
    r"|\bhow many (?:people|persons|times)\b"
    r"|\bhow (?:long|many|much|often|soon|far|old|big|large|fast|quickly|early|late)\b"
    r"|\bwhat (?:kinds?|types?|sorts?) of\b|\b(?:want|like|need) to know\b|\btell me\b"
    r"|\bis (?:it|there) (?:possible|a way)\b|\b(?:am|are|is) (?:i|we|you|he|she|they) able to\b"
    r"|\bwhat (?:is|are) the (?:name|number|amount) of\b|\bwhat year\b|\bwhich year\b"
    r"|\b(?:take|takes|taking|took|taken) effect\b|\b(?:come|comes|came) into (?:effect|force)\b"
)
# "How much does assembly cost?" asks an amount: the passage says "Assembly: S$60", not "cost";
# so do "What does delivery to Brunei cost?" and "What is the Express first-kg price?".
# "What does a member pay for a foot massage?" asks an amount as "what does it cost" does: the
# page states the price ("Member price: 348"), it does not write "pay".
_EN_AMOUNT_RE = re.compile(
    r"\bhow much\b|\bwhat (?:does|do|did|will|would) .+ cost\W*$|\bwhat(?:'s| is| are| was| were) the\b.*\bprices?\b"
    r"|\bwhat (?:does|do|did|will|would|should|must) (?:i|we|you|a|an|the|my|our)\b.*\bpay\b"
)
_EN_COST_RE = re.compile(r"\b(?:costs?|prices?|pay|paying|paid)\b")
_EN_DURATION_RE = re.compile(r"\bhow long\b")
_EN_TAKE_RE = re.compile(r"\b(?:take|takes|taking|took)\b")
# "How many webhooks can I create?" asks a count of webhooks: the table says "Webhooks: 25", with
# no verb. After "how many/much <thing> can I", the verb is the question's grammar, not its topic;
# without a thing between ("How much can I withdraw?") the verb is all the topic there is, and stays;
# so it does after a count of people or times ("How many times can I change my ticket?").
_EN_COUNT_VERB_RE = re.compile(
    r"(\bhow (?:many|much) (?!(?:people|persons|times) )(?:[a-z0-9-]+ ){1,4}(?:can|could|do|may|will|should|must|am|are) "
    r"(?:i|we|you|they) )[a-z]+\b"
)
ZH_QUESTION_WORDS = frozenset(
    """多少 多长 多长时间 多久 多大 多远 多高 多重 多少钱 多少次 多少年 多少岁 几 几个 几年 几岁 几次 几月 几号 几时 几点 几点钟
    几种 几位 什么 什么样 什么时候 什么地方 为什么 为何 何时 何地 何处 何 哪 哪一 哪一年 哪年 哪天 哪位 哪国 哪种 哪家
    哪一个 哪一位 哪一天 哪一种 哪个 哪些 哪里 哪儿 谁 怎么 怎么样 怎样 如何 是否 能否 可否 是不是 有没有 能不能
    可不可以 吗 呢 请问 名字 叫 叫做 称为 是什么 钱 几天 几周 几个月 几小时 几个小时 几分钟""".split()
)
# Chinese light verbs, as the English ones below: "携号转台需要提供哪些文件" asks about 文件, not 需要.
ZH_LIGHT_VERBS = frozenset("需要 需 得 必须 想 想要 打算 进行 使用 用 做 办 弄 拿 给予 获得 得到 打".split())
# "The current policy", "现行的条款": which edition is the newest is the edition step's to say
# (retrieval.editions); no passage writes "current" into its text.
ZH_EDITION_NOW_WORDS = frozenset("现行 目前 现在 当前 最新 如今".split())
# What a question leans on, as the English "someone", "thing", "want", "after" (EN_KEY_STOP_WORDS):
# "我不想自己搬货，可以到仓库拿吗？" asks about collecting at the warehouse, not about 自己, 不想 or 到 ("to");
# 左右 and 大约 are "about", a stop word in English; 那会儿, 当时 ("back then") and 跟 ("with") are
# grammar, as "then" and "with" are (not 明天 or 昨晚: "明天广州会下雨吗？" is off-topic for
# naming a day no help centre writes); a measure word (件, 个, 次) counts what its number
# counts ("每月寄600件": the parcels a month); 最多, 至少 are the bound asked for, as "maximum" is.
ZH_LEANED_WORDS = frozenset(
    "自己 不想 别人 有人 东西 以后 之后 以前 之前 到 左右 大约 大概 差不多 件 个 次 份 只 最多 最少 最高 最低 至少 最 多 "
    "那会儿 那时 那时候 当时 这边 那边 跟 说 一直 偷偷 还要 另外 另".split()
)
ZH_KEY_STOP_WORDS = (
    ZH_STOP_WORDS | ZH_QUESTION_WORDS | ZH_LIGHT_VERBS | ZH_EDITION_NOW_WORDS | ZH_LEANED_WORDS
)
# Words a question leans on without asking about them ("What if someone I know gets it?", "Is
# there somewhere to change a nappy?").
EN_KEY_STOP_WORDS = EN_STOP_WORDS | frozenset(
    """get gets got getting gotten know knows someone somebody anyone anybody something anything
    somewhere anywhere everywhere
    everyone everybody everything one ones thing things way ways still ever happen happens happened
    want wants us let
    come comes came coming allow allows allowed go goes going went make makes made give gives
    gave given put puts use uses used need needs needed take takes taking took taken become becomes became
    per current currently today now nowadays latest newest like instead rather
    window windows threshold thresholds deadline deadlines timeframe minimum maximum""".split()
)
# The light verbs above carry the question's grammar, not its topic: "How much data comes with
# Harbour Max?" is answered by "Harbour Max; Local data: 100 GB", which holds no "come"; "We're
# taking our 8-year-old to Cotai" is about the child and the hotel. "Per"
# is a unit's grammar ("per month", "monthly"); "current", "today", "latest" say which edition,
# as 现行 and 目前 do (ZH_EDITION_NOW_WORDS). "Window", "threshold", "deadline", "minimum" say what
# kind of answer is wanted, as "how long" does: "the return window" is answered by "return within
# 14 days", "the free-shipping threshold" by "Free shipping from: S$60".


# A figure between two Chinese characters ("分3期", "每2周"): the word around it is written too.
_FIGURE_IN_WORD_RE = re.compile(rf"(?<=[{CJK_CLASS}])\d+(?=[{CJK_CLASS}])")


def readings(text: str) -> tuple[str, ...]:
    """The text as written, and without the figures inside its Chinese words when it has any: what
    its words are read from ("分3期免息付款" holds 3 and 分期, instalments)."""
    whole = _FIGURE_IN_WORD_RE.sub("", text)
    return (text,) if whole == text else (text, whole)


def normalise(text: str) -> str:
    """NFKC, lower case, and traditional Chinese characters read as simplified (retrieval.hanzi)."""
    return to_simplified(unicodedata.normalize("NFKC", text).lower())


# Irregular past forms a customer writes where a page writes the verb or its noun ("I have not
# paid" / "without payment", "it was stolen" / "if your phone is stolen or you lose it"). Not
# forms that are other words too ("left", "found", "saw"), nor "bought", mostly the customer's
# setting ("I've just bought a monthly pass. Is there a limit ...?"), which "buy" then searched for.
_IRREGULAR_PAST = {
    "paid": "pay",
    "sent": "send",
    "lost": "lose",
    "spent": "spend",
    "broke": "break",
    "broken": "break",
    "stole": "steal",
    "stolen": "steal",
    "kept": "keep",
    "told": "tell",
    "brought": "bring",
    "chose": "choose",
    "chosen": "choose",
    "written": "write",
    "wrote": "write",
    "forgot": "forget",
    "forgotten": "forget",
    "caught": "catch",
    "lent": "lend",
    "flew": "fly",
    "flown": "fly",
    "drove": "drive",
    "driven": "drive",
    "threw": "throw",
    "thrown": "throw",
    "hidden": "hide",
    "fallen": "fall",
    "fell": "fall",
    "built": "build",
}


def stem(word: str) -> str:
    """Light English suffix stripping, applied alike to queries and passages (consistency is what
    matters for matching, not linguistic correctness)."""
    if word in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[word]
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("thing"):
            base = word[: -len(suffix)]
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # shipped -> shipp -> ship
            return base
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_jieba: Any = None
_jieba_lock = threading.Lock()
_jieba_cache_dir: Path | None = None


def configure_jieba_cache(directory: Path) -> None:
    """Where jieba caches its parsed dictionary; effective only before its first use."""
    global _jieba_cache_dir
    if _jieba_cache_dir is None:
        _jieba_cache_dir = directory


def _segmenter() -> Any:
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            if _jieba_cache_dir is not None:
                _jieba_cache_dir.mkdir(parents=True, exist_ok=True)
                tokenizer.tmp_dir = str(_jieba_cache_dir)
            tokenizer.initialize()
            _jieba = tokenizer
        return _jieba


def chinese_words(run: str) -> list[str]:
    """The words of a CJK run, as jieba segments it."""
    return list(_segmenter().lcut(run))


def char_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def chinese_terms(run: str, stop_words: frozenset[str] = ZH_STOP_WORDS, new_words: bool = True) -> list[str]:
    """Content words of a CJK run, and "#"-marked bigrams within each stretch of content words.
    new_words: let jieba join characters its dictionary lacks into words (its HMM); key terms do
    not, since it glues a particle onto a question's word ("通知期是多少天" -> 期是) that no passage
    writes ("通知期为14天" -> 期为), and a question would lack a word only for how it was cut."""
    result: list[str] = []
    stretch: list[str] = []
    for word in [*_segmenter().lcut(run, HMM=new_words), None]:
        if word is not None and word not in stop_words:
            result.append(word)
            stretch.append(word)
        elif stretch:
            result.extend("#" + b for b in char_bigrams("".join(stretch)))
            stretch = []
    return result


def terms(text: str) -> list[str]:
    """The lexical terms of text, in order, with repeats (BM25 counts them)."""
    return _terms(normalise(text), EN_STOP_WORDS, ZH_STOP_WORDS)


def _terms(text: str, en_stop: frozenset[str], zh_stop: frozenset[str], new_words: bool = True) -> list[str]:
    result: list[str] = []
    for match in _RUN_RE.finditer(text):
        run = match.group()
        if CJK_RUN_RE.fullmatch(run):
            result.extend(chinese_terms(run, zh_stop, new_words))
        elif run not in en_stop:
            result.append(stem(run))
    return result


def key_terms(text: str) -> list[str]:
    """The terms that say what a question is about: terms() without the words that only say what
    kind of answer is wanted ("how long", "how many", 多少, 多长时间, 哪一年, ...). The answerability
    judge looks for these in the passages: a passage answering "How long does shipping take?"
    says "3-5 business days", not "long" or "take". BM25 keeps them (their IDF is low anyway)."""
    text = _CONTRACTED_NOT_RE.sub(_not_spelled_out, normalise(text))
    text = _PRONOUN_CONTRACTION_RE.sub(" ", text)  # "we've", "they're": grammar, as "we have"
    text = _POSSESSIVE_RE.sub("", text)  # "a child's ticket" is about a child
    text = _AGE_RE.sub(r"\1", text)  # "our 8-year-old": the child's age, a figure (a band may hold it)
    if _EN_DURATION_RE.search(text):
        text = _EN_TAKE_RE.sub(" ", text)  # "how long does it take": take only asks for a duration
    if _EN_AMOUNT_RE.search(text):
        text = _EN_COST_RE.sub(" ", text)
    text = _EN_COUNT_VERB_RE.sub(r"\1", text)
    text = _EN_QUESTION_FRAME_RE.sub(" ", text)
    return _terms(text, EN_KEY_STOP_WORDS, ZH_KEY_STOP_WORDS, new_words=False)


# "Hasn't", "can't", "cannot": the negation is the word that matters, written as the passages
# write it ("has not been resolved", "we cannot accept"), and the verb is a stop word.
_CONTRACTED_NOT_RE = re.compile(r"\b([a-z]+?)n['’]t\b|\bcannot\b")
_IRREGULAR_NOT = {"ca": "can", "wo": "will", "sha": "shall"}
_POSSESSIVE_RE = re.compile(r"(?<=[a-z])['’]s\b")
_AGE_RE = re.compile(r"\b(\d+)[- ]?(?:years?|yrs?)[- ]old\b")
_PRONOUN_CONTRACTION_RE = re.compile(
    r"\b(?:i|you|we|they|he|she|it|that|there|here|what|who|where|how|let)['’](?:m|ve|d|re|ll|s)\b"
)


def _not_spelled_out(match: re.Match[str]) -> str:
    verb = match.group(1)
    if verb is None:
        return "can not"
    return f"{_IRREGULAR_NOT.get(verb, verb)} not"


# English words this long also match a text word they begin, or that begins them: "corona" is
# found in "coronavirus", "disinfect" in "disinfection", "sewers" (sewer) in "sewerage".
MIN_PREFIX = 4


def term_found(term: str, text_terms: set[str]) -> bool:
    """Whether a key term is among a text's key terms, an English one of MIN_PREFIX+ letters also
    as the beginning of one of them or with one of them as its beginning."""
    if term in text_terms:
        return True
    if len(term) < MIN_PREFIX or not term.isascii() or not term.isalpha():
        return False
    return any(prefix_match(term, word) for word in text_terms)


def prefix_match(term: str, word: str) -> bool:
    """Whether two English words of MIN_PREFIX+ letters match as one begins the other (term_found's
    rule for a term that is not among the words as written)."""
    return (
        min(len(term), len(word)) >= MIN_PREFIX
        and term.isascii()
        and term.isalpha()
        and (word.startswith(term) or term.startswith(word))
    )


_SENTENCE_END_RE = re.compile(r"(?<=[。！？；!?;])|(?<=[.])\s+|\n+")


def sentences(text: str) -> list[str]:
    """Rough sentences (Chinese and English ends, line breaks); good enough to score evidence."""
    return [s.strip() for s in _SENTENCE_END_RE.split(text) if s and s.strip()]
