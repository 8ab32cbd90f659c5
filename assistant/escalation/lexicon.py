"""Bilingual intent patterns for escalation: asking for a human, complaints, legal threats, refunds.

Matching runs on the guards' normalised text (NFKC, casefolded, look-alikes and common traditional
characters folded). Patterns describe intent ("I want to file a complaint", "投诉你们"), not mere
mentions ("my complaint was resolved", "human skin", "人工智能"), and a match is void when a
negation cue ("don't", "不用", "不要") sits just before it in the same clause.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.guards.text import normalize
from ingest.text import CJK_CLASS

# Traditional forms in these patterns that the guards' fold table does not cover.
_EXTRA_FOLD = str.maketrans("轉與氣夠塊萬兩實屬釋費構啟聯繫訴", "转与气够块万两实属释费构启联系诉")

_CLAUSE_END = re.compile(r"[,.;:!?，。；：！？、\n]")
_EN_NEGATION = re.compile(r"\b(?:don'?t|do not|doesn'?t|does not|no need|not|never|without|no)\b")
_ZH_NEGATION = re.compile("不用|不要|不需要|不想|不必|无需|没必要|别")
_CJK = re.compile(f"[{CJK_CLASS}]")
_LATIN_WORD = re.compile(r"[a-z0-9']+")


def prepare(text: str) -> str:
    # Phones type curly apostrophes ("don’t", "I’d"); the patterns are written with straight ones.
    return normalize(text).translate(_EXTRA_FOLD).replace("’", "'").replace("‘", "'")


def _negated(text: str, start: int) -> bool:
    """A negation cue in the last four words (or four characters) before start, same clause."""
    clause = _CLAUSE_END.split(text[:start])[-1]
    words = " ".join(clause.split()[-4:])
    return bool(
        _EN_NEGATION.search(words) or _ZH_NEGATION.search(clause[-4:]) or clause.rstrip().endswith("不")
    )


@dataclass(frozen=True)
class Intent:
    """Patterns that express one intent, and patterns whose spans are mentions, not the intent."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    mentions: tuple[re.Pattern[str], ...] = ()

    def find(self, text: str) -> str | None:
        """The first non-negated match in already prepared text, or None."""
        for mention in self.mentions:
            text = mention.sub(lambda m: " " * len(m.group()), text)
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                if not _negated(text, match.start()):
                    return match.group().strip()
        return None

    def spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for p in self.patterns for m in p.finditer(text)]


def _compile(patterns: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


_WHO = (
    r"(?:(?:a|an|the|some|your|one of your)\s+)?(?:real\s+|live\s+|actual\s+|human\s+)?"
    r"(?:human(?:\s+being)?s?|agents?|person|people|representatives?|rep|operator|someone|somebody|"
    r"staff|supervisor|manager|customer\s+(?:service|support)(?:\s+(?:agent|rep|representative|team))?|"
    r"support\s+(?:agent|team|staff))\b"
)

HUMAN_REQUEST = Intent(
    "explicit_request",
    _compile(
        [
            rf"\b(?:talk|speak|chat)(?:ing)?\s+(?:to|with)\s+{_WHO}",
            rf"\b(?:connect|transfer|put|pass|forward|switch)\s+me\s+(?:through\s+|over\s+)?(?:to|with)\s+{_WHO}",
            rf"\b(?:get|give|find)\s+me\s+{_WHO}",
            rf"\b(?:reach|contact|get\s+hold\s+of|get\s+through\s+to)\s+{_WHO}",
            rf"\bget\s+{_WHO}\s+on\s+the\s+(?:phone|line)\b",
            r"\b(?:connect|transfer|put)\s+me\s+(?:through\s+)?(?:to|with)\s+(?:your\s+|the\s+)?support\b",
            r"\b(?:want|need|like|request|prefer)\s+(?:a|an)\s+(?:real|live|actual|human)\s+"
            r"(?:person|agent|human|representative|rep|being)\b",
            r"\b(?:want|need|request|prefer)\s+(?:a\s+|an\s+)?(?:human(?:\s+agent)?|live\s+agent|real\s+person|"
            r"representative)\b",
            r"\bescalate\s+(?:this|me|my\s+(?:case|issue|ticket|request|complaint))\b",
            r"\bis\s+there\s+(?:a|an|any)\s+(?:real\s+|live\s+|actual\s+)?(?:human|person|agent|representative)\s+"
            r"(?:i\s+can|to)\s+(?:talk|speak|chat)",
            r"^(?:please\s+)?(?:a\s+|an\s+)?(?:human|agent|operator|representative|real\s+person|live\s+agent|"
            r"human\s+agent)(?:\s+please|\s+pls|\s+now)?[\s!.?]*$",
            "转人工|转接人工|人工客服|人工服务|人工坐席|人工座席|真人客服",
            "转(?:接)?(?:一下)?(?:在线)?客服|(?:找|联系|要|叫)(?:一下)?(?:在线)?客服(?!电话)|(?:跟|和|与)客服(?:说|聊|沟通|对话)",
            "有没有人工|有人工吗|人工在吗|人工呢",
            "(?:找|要|叫|接|转|换|请|来)(?:个|一个|一下)?人工",
            "(?:和|跟|与|找|要|换|叫|让|接)(?:个|一个)?真人",
            "真人(?:来|回答|回复|跟我|和我|处理|说话|聊|沟通)",
            "(?:找|叫|换|要|让)(?:个|一个)?(?:活人|客服人员|工作人员)",
            "(?:找|叫|让)(?:你们)?(?:的)?(?:主管|经理|领导|负责人)",
            "(?:不要|不想要|不想跟|不想和)机器人",
            "^(?:人工|真人)[!?.。！？]*$",
        ]
    ),
    mentions=_compile(
        [
            r"\b(?:am\s+i|are\s+we)\s+(?:talking|speaking|chatting)\s+(?:to|with)\s+(?:a\s+)?(?:real\s+)?"
            r"(?:human|person|bot|machine|robot|ai)\b",
            r"\bare\s+you\s+(?:a\s+)?(?:real\s+)?(?:human|person|bot|robot|machine|ai)\b",
            r"\b(?:customer\s+service|support|agents?)\s+(?:opening\s+)?(?:hours|phone\s+number|number|email)\b",
            "人工客服(?:的)?(?:工作|上班|服务|在线)?(?:时间|几点|电话|号码|热线)",
            "(?:你|您)是(?:不是)?(?:真人|机器人|人工)",
            "人工智能|真人秀|真人照片|真人实拍|真人图",
        ]
    ),
)

COMPLAINT = Intent(
    "complaint",
    _compile(
        [
            r"\b(?:file|make|lodge|raise|submit|register|open|put\s+in)\s+(?:a\s+|an\s+)?(?:formal\s+|official\s+)?"
            r"complaint\b",
            r"\b(?:i|we)(?:'d\s+like|\s+would\s+like|\s+want|\s+wish|\s+need|'m\s+going|\s+am\s+going|\s+will|'ll)"
            r"\s+(?:to\s+)?complain\b",
            r"\b(?:i|we)(?:'m|\s+am|\s+are|'re)\s+(?:complaining|filing\s+a\s+complaint)\b",
            r"\b(?:formal|official)\s+complaint\b",
            r"\bthis\s+is\s+a\s+complaint\b",
            r"\bcomplaint\s+(?:against|about)\s+(?:you|your|the\s+(?:driver|courier|agent|staff|store|shop))\b",
            r"\b(?:how|where)\s+(?:do|can)\s+i\s+(?:complain|file\s+a\s+complaint|make\s+a\s+complaint)\b",
            r"\b(?:leave|write|post)\s+(?:a\s+)?(?:bad|negative|1-star|one-star|one\s+star)\s+review\b",
            "我(?:要|想|必须|会|得|一定要|就要|现在就)?投诉",
            "投诉(?:你们|你|这个|客服|快递|商家|骑手|店|司机|配送员|这家)",
            "(?:怎么|如何|在哪|哪里|去哪)投诉",
            "(?:去|到|向)[^，。！？,.!?]{1,8}投诉",
            "投诉(?:电话|渠道|方式)",
            "(?:要|必须|肯定|一定)(?:给)?(?:你们)?(?:打|给)?差评",
            "曝光(?:你们|你)",
        ]
    ),
)

LEGAL_THREAT = Intent(
    "legal_threat",
    _compile(
        [
            r"\b(?:sue|suing)\s+(?:you|your|the\s+company|them|this\s+company)\b",
            r"\b(?:my|our)\s+(?:lawyer|attorney|solicitor)s?\s+(?:will|would|is|are|has|have|'ll|says|said|advised|"
            r"is\s+going)\b",
            r"\b(?:contact|call|get|hire|consult|involve|talk\s+to|speak\s+to)\s+(?:a|my|our)\s+(?:lawyer|attorney|solicitor)\b",
            r"\b(?:contact|contacting|call|calling|report(?:ing)?\s+(?:you|this|it)\s+to|complain(?:ing)?\s+to|"
            r"go(?:ing)?\s+to)\s+(?:the\s+)?(?:ftc|bbb|better\s+business\s+bureau|trading\s+standards|"
            r"consumer\s+protection|ombudsman|regulator|police)\b",
            r"\b(?:violat\w*|breach\w*|against)\s+(?:the\s+)?(?:consumer|trade|data\s+protection)\s+(?:law|act|rights)\b",
            r"\blegal\s+(?:action|proceedings|steps)\b",
            r"\b(?:take|taking)\s+(?:you|this|it|them|your\s+company)\s+to\s+court\b",
            r"\bsee\s+you\s+in\s+court\b",
            r"\b(?:file|filing|start|bring)\s+a\s+lawsuit\b",
            r"\bsmall\s+claims\b",
            r"\breport\s+(?:you|this|your\s+(?:company|shop|store))\s+to\s+(?:the\s+)?(?:ftc|bbb|better\s+business"
            r"\s+bureau|authorities|regulator|police|trading\s+standards|consumer\s+protection)",
            "律师函|律师信",
            "(?:找|请|联系|咨询|委托)(?:了)?律师",
            "我(?:的)?律师",
            "起诉|打官司|法院见|(?:上|去)法院",
            "告(?:你们|你|贵公司|商家)",
            "法律(?:途径|手段)|追究.{0,6}法律责任",
            "12315|消协|消费者协会|市场监管|工商局|报警",
        ]
    ),
)

REFUND = Intent(
    "refund",
    _compile(
        [
            r"\b(?:refund(?:ed|s|ing)?|money\s+back|reimburs\w*|chargeback|compensat\w*|pay\s+me\s+back)\b",
            "退款|退钱|退费|退回.{0,3}钱|返还|赔偿|赔钱|补偿",
        ]
    ),
)

# The whole (short) message must be a yes: "可以在包裹里放贺卡吗" starts with 可以 but is a question.
_AFFIRMATIVE_EN = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|y|please|of course|absolutely|go ahead|do it|please do)"
    r"(?: (?:yes|please|pls|thanks|thank you|sure|go ahead|do it|connect me|that would be great|i'd like that))*$"
)
_AFFIRMATIVE_ZH = re.compile(
    "^(?:好|好的|好啊|好吧|是|是的|对|对的|需要|要|要的|需要的|可以|可以的|行|嗯+|转|转吧|麻烦|麻烦了|麻烦转一下|"
    "帮我转|转一下)+(?:谢谢|麻烦了|麻烦你了)?$"
)
_PUNCT = re.compile(r"[\s,.;:!?，。；：！？、~～…]+")


# Function words and the verbs of asking for help: what is left is what the message is about.
EN_STOPWORDS = frozenset(
    "a an the is are was were be been am do does did can could would should will shall may might i me my "
    "we our you your it its this that these those to of for in on at by with about and or but if so how "
    "what when where why which who there any some please pls hi hello thanks thank want need like "
    "talk speak chat get let just".split()
)


def words(text: str) -> int:
    """Size of a message: Latin words plus CJK characters / 2 (a Chinese word is ~2 characters)."""
    return len(_LATIN_WORD.findall(text)) + len(_CJK.findall(text)) // 2


_ZH_FUNCTION_CHARS = frozenset("我你您他她它们的了吗呢吧啊呀么要想请帮是在有个这那就都也还给和跟")


def content_words(text: str) -> int:
    """words() without function words and characters."""
    latin = [w for w in _LATIN_WORD.findall(text) if w not in EN_STOPWORDS]
    cjk = [c for c in _CJK.findall(text) if c not in _ZH_FUNCTION_CHARS]
    return len(latin) + len(cjk) // 2


def is_affirmative(text: str) -> bool:
    """A short yes ("yes please", "好的", "需要") — an answer to the bot's offer of a human."""
    short = _PUNCT.sub(" ", prepare(text)).strip()
    return bool(_AFFIRMATIVE_EN.match(short) or _AFFIRMATIVE_ZH.match(short.replace(" ", "")))


def remainder(text: str, intent: Intent) -> str:
    """The prepared text without the intent's matches: what else the customer said."""
    prepared = prepare(text)
    for start, end in sorted(intent.spans(prepared), reverse=True):
        prepared = prepared[:start] + " " + prepared[end:]
    return prepared


def is_substantive(text: str) -> bool:
    """A message with a question in it, not just "转人工" or "yes please"."""
    if is_affirmative(text):
        return False
    return content_words(remainder(text, HUMAN_REQUEST)) >= 1
