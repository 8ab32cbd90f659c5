"""Facts stated in a text, in English or Chinese: quantities with units, dates, times of day,
yes/no. Pure functions; the answer-level scores (eval.answer_scores) compare them.

A quantity is (dimension, value) in a canonical unit, so surface forms compare equal across
languages and units: "三十天" = "30 days" = "720 hours" (dimension "duration", value in minutes),
"HK$120" = "120港元" (dimension "HKD"), "九折" = "10%" (a discount of 10 percent), "1,200" =
"1200". Dimensions:

  HKD SGD USD EUR GBP CNY   money; "money" is a bare "$", "dollars" or "元": it matches any currency
  TWD AUD NZD CAD MYR MOP   ("NT$1,500" = "新台币1,500元" = "1,500元"; "MOP 928" = "928澳门元")
  percent                   "%", "percent", "百分之", and Chinese discounts ("九五折" = 5 %)
  duration                  minutes (minute, hour, day, week); "working_day" for working/business days
  months                    months and years (a year is 12 months)
  age                       years of age ("18岁", "aged 18")
  data                      megabytes (MB, GB = 1000 MB, TB)
  speed                     kbps (Mbps = 1000 kbps)
  length                    centimetres
  clock                     time of day, minutes after midnight ("10 pm", "晚上10时", "22:00")
  date                      "1 March 2024", "March 1, 2024", "2024-03-01", "2024年3月1日": value
                            yyyymmdd; a lone year (2022, "2022年版") is dimension "year"
  number                    any other number ("4 lines", "SAML 2.0", "1833")

Numbers inside words ("S20", "XS") are not facts; citation markers ([1], 【2】) are removed first.
Chinese numerals are read only before a unit ("十四天", "两年", "三个时段" is not a unit).
"""

from __future__ import annotations

import re
from functools import partial
from dataclasses import dataclass

from eval.text import normalize
from ingest.text import CJK_CLASS

CITATION = re.compile(r"[\[【［]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】］]")


@dataclass(frozen=True)
class Quantity:
    dim: str
    value: float  # in the dimension's canonical unit
    text: str = ""  # the surface form it was read from
    written: float | None = None  # the number as written ("24" of "24 hours"), when it differs

    def key(self) -> tuple[str, float]:
        return (self.dim, round(self.value, 6))


# --- numbers -------------------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_EN_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}


def chinese_number(text: str) -> float | None:
    """三十 -> 30, 十四 -> 14, 一百二十 -> 120, 两 -> 2, 一万二千 -> 12000; None if not a numeral."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS and ch != "万" for ch in text):
        return None
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:  # 万
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
    return float(total + section + (digit or 0))


def _number(text: str) -> float:
    text = text.strip()
    if re.fullmatch(r"[\d,]*\.?\d+", text):
        return float(text.replace(",", ""))
    value = chinese_number(text)
    if value is not None:
        return value
    words = re.split(r"[\s-]+", text.lower())
    if words and all(w in _EN_WORDS for w in words):
        return float(sum(_EN_WORDS[w] for w in words))
    raise ValueError(f"not a number: {text!r}")


_EN_NUMBER_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four"
    r"|five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|hundred)"
)
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CN_NUM = r"[零〇一二两三四五六七八九十百千万]+"
NUM = rf"(?:{_DIGITS}|{_CN_NUM}|\b{_EN_NUMBER_WORD}\b)"

# --- units ----------------------------------------------------------------------------------

_CURRENCY_PREFIX = [
    (r"HK\$|HKD\s?|港币\s?", "HKD"),
    (r"S\$|SGD\s?", "SGD"),
    (r"US\$|USD\s?", "USD"),
    (r"€|EUR\s?", "EUR"),
    (r"£|GBP\s?", "GBP"),
    (r"RMB\s?|CNY\s?|¥|￥", "CNY"),
    (r"NT\$|NTD\s?|TWD\s?|新台币\s?|新台幣\s?|台币\s?", "TWD"),
    (r"(?<![A-Za-z])A\$|AU\$|AUD\s?", "AUD"),
    (r"NZ\$|NZD\s?", "NZD"),
    (r"(?<![A-Za-z])C\$|CA\$|CAD\s?", "CAD"),
    (r"(?<![A-Za-z])RM\s?|MYR\s?", "MYR"),
    (r"MOP\$?\s?|澳门元\s?|澳門元\s?", "MOP"),
    (r"\$", "money"),
]
_CURRENCY_SUFFIX = [
    (r"港元|港币|hong\s+kong\s+dollars?|hkd", "HKD"),
    (r"新元|新加坡元|新币|singapore\s+dollars?|sgd", "SGD"),
    (r"美元|美金|us\s+dollars?|usd", "USD"),
    (r"欧元|euros?|eur", "EUR"),
    (r"英镑|pounds?|gbp", "GBP"),
    (r"人民币|rmb|cny", "CNY"),
    (r"新台币|新台幣|台币|ntd|twd", "TWD"),
    (r"澳元|澳币|australian\s+dollars?|aud", "AUD"),
    (r"加元|加币|canadian\s+dollars?|cad", "CAD"),
    (r"令吉|马币|ringgits?|myr", "MYR"),
    (r"澳门元|澳門元|澳门币|葡币|patacas?|mop", "MOP"),
    (r"dollars?|元|块", "money"),
]
# (pattern after the number, dimension, factor to the canonical unit); longest forms first.
_UNITS: list[tuple[str, str, float]] = [
    (r"working\s+days?|business\s+days?|个工作日|工作日", "working_day", 1),
    (r"minutes?|mins?\b|分钟", "duration", 1),
    (r"hours?|hrs?\b|小时|个小时|個小時", "duration", 60),
    (r"days?|天|日(?![期元])", "duration", 1440),
    (r"weeks?|个星期|星期|周", "duration", 10080),
    (r"months?|个月|個月", "months", 1),
    (r"years?\s+old|岁|歲", "age", 1),
    (r"years?|年(?![版度级])", "months", 12),
    (r"percent|per\s+cent|%|％", "percent", 1),
    (r"TB", "data", 1_000_000),
    (r"GB", "data", 1000),
    (r"MB", "data", 1),
    (r"Mbps", "speed", 1000),
    (r"kbps", "speed", 1),
    (r"cm|厘米|公分", "length", 1),
    (r"mm|毫米", "length", 0.1),
]
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        1,
    )
}
_MONTH_RE = "|".join(_MONTHS)

_DATE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"), "ymd"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\s*,?\s+(\d{{4}})\b", re.I), "dmy"),
    (re.compile(rf"\b({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(\d{{4}})\b", re.I), "mdy"),
]
_YEAR = re.compile(
    r"(?<![\d.,$])(19[5-9]\d|20\d\d)(?![\d.,%])(?:\s*年(?=[版度]|$|[^0-9一二两三四五六七八九十]))?"
)
_CLOCK_PATTERNS = [
    re.compile(r"(?<![\d.])(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m\b\.?", re.I),
    re.compile(
        rf"(上午|早上|早晨|凌晨|中午|下午|晚上|夜间|夜晚)\s*({_DIGITS}|{_CN_NUM})\s*[时点點](?:\s*(\d{{1,2}})\s*分)?"
    ),
    re.compile(r"(?<![\d.])([01]?\d|2[0-3]):([0-5]\d)(?![\d])"),
]
_DISCOUNT = re.compile(r"(\d(?:\.\d)?|\d\d|[一二三四五六七八九][一二三四五六七八九五]?)\s*折")


def strip_citations(text: str) -> str:
    return CITATION.sub(" ", text)


def _dates(text: str) -> tuple[list[Quantity], str]:
    found: list[Quantity] = []

    def take(match: re.Match[str], order: str) -> str:
        a, b, c = match.groups()
        if order == "ymd":
            y, m, d = int(a), int(b), int(c)
        elif order == "dmy":
            d, m, y = int(a), _MONTHS[b.lower()], int(c)
        else:
            m, d, y = _MONTHS[a.lower()], int(b), int(c)
        found.append(Quantity("date", float(y * 10000 + m * 100 + d), match.group(0)))
        return " " * len(match.group(0))

    for pattern, order in _DATE_PATTERNS:
        text = pattern.sub(partial(take, order=order), text)
    return found, text


def _clocks(text: str) -> tuple[list[Quantity], str]:
    found: list[Quantity] = []

    def add(hour: float, minute: float, surface: str) -> str:
        found.append(Quantity("clock", hour * 60 + minute, surface))
        return " " * len(surface)

    def english(m: re.Match[str]) -> str:
        hour = int(m.group(1)) % 12 + (12 if m.group(3).lower() == "p" else 0)
        return add(hour, int(m.group(2) or 0), m.group(0))

    def chinese(m: re.Match[str]) -> str:
        hour = _number(m.group(2)) % 12
        if m.group(1) in ("下午", "晚上", "夜间", "夜晚") or (m.group(1) == "中午" and hour < 3):
            hour += 12
        return add(hour, int(m.group(3) or 0), m.group(0))

    text = _CLOCK_PATTERNS[0].sub(english, text)
    text = _CLOCK_PATTERNS[1].sub(chinese, text)
    text = _CLOCK_PATTERNS[2].sub(lambda m: add(int(m.group(1)), int(m.group(2)), m.group(0)), text)
    return found, text


def _discounts(text: str) -> tuple[list[Quantity], str]:
    found: list[Quantity] = []

    def take(m: re.Match[str]) -> str:
        raw = m.group(1)
        if re.fullmatch(r"[一二三四五六七八九]{1,2}|[一二三四五六七八九]五", raw):
            digits = [_CN_DIGITS[ch] for ch in raw]
            share: float = digits[0] * 10 + (digits[1] if len(digits) > 1 else 0)
        else:
            value = float(raw)
            share = value * 10 if value < 10 else value  # 9折 / 9.5折 -> 90 / 95; 95折 -> 95
        found.append(Quantity("percent", round(100 - share, 6), m.group(0)))
        return " " * len(m.group(0))

    return found, _DISCOUNT.sub(take, text)


_QUANTITY = re.compile(
    rf"(?:(?P<pre>{'|'.join(p for p, _ in _CURRENCY_PREFIX)})\s?|(?<![A-Za-z\d.]))"
    rf"(?P<num>{NUM})(?![\d])"
    rf"(?:[\s-]?(?P<suf>{'|'.join(p for p, _ in _CURRENCY_SUFFIX)}|{'|'.join(p for p, _, _ in _UNITS)}))?",
    re.I,
)
_PERCENT_CN = re.compile(rf"百分之\s*({_DIGITS}|{_CN_NUM})")


def _unit(prefix: str | None, suffix: str | None) -> tuple[str, float] | None:
    if prefix:
        for pattern, code in _CURRENCY_PREFIX:
            if re.fullmatch(pattern, prefix, re.I):
                return code, 1
    if suffix:
        for pattern, code in _CURRENCY_SUFFIX:
            if re.fullmatch(pattern, suffix, re.I):
                return code, 1
        for pattern, dim, factor in _UNITS:
            if re.fullmatch(pattern, suffix, re.I):
                return dim, factor
    return None


def quantities(text: str) -> list[Quantity]:
    """Every fact-bearing number of the text, in canonical units (see the module docstring)."""
    text = strip_citations(text)
    found, text = _dates(text)
    clocks, text = _clocks(text)
    found += clocks
    discounts, text = _discounts(text)
    found += discounts
    for m in _PERCENT_CN.finditer(text):
        found.append(Quantity("percent", _number(m.group(1)), m.group(0)))
    text = _PERCENT_CN.sub(lambda m: " " * len(m.group(0)), text)
    for m in _QUANTITY.finditer(text):
        raw = m.group("num")
        is_digits = bool(re.fullmatch(_DIGITS, raw))
        unit = _unit(m.group("pre"), m.group("suf"))
        if not is_digits and unit is None:
            continue  # Chinese numerals and number words only count before a unit
        value = _number(raw)
        if unit is None:
            year = _YEAR.fullmatch(raw)
            found.append(Quantity("year" if year else "number", value, m.group(0).strip()))
            continue
        dim, factor = unit
        if dim == "months" and is_digits and _YEAR.fullmatch(raw) and (m.group("suf") or "").startswith("年"):
            found.append(Quantity("year", value, m.group(0).strip()))  # 2024年: a year, not 2024 years
            continue
        found.append(Quantity(dim, value * factor, m.group(0).strip(), value if factor != 1 else None))
    return found


_CURRENCIES = {"HKD", "SGD", "USD", "EUR", "GBP", "CNY", "TWD", "AUD", "NZD", "CAD", "MYR", "MOP"}


def compatible(a: str, b: str) -> bool:
    """Whether two dimensions can state the same fact: equal, a bare currency against any
    currency, days against working days, a bare number against anything, a year against a date."""
    if a == b or "number" in (a, b):
        return True
    pair = {a, b}
    if "money" in pair and pair - {"money"} <= _CURRENCIES:
        return True
    return pair in ({"duration", "working_day"}, {"year", "date"}, {"months", "age"})


def _comparable_value(q: Quantity, other: Quantity) -> float:
    if q.dim == "working_day" and other.dim == "duration":
        return q.value * 1440
    if q.dim == "date" and other.dim == "year":
        return float(int(q.value) // 10000)
    if q.dim == "age" and other.dim == "months":
        return q.value * 12
    return q.value


def same_fact(a: Quantity, b: Quantity) -> bool:
    if not compatible(a.dim, b.dim):
        return False
    if "number" in (a.dim, b.dim) and a.dim != b.dim:  # a bare number: the other one as written
        bare, other = (a, b) if a.dim == "number" else (b, a)
        written = other.value if other.written is None else other.written
        return abs(bare.value - written) < 1e-6
    return abs(_comparable_value(a, b) - _comparable_value(b, a)) < 1e-6


def contains_quantity(found: list[Quantity], wanted: Quantity) -> bool:
    """Whether `wanted` is stated among `found`. A bare number in the text counts for a number
    with a unit (a table cell under a "Fee (HK$)" header) and the other way round."""
    return any(same_fact(q, wanted) for q in found)


# --- yes / no -------------------------------------------------------------------------------

_NEGATION_EN = re.compile(
    r"\b(?:no|not|cannot|can't|cant|don't|doesn't|isn't|aren't|won't|never|none|nor|n't|unable)\b|n't\b", re.I
)
_NEGATION_ZH = re.compile(r"[不没無无未非禁恕]")
_LEAD_YES = re.compile(r"^\s*(?:(?:yes|yeah|yep|sure)\b|是的|是|可以|能|会|有)", re.I)
_LEAD_NO = re.compile(r"^\s*(?:no\b|不|没有|无法|否)", re.I)


def polarity(sentence: str) -> str | None:
    """ "yes", "no" or None: a leading yes/no word decides; otherwise "no" when the sentence has
    a negation (not, cannot, 不, 没, 无, 未, ...); a plain statement says neither (None)."""
    text = strip_citations(sentence).strip()
    if _LEAD_NO.match(text):
        return "no"
    if _LEAD_YES.match(text):
        return "yes"
    if _NEGATION_EN.search(text) or _NEGATION_ZH.search(text):
        return "no"
    return None


# --- facts as the questions state them ------------------------------------------------------


@dataclass(frozen=True)
class KeyFact:
    """One key fact of a question: kind "quantity" (with its quantities), "yes_no" (value
    "yes"/"no") or "name" (a string to find)."""

    text: str
    kind: str
    quantities: tuple[Quantity, ...] = ()


def key_fact(text: str) -> KeyFact:
    """How a key fact written in a question record is read: "yes"/"no" (also 是/否), a text that
    is nothing but numbers with units (a quantity), else a name."""
    lowered = text.strip().lower()
    if lowered in ("yes", "是", "可以"):
        return KeyFact(text, "yes_no")
    if lowered in ("no", "否", "不可以"):
        return KeyFact(text, "yes_no")
    found = quantities(text)
    rest = text
    for q in found:
        rest = rest.replace(q.text, " ", 1)
    if found and not re.search(f"[A-Za-z{CJK_CLASS}]", rest.replace("to", "")):
        return KeyFact(text, "quantity", tuple(found))
    return KeyFact(text, "name")


def yes_no_value(fact: KeyFact) -> str:
    return "yes" if fact.text.strip().lower() in ("yes", "是", "可以") else "no"


def mentions(text: str, phrase: str) -> bool:
    """A phrase (alias or name) occurs in the text: as eval.text.contains, or, for a phrase that
    is only numbers with units, every one of its quantities is stated in the text."""
    from eval.text import contains

    if contains(text, phrase):
        return True
    fact = key_fact(phrase)
    if fact.kind != "quantity":
        return False
    found = quantities(text)
    return all(contains_quantity(found, q) for q in fact.quantities)


def normalised_sentence(sentence: str) -> str:
    return normalize(strip_citations(sentence))
