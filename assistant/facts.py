"""Facts a sentence states: numbers with their units, durations, dates, money, ages, percentages,
in English and Chinese, so a claim can be compared with its passage fact by fact.

"30 days", "thirty days", "三十天" and "30天" are the same Fact; "30 hours" or "7 days" are not. A fact
also keeps what the words around it say about it: a rate ("€0.25 per minute", "每月5元") and a bound
("at least 16", "until you are 16", "16岁以上", "30天内"), because "you can ride until you are 16"
against "the minimum age is 16" has the right number and the wrong meaning.
Money is read by assistant.escalation.amounts (one parser of amounts in kefu).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant.escalation.amounts import Amount, find_amounts, parse_zh_numeral
from assistant.retrieval.text import normalise
from ingest.text import CJK_CLASS

# unit word -> (kind, canonical unit, factor to the kind's base unit). Durations that convert
# exactly share a base (minutes; months); "business day" converts to nothing.
_UNITS_EN: dict[str, tuple[str, str, float]] = {}
_UNITS_ZH: dict[str, tuple[str, str, float]] = {}


def _units(table: dict[str, tuple[str, str, float]], words: str, kind: str, unit: str, factor: float) -> None:
    for word in words.split("|"):
        table[word] = (kind, unit, factor)


_units(_UNITS_EN, "second|seconds|sec|secs", "duration", "minute", 1 / 60)
_units(_UNITS_EN, "minute|minutes|min|mins", "duration", "minute", 1)
_units(_UNITS_EN, "hour|hours|hr|hrs|h", "duration", "minute", 60)
_units(_UNITS_EN, "day|days|calendar day|calendar days", "duration", "minute", 1440)
_units(
    _UNITS_EN,
    "business day|business days|working day|working days|workday|workdays",
    "duration",
    "business_day",
    1,
)
_units(_UNITS_EN, "week|weeks", "duration", "minute", 10080)
_units(_UNITS_EN, "month|months", "duration", "month", 1)
_units(_UNITS_EN, "year|years", "duration", "month", 12)
_units(_UNITS_EN, "km|kms|kilometre|kilometres|kilometer|kilometers", "distance", "metre", 1000)
_units(_UNITS_EN, "m|metre|metres|meter|meters", "distance", "metre", 1)
_units(_UNITS_EN, "cm|centimetre|centimetres|centimeter|centimeters", "distance", "metre", 0.01)
_units(_UNITS_EN, "mile|miles|mi", "distance", "mile", 1)
_units(_UNITS_EN, "km/h|kmh|kph|kilometres per hour|kilometers per hour", "speed", "km/h", 1)
_units(_UNITS_EN, "mph|miles per hour", "speed", "mph", 1)
# A connection's speed: "your speed drops to 256 kbps" answers "how fast is it then?".
_units(_UNITS_EN, "kbps|kbit/s", "speed", "kbps", 1)
_units(_UNITS_EN, "mbps|mbit/s", "speed", "kbps", 1000)
_units(_UNITS_EN, "gbps|gbit/s", "speed", "kbps", 1000000)
_units(_UNITS_EN, "kg|kgs|kilogram|kilograms|kilo|kilos", "weight", "gram", 1000)
_units(_UNITS_EN, "g|gram|grams", "weight", "gram", 1)
_units(_UNITS_EN, "lb|lbs", "weight", "pound", 1)
_units(_UNITS_EN, "%|percent|per cent", "percent", "%", 1)
_units(_UNITS_EN, "gb|gigabyte|gigabytes", "data", "mb", 1024)
_units(_UNITS_EN, "mb|megabyte|megabytes", "data", "mb", 1)
_units(_UNITS_EN, "mah", "charge", "mah", 1)
_units(_UNITS_EN, "w|watt|watts", "power", "w", 1)
_units(_UNITS_EN, "kw|kilowatt|kilowatts", "power", "w", 1000)
_units(_UNITS_EN, "kwh|kilowatt-hour|kilowatt-hours|kilowatt hour|kilowatt hours", "energy", "kwh", 1)
_units(_UNITS_ZH, "秒|秒钟", "duration", "minute", 1 / 60)
_units(_UNITS_ZH, "分钟|分", "duration", "minute", 1)
_units(_UNITS_ZH, "小时|个小时|钟头|个钟头", "duration", "minute", 60)
_units(_UNITS_ZH, "天|日", "duration", "minute", 1440)
_units(_UNITS_ZH, "个工作日|工作日", "duration", "business_day", 1)
_units(_UNITS_ZH, "周|个星期|星期|礼拜|个礼拜", "duration", "minute", 10080)
_units(_UNITS_ZH, "个月", "duration", "month", 1)
_units(_UNITS_ZH, "年", "duration", "month", 12)
_units(_UNITS_ZH, "公里|千米", "distance", "metre", 1000)
_units(_UNITS_ZH, "米", "distance", "metre", 1)
_units(_UNITS_ZH, "厘米", "distance", "metre", 0.01)
_units(_UNITS_ZH, "英里", "distance", "mile", 1)
_units(_UNITS_ZH, "公里/小时|公里每小时|千米/小时|千米每小时", "speed", "km/h", 1)
_units(_UNITS_ZH, "公斤|千克", "weight", "gram", 1000)
_units(_UNITS_ZH, "克", "weight", "gram", 1)
_units(_UNITS_ZH, "岁|周岁", "age", "year", 1)
_units(_UNITS_ZH, "千瓦", "power", "w", 1000)
_units(_UNITS_ZH, "瓦", "power", "w", 1)
_units(_UNITS_ZH, "千瓦时|度电", "energy", "kwh", 1)

_EN_NUMBER_WORDS = {
    "zero": 0,
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
    "a": 1,
    "an": 1,
    "a single": 1,
}
_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            "jan|january",
            "feb|february",
            "mar|march",
            "apr|april",
            "may",
            "jun|june",
            "jul|july",
            "aug|august",
            "sep|sept|september",
            "oct|october",
            "nov|november",
            "dec|december",
        ],
        1,
    )
    for m in names.split("|")
}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORD_NUMBER = (
    r"(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ](?:one|two|three|four|five|six|seven|eight|nine)"
    rf"|{_alternation(_EN_NUMBER_WORDS)}"
)
_ZH_NUMBER = r"[零一二两三四五六七八九十百千万]+"
_RANGE = r"\s*(?:-|–|—|~|to|至|到)\s*"
# A number (digits or a number word), an optional range partner, then a unit.
# Not inside a word or a decimal; a Chinese character may come before ("价格15%", "每月5GB").
_EN_QUANTITY = re.compile(
    rf"(?<![^\W{CJK_CLASS}])(?<!\.)(?P<num>{_DIGITS}|{_WORD_NUMBER})(?:{_RANGE}(?P<num2>{_DIGITS}|{_WORD_NUMBER}))?"
    rf"[\s-]?(?P<unit>{_alternation(_UNITS_EN)})(?![a-z])"
)
_ZH_QUANTITY = re.compile(
    rf"(?P<num>{_DIGITS}|{_ZH_NUMBER})(?:{_RANGE}(?P<num2>{_DIGITS}|{_ZH_NUMBER}))?\s?(?P<unit>{_alternation(_UNITS_ZH)})"
)
_ZH_PERCENT = re.compile(rf"百分之(?P<num>{_DIGITS}|{_ZH_NUMBER})")
# Not the digits of a model code ("LH-300", "X2") nor a status or error code ("HTTP status 429"):
# those are names, checked as such. A Chinese character before the digits is no code ("每件包裹最多
# 2个" states 2; Python's \w would match 多).
_BARE_NUMBER = re.compile(
    rf"(?<![a-zA-Z0-9_.])(?<![a-z]-)(?<!status )(?<!code )(?<!error )(?<!#)(?P<num>{_DIGITS})(?![\d]|-?[a-z]\d)"
)
_ISO_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")
_ZH_DATE = re.compile(r"(?:(?P<y>(?:19|20)\d\d)\s?年\s?)?(?P<m>\d{1,2})\s?月\s?(?P<d>\d{1,2})\s?[日号]")
_ZH_YEAR = re.compile(r"(?P<y>(?:19|20)\d\d)\s?年(?!\s?\d{1,2}\s?月)")
_YEAR_AFTER = r",?(?:\s+(?P<y>(?:19|20)\d\d))?"
_EN_DATE_DMY = re.compile(
    rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_alternation(_MONTHS)})\b\.?{_YEAR_AFTER}"
)
_EN_DATE_MDY = re.compile(
    rf"\b(?P<mon>{_alternation(_MONTHS)})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b{_YEAR_AFTER}"
)

# A time of day: "10 am", "7:30 p.m.", "18:00", "上午8时", "晚上11点半"; its value is minutes after midnight.
_EN_CLOCK = re.compile(
    r"(?<![\d.:])(?P<h>\d{1,2})(?::(?P<m>[0-5]\d))?\s*(?P<half>a\.?m\.?|p\.?m\.?)(?![a-z])"
    r"|(?<![\d.:])(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)(?![\d:])"
)
_ZH_CLOCK = re.compile(
    r"(?P<part>上午|早上|清晨|中午|下午|晚上|傍晚|凌晨)?\s?(?P<h>\d{1,2}|[一二三四五六七八九十]{1,3})\s?[时点]"
    r"(?:\s?(?P<m>\d{1,2})\s?分|(?P<half>半))?"
)
_ZH_AFTERNOON = ("中午", "下午", "晚上", "傍晚")
# A Chinese discount says what share of the price is paid: 九折 is 90%, 九五折 95%, 8.5折 85%.
_ZH_DISCOUNT = re.compile(
    r"(?<![\d.])(?P<a>\d|[一二三四五六七八九])(?:\.?(?P<b>\d|[一二三四五六七八九]))?\s?折"
)

# A rate after the quantity: "€0.25 per minute", "5 GB a month", "/min"; before it: "每分钟0.5元",
# "monthly fee of €5".
_PERIODS = {
    "second": "second",
    "minute": "minute",
    "min": "minute",
    "hour": "hour",
    "hr": "hour",
    "day": "day",
    "week": "week",
    "month": "month",
    "mo": "month",
    "year": "year",
    "yr": "year",
    "km": "km",
    "kilometre": "km",
    "kilometer": "km",
    "mile": "mile",
    "kwh": "kwh",
    "gb": "gb",
    "ride": "ride",
    "trip": "ride",
    "person": "person",
    "order": "order",
    "item": "item",
    "night": "night",
}
_PERIODS_ZH = {
    "秒": "second",
    "分钟": "minute",
    "小时": "hour",
    "天": "day",
    "日": "day",
    "周": "week",
    "月": "month",
    "个月": "month",
    "年": "year",
    "公里": "km",
    "次": "ride",
    "人": "person",
    "单": "order",
}
_ADVERB_PERIODS = {
    "hourly": "hour",
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
    "per-minute": "minute",
}
_RATE_AFTER = re.compile(rf"^\s*(?:per|a|an|each|every|/)\s*(?P<p>{_alternation(_PERIODS)})s?\b")
_RATE_AFTER_ZH = re.compile(rf"^\s*(?:/|每)\s*(?P<p>{_alternation(_PERIODS_ZH)})")
_RATE_BEFORE_ZH = re.compile(rf"每\s*(?:个)?(?P<p>{_alternation(_PERIODS_ZH)})[^，。；,.;]{{0,6}}$")
_RATE_BEFORE_EN = re.compile(rf"\b(?P<a>{_alternation(_ADVERB_PERIODS)})\b[^.;,\n]{{0,24}}$")

# A bound on the quantity, said before it ("at least 16", "up to 60 km", "至少16岁") or after it
# ("16 or older", "16岁以上", "30天内").
_MIN_BEFORE = re.compile(
    r"\b(?:at least|minimum|min\.?|no less than|not less than|(?<!no )(?<!not )more than|over|above|older than|"
    r"from the age of|starting at|starting from|from)\b[^.;\n]{0,24}$|(?:至少|最少|最低|不少于|不低于|满|起码)[^。；\n]{0,6}$"
    r"|(?<![不没])(?:超过|超出|多于|高于|大于)[^。；\n]{0,6}$"
)
_MAX_BEFORE = re.compile(
    r"\b(?:at most|up to|maximum|max\.?|no more than|not more than|less than|under|below|until|till|"
    r"younger than|within|no later than)\b[^.;\n]{0,24}$|(?:最多|最长|至多|最高|不超过|不超|上限|以内)[^。；\n]{0,6}$"
)
_MIN_AFTER = re.compile(
    r"^\s*(?:\+|or (?:older|more|over|above|longer)|and (?:older|over|above|up))|^\s*(?:以上|及以上|或以上|起)"
)
_MAX_AFTER = re.compile(
    r"^\s*(?:or (?:less|younger|under|below|fewer|earlier)|at (?:the )?(?:most|latest))|^\s*(?:以下|及以下|以内|之内|内|或以下)"
)
# The number is an age: "aged 16", "age is 16", "you are 16", "16 years old", "16岁".
_AGE_BEFORE = re.compile(
    r"\b(?:age|aged|ages|you are|you're|are at least|be at least|turn|turned|turns)\b[^.;\n]{0,16}$"
)
_AGE_AFTER = re.compile(r"^\s*(?:years?|yrs?)[\s-]*old|^\s*(?:or older|and (?:older|over))")
_YEARS_OLD_AFTER = re.compile(r"^[\s-]*(?:old|of age|or older|and older)\b")


# The unit of money written with a mark that names no currency ("1,500元", "$5"): it is the same
# amount as one in any currency ("NT$1,500").
ANY_CURRENCY = "money"


@dataclass(frozen=True)
class Fact:
    kind: str  # duration | money | distance | speed | weight | percent | age | date | data | number | ...
    value: float  # in the kind's base unit (minutes, months, metres, grams); dates: yyyymmdd
    unit: str  # canonical unit: "minute", "month", "business_day", "metre", "EUR", "%", "" (bare)
    text: str  # as written
    start: int
    end: int
    per: str | None = None  # a rate's denominator: "minute", "month", "km"
    bound: str | None = None  # "min" (at least, or older, 以上) | "max" (up to, until, 以内)
    number: float | None = None  # the number as written, before unit conversion ("30" of "30 days")

    def same_quantity(self, other: Fact) -> bool:
        """Same kind, unit and value (after converting units); a bare number matches by value, an
        amount in ANY_CURRENCY one in any currency."""
        if self.kind == "date" or other.kind == "date":
            return self.kind == other.kind and _same_date(int(self.value), int(other.value))
        if self.kind == "number" or other.kind == "number":
            return abs(self.raw - other.raw) < 1e-9
        if self.kind != other.kind:
            return False
        if self.unit != other.unit and not (self.kind == "money" and ANY_CURRENCY in (self.unit, other.unit)):
            return False
        return abs(self.value - other.value) <= 1e-9 * max(1.0, abs(self.value))

    @property
    def raw(self) -> float:
        """The number as written, before unit conversion."""
        return self.value if self.number is None else self.number


def _same_date(a: int, b: int) -> bool:
    """Dates as yyyymmdd; a missing year (0) or day (00) matches any."""
    ya, ma, da = a // 10000, a // 100 % 100, a % 100
    yb, mb, db = b // 10000, b // 100 % 100, b % 100
    return (ya == yb or 0 in (ya, yb)) and (ma == mb or 0 in (ma, mb)) and (da == db or 0 in (da, db))


def _number_value(text: str) -> float | None:
    text = text.strip().lower()
    if re.fullmatch(_DIGITS, text):
        return float(text.replace(",", ""))
    if re.fullmatch(_ZH_NUMBER, text):
        return parse_zh_numeral(text)
    parts = re.split(r"[- ]", text)
    if text in _EN_NUMBER_WORDS:
        return float(_EN_NUMBER_WORDS[text])
    if all(p in _EN_NUMBER_WORDS for p in parts):
        return float(sum(_EN_NUMBER_WORDS[p] for p in parts))
    return None


def find_facts(text: str) -> list[Fact]:
    """Every fact stated in text, in order; spans index normalise(text)."""
    text = normalise(text)
    facts: list[Fact] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return not any(start < e and s < end for s, e in taken)

    def add(fact: Fact) -> None:
        facts.append(fact)
        taken.append((fact.start, fact.end))

    for pattern in (_ISO_DATE, _ZH_DATE, _EN_DATE_DMY, _EN_DATE_MDY):
        for m in pattern.finditer(text):
            if free(m.start(), m.end()):
                groups = m.groupdict()
                month = groups.get("m") or _MONTHS.get((groups.get("mon") or "").rstrip("."), 0)
                stamp = int(m["y"] or 0) * 10000 + int(month) * 100 + int(m["d"])
                add(Fact("date", float(stamp), "date", m.group(), m.start(), m.end()))
    for m in _EN_CLOCK.finditer(text):
        if free(m.start(), m.end()):
            if m["h24"] is not None:
                minutes = int(m["h24"]) * 60 + int(m["m24"])
            else:
                hour = int(m["h"]) % 12 + (12 if m["half"].startswith("p") else 0)
                minutes = hour * 60 + int(m["m"] or 0)
            if minutes < 24 * 60:
                add(Fact("time", float(minutes), "time", m.group(), m.start(), m.end()))
    for m in _ZH_CLOCK.finditer(text):
        hour_value = _number_value(m["h"])
        # A Chinese numeral only after a part of the day: 一点 alone is "a little".
        spelt = not m["h"].isdigit() and m["part"] is None
        if hour_value is not None and hour_value < 24 and not spelt and free(m.start(), m.end()):
            hour = int(hour_value) + (12 if m["part"] in _ZH_AFTERNOON and hour_value < 12 else 0)
            minutes = hour * 60 + (30 if m["half"] else int(m["m"] or 0))
            add(Fact("time", float(minutes), "time", m.group(), m.start(), m.end()))
    for m in _ZH_DISCOUNT.finditer(text):
        tens, units = _number_value(m["a"]), _number_value(m["b"]) if m["b"] else 0.0
        if tens is not None and units is not None and free(m.start(), m.end()):
            share = tens * 10 + units
            add(Fact("percent", share, "%", m.group(), m.start(), m.end(), number=share))
    for m in _ZH_YEAR.finditer(text):
        if free(m.start(), m.end()):
            add(Fact("date", float(int(m["y"]) * 10000), "date", m.group(), m.start(), m.end()))
    for amount, (start, end) in _amounts_with_spans(text):
        if free(start, end):
            currency = ANY_CURRENCY if amount.bare else amount.currency
            add(_described(text, Fact("money", amount.value, currency, text[start:end], start, end)))
    for pattern, table in ((_ZH_QUANTITY, _UNITS_ZH), (_EN_QUANTITY, _UNITS_EN)):
        for m in pattern.finditer(text):
            unit_word = m["unit"]
            if not free(m.start(), m.end()) or _false_unit(text, m, unit_word):
                continue
            if m["num"] in ("a", "an", "a single") and any(0 <= m.start() - f.end <= 2 for f in facts):
                continue  # "24 hours a day", "€5 a month": a rate of the quantity before it
            kind, unit, factor = table[unit_word]
            for group in ("num", "num2"):
                value = _number_value(m[group]) if m[group] else None
                if value is not None:
                    fact = Fact(kind, value * factor, unit, m.group(), m.start(), m.end(), number=value)
                    add(_described(text, fact))
            taken.append((m.start(), m.end()))
    for m in _ZH_PERCENT.finditer(text):
        value = _number_value(m["num"])
        if value is not None and free(m.start(), m.end()):
            add(Fact("percent", value, "%", m.group(), m.start(), m.end(), number=value))
    for m in _BARE_NUMBER.finditer(text):
        if free(m.start(), m.end()):
            value = float(m["num"].replace(",", ""))
            before, after = text[max(0, m.start() - 40) : m.start()], text[m.end() : m.end() + 20]
            if _AGE_BEFORE.search(before) or _AGE_AFTER.match(after):
                add(_described(text, Fact("age", value, "year", m.group(), m.start(), m.end())))
            elif 1900 <= value <= 2099 and "." not in m["num"]:
                add(Fact("date", value * 10000, "date", m.group(), m.start(), m.end()))
            else:
                add(_described(text, Fact("number", value, "", m.group(), m.start(), m.end())))
    return sorted(facts, key=lambda f: f.start)


def _amounts_with_spans(text: str) -> list[tuple[Amount, tuple[int, int]]]:
    """find_amounts gives values in order; locate each one's text to know its span."""
    spans = []
    cursor = 0
    for amount in find_amounts(text):
        start = text.find(amount.text, cursor)
        if start < 0:
            continue
        spans.append((amount, (start, start + len(amount.text))))
        cursor = start + len(amount.text)
    return spans


def _false_unit(text: str, m: re.Match[str], unit_word: str) -> bool:
    """Single letters and 分/日/年 are units only in clear places: "5 m" yes, "a m" no;
    "2024年" is a year, "3月1日" a date (taken before), "a day" needs its article."""
    number = m["num"]
    if number in ("a", "an", "a single") and _UNITS_EN.get(unit_word, ("",))[0] != "duration":
        return True
    if unit_word in ("m", "g", "h", "w", "mi", "min") and not re.fullmatch(_DIGITS, number):
        return True
    if unit_word == "年" and re.fullmatch(r"(?:19|20)\d\d", number):
        return True
    if unit_word == "分" and text[m.end() : m.end() + 1] == "之":
        return True
    return False


def _described(text: str, fact: Fact) -> Fact:
    """The fact with the rate and bound the words around it give."""
    before = text[max(0, fact.start - 40) : fact.start]
    after = text[fact.end : fact.end + 24]
    per = None
    for pattern in (_RATE_AFTER, _RATE_AFTER_ZH):
        if (m := pattern.match(after)) is not None:
            per = _PERIODS.get(m["p"]) or _PERIODS_ZH.get(m["p"])
            break
    else:
        if (m := _RATE_BEFORE_ZH.search(before)) is not None:
            per = _PERIODS_ZH[m["p"]]
        elif fact.kind == "money" and (m := _RATE_BEFORE_EN.search(before)) is not None:
            per = _ADVERB_PERIODS[m["a"]]
    bound = None
    if _MIN_AFTER.match(after) or _MIN_BEFORE.search(before):
        bound = "min"
    if _MAX_AFTER.match(after) or (bound is None and _MAX_BEFORE.search(before)):
        bound = "max"
    if (
        fact.kind == "duration"
        and fact.unit == "month"
        and (_YEARS_OLD_AFTER.match(after) or _AGE_BEFORE.search(before))
    ):
        # "16 years old", "aged 16 years": an age, comparable with "the minimum age is 16"
        return Fact("age", fact.raw, "year", fact.text, fact.start, fact.end, per, bound, fact.raw)
    return Fact(fact.kind, fact.value, fact.unit, fact.text, fact.start, fact.end, per, bound, fact.number)


# What a question asks for, by the kind of fact that answers it.
_ASKS_EN = (
    (
        # "How far ahead do I need to book?" asks a lead time, not a distance.
        re.compile(
            r"\bhow (?:long|soon|quickly|many (?:days|hours|weeks|months|years|minutes))\b"
            r"|\bhow (?:far|long|much) (?:ahead|in advance|beforehand)\b"
        ),
        {"duration", "date"},
    ),
    (
        re.compile(
            r"\bhow much\b(?!\s+(?:data|storage|space|memory|time|longer|notice|weight|battery|luggage|baggage"
            r"|in advance|ahead|beforehand))"
            r"|\b(?:price|prices|cost|costs|fee|fees|charge|charged|billed|rate|tariff)\b"
            # A threshold or minimum spend is an amount ("the free shipping threshold").
            r"|\b(?:threshold|minimum (?:spend|order|purchase))\b"
            # "What do I pay for it?" asks an amount; "Can I pay my bill at 7-Eleven?", "How do I
            # pay?", "Do I pay with PayPal?" ask for a way to pay.
            r"|(?<!can i )(?<!can we )(?<!how do i )\bpay\b(?!\s+(?:with|by|using|via|through|online|at|in)\b)"
        ),
        {"money", "percent"},
    ),
    # "How many webhooks...?" asks a count; "how many days" a duration (above).
    (
        re.compile(r"\bhow many\b(?!\s+(?:days|hours|weeks|months|years|minutes|seconds|gb|mb|km)\b)"),
        {"number"},
    ),
    (re.compile(r"\bhow much (?:data|storage|space|memory)\b"), {"data"}),
    # "How much luggage can I check in?" is answered by a weight or a number of bags, not a fare.
    (re.compile(r"\bhow much (?:luggage|baggage)\b"), {"weight", "number"}),
    # "How often does the shuttle run?" is answered by a period ("every 30 minutes").
    (re.compile(r"\bhow often\b|\bhow frequent(?:ly)?\b"), {"duration"}),
    (re.compile(r"\bdiscounts?\b"), {"money", "percent"}),
    # A time of day: "What time does the counter close?", "opening hours", "when does the last
    # bus leave?" (a "when" asks a date or a period too: below).
    (
        re.compile(
            r"\bwhat time\b|\b(?:opening|business|office|service) hours\b"
            r"|\bwhen (?:does|do|is|are|will)\b[^?]{0,40}\b(?:open|opens|close|closes|closed|leave|leaves"
            r"|depart|departs|start|starts|begin|begins|end|ends|finish|finishes)\b"
        ),
        {"time"},
    ),
    (re.compile(r"\bhow much (?:time|longer|notice)\b"), {"duration"}),
    # "The return window", "the deadline for claims": a period, or the date it ends.
    (re.compile(r"\b(?:window|deadline|timeframe|time frame|time limit)\b"), {"duration", "date"}),
    (re.compile(r"\bhow far\b(?! (?:ahead|in advance|beforehand)\b)|\b(?:range|distance)\b"), {"distance"}),
    # A size is lengths: "56 × 36 × 23 cm".
    (
        re.compile(
            r"\bhow (?:big|large|long|wide|tall|high)\b.{0,20}\b(?:bag|box|suitcase|parcel|item)\b"
            r"|\b(?<!team )(?<!group )(?<!file )(?<!class )(?:size|dimensions?)\b"
        ),
        {"distance"},
    ),
    (re.compile(r"\bhow old\b|\b(?:age|aged)\b"), {"age"}),
    (re.compile(r"\bhow heavy\b|\bweight\b|\bweigh\b"), {"weight"}),
    (re.compile(r"\bhow fast\b|\b(?:speed|top speed)\b"), {"speed"}),
    # A rooftop system's or a charger's size is its power: "up to 30 kW".
    (
        re.compile(
            r"\bcapacity\b|\bhow (?:many|much) (?:kw|kilowatts?|watts?)\b|\bwattage\b|\bhow powerful\b"
        ),
        {"power"},
    ),
)
_ASKS_ZH = (
    (
        re.compile(r"多久|多长时间|期(?:限)?(?:有|是)?多长|几天|多少天|几个小时|多少小时|几个月"),
        {"duration", "date"},
    ),
    (
        re.compile(r"多少钱|价格|费用|收费|多少元|几块|价钱|资费|面额|面值|金额|门槛|最低消费"),
        {"money", "percent"},
    ),
    (
        re.compile(
            r"(?:多少|几)(?:个(?!月|小时|星期|工作日|钟)|次|位|名|人|条|张|台|部|间|项|款|件|份|本|只|箱|包)"
        ),
        {"number"},
    ),
    (re.compile(r"折扣|几折|优惠多少"), {"money", "percent"}),
    (re.compile(r"几点|营业时间|开放时间|办公时间|服务时间|几时(?:开|关|营业)"), {"time"}),
    (re.compile(r"多远|续航|距离|多少公里|尺寸|尺码|多大的|长宽高|多少厘米|多少公分"), {"distance"}),
    (re.compile(r"几岁|年龄|多大年纪"), {"age"}),
    (re.compile(r"多重|重量|最重|(?:多少|几)(?:公斤|千克|斤)"), {"weight"}),
    (re.compile(r"多快|速度|时速"), {"speed"}),
    # "系统最大可以装多大？": a system's size is its power; a bag's, its lengths; a plan's, its data.
    (re.compile(r"功率|装机容量|多少千瓦|多少瓦"), {"power"}),
    (re.compile(r"多大(?!年纪|的)"), {"distance", "power", "data"}),
    (re.compile(r"多久一次|多长时间一次|多频繁|多久一班|几分钟一班"), {"duration"}),
)


# "最多能代收多少？": a limit asked with a bare 多少, of no kind named otherwise, is an amount or a count.
# A bare "要多少？" closing a question asks what it costs ("另外选一个前排座位要多少？").
_ASKS_COST_ZH = re.compile(r"(?:要|需要|得|收|付|花)多少[？?]?$")
_ASKS_LIMIT_ZH = re.compile(r"(?:最多|最高|最少|最低|至少|上限|下限)[^，。？?]*多少[？?]?$")


# "When" is answered by a date or a duration ("when will my refund arrive": "within 5 days");
# a question for a point in time by a date only ("when did the 2024 policy take effect" ->
# "effective from 1 January 2024", not "cancel within 14 days"): past events ("when did", "when
# was"), coming into force, start dates, "which day".
# A "when" inside a clause joins it to another ("Do I have to pay a deposit when I open an
# account?" asks no time); one opening a question or clause asks it ("..., and when does it
# open?"), as does one after a verb of telling or knowing ("can you tell me when it opens?").
_ASKS_WHEN = re.compile(
    r"(?:^|[,;:.?!，；：。？！]\s*|\b(?:and|but|so|or|until|till|since|by|from)\s+"
    r"|\b(?:tell (?:me|us)|know|ask|find out|say|check|wondering|wonder)\s+)when\b|什么时候|何时|几时"
)
_ASKS_DATE = re.compile(
    r"\bwhen (?:did|was|were|had)\b|\b(?:take|takes|took|taken|taking|come|comes|came) (?:into )?(?:effect|force)\b"
    r"|\b(?:become|became|becomes) effective\b|\b(?:effective|start|starting|end|expiry|launch|release) date\b"
    r"|\b(?:what|which) (?:date|day)\b|\bsince when\b"
    r"|(?:何时|什么时候|几时|哪天|哪一天)(?:开始|起|生效|实施|施行)|生效日期|起始日期|开始日期|从什么时候|几月几[日号]|什么日期|哪一天"
)


# "When do you warn me that my balance is running low?" asks what sets the notice off as much as a
# time: "we send you an SMS when the balance falls below ¥50" answers it, stating neither. So does
# "When does the prepaid gas card meter warn me?" ("when 10 m³ of gas is left"), whatever warns.
_ASKS_WHEN_NOTICE = re.compile(
    r"\bwhen (?:do|does|will|would) (?:[\w'-]+\s+){1,5}?"
    r"(?:(?:warn|notify|remind|alert|text|email|tell)\s+(?:me|us|you|customers)|let (?:me|us) know)\b"
)


def asked_kinds(question: str) -> set[str]:
    """The kinds of fact that answer a question: {"duration", "date"} for "how long", {"date"}
    for "when did it take effect", {"money", "percent"} for "how much", {"distance"} for "what is
    the range"; empty when it asks for none."""
    lowered = normalise(question)
    asked: set[str] = set()
    for pattern, kinds in (*_ASKS_EN, *_ASKS_ZH):
        if pattern.search(lowered):
            asked |= kinds
    if _ASKS_DATE.search(lowered):
        asked.add("date")
    elif _ASKS_WHEN.search(lowered) and not _ASKS_WHEN_NOTICE.search(lowered):
        asked |= {"duration", "date"}
    if not asked and _ASKS_LIMIT_ZH.search(lowered):
        asked = {"money", "percent", "number"}
    elif not asked and _ASKS_COST_ZH.search(lowered):
        asked = {"money", "percent"}
    return asked


# "500 to 1,999 parcels a month", "3-5 天", "100至499件": a band a text states.
# "5 to 11", "29 weeks to the end of 36 weeks", "5至11岁".
_BAND_RE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:[a-z]+\s+)?(?:to|-|–|—|~|～|至|到)\s*(?:the end of\s+)?(\d+(?:\.\d+)?)"
)
# "5 rooms or more", "5+ rooms", "at least 5", "5间或以上", "超过5间": a band open above ("不超过10公斤"
# is the band below).
_OPEN_BAND_RE = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:[a-z]+\s+){0,2}or more\b|(\d+(?:\.\d+)?)\s*\+"
    r"|(?<!no )(?<!not )\b(?:at least|more than|over)\s+(\d+(?:\.\d+)?)"
    rf"|(\d+(?:\.\d+)?)\s*[{CJK_CLASS}]{{0,2}}(?:或以上|及以上|以上)|(?<![不没])(?:超过|至少|多于)\s*(\d+(?:\.\d+)?)"
)
# A rate's "a month", "per day": how a tariff counts, not a figure of the customer's.
_RATE_ARTICLE_RE = re.compile(r"(?:a|an|per|every|each)\b", re.IGNORECASE)


def stated_bands(text: str) -> list[tuple[float, float]]:
    """The numeric bands (low, high) a text states; a band open above ends at infinity."""
    lowered = normalise(text).replace(",", "")
    closed = [(float(a), float(b)) for a, b in _BAND_RE.findall(lowered) if float(a) < float(b)]
    open_above = [(float(next(g for g in m if g)), math.inf) for m in _OPEN_BAND_RE.findall(lowered)]
    return closed + open_above


def customer_figures(text: str) -> list[Fact]:
    """The figures a customer states of their case ("I'm 16", "about 600 parcels a month", "a
    block of 6 rooms"): not a date or year, which names an edition ("2023年版"), nor a rate's "a
    month", which every band of a monthly tariff says."""
    return [f for f in find_facts(text) if f.kind != "date" and not _RATE_ARTICLE_RE.match(f.text)]


def states_band_of(text: str, figures: Sequence[Fact]) -> bool:
    """Whether the text states a band holding one of the figures ("5 rooms or more" for 6)."""
    bands = stated_bands(text)
    return bool(bands) and any(_case_in_band(f, bands) for f in figures)


def _case_in_band(figure: Fact, bands: list[tuple[float, float]]) -> bool:
    """Whether the customer's case lies in a band: a figure with a bound is the side of it the
    customer is on ("超过230度的那部分" is the band from 231, not "0至230"; "below 95%" not "95% or
    more"), a plain figure its value."""
    if figure.bound is None:
        return in_band(figure.raw, bands)
    try:
        value = float(figure.raw)
    except ValueError:
        return False
    if figure.bound == "min":
        return any(low <= value < high or value < low <= value + 1 for low, high in bands)
    return any(low < value <= high or value - 1 <= high < value for low, high in bands)


def within_limits(figure: Fact, limits: Iterable[Fact]) -> bool:
    """Whether the figure keeps one of the limits (a text's facts, find_facts) of its kind: a
    4-year-old is within "children under 5 years old", 30 weeks within "at least 28 weeks"."""
    if figure.kind in ("number", "date"):
        return False  # a bare number or a date has no side of a limit
    return any(
        limit.kind == figure.kind
        and (limit.unit == figure.unit or figure.kind != "money")
        and (
            limit.bound == "max"
            and figure.value <= limit.value
            or limit.bound == "min"
            and figure.value >= limit.value
        )
        for limit in limits
    )


# "Free", "no charge", "no deposit", "waived" and "without a fee" state an amount: the answer to "is there a
# fee for ...".
FREE_RE = re.compile(
    r"\bfree\b|\bno (?:charge|fee|deposit|cost|payment)s?\b|\bwaive[ds]?\b|\bat no (?:extra )?cost\b"
    r"|\bwithout (?:an? |any )?(?:[\w-]+ ){0,3}(?:fee|charge|cost|deposit)s?\b|免费|免收|不收费|豁免|免除"
    r"|(?:不收|无需|不需|不用|免)(?:交|缴|付|收取)?押金|没有押金",
    re.IGNORECASE,
)


def states_amount(text: str) -> bool:
    """Whether the text states an amount of money, or that something is free."""
    return FREE_RE.search(text) is not None or any(f.kind == "money" for f in find_facts(text))


def states_time_of_day(text: str) -> bool:
    """Whether the text states a time of day ("8:30–17:00", "上午8时")."""
    return any(f.kind == "time" for f in find_facts(text))


def is_year(value: float) -> bool:
    return value.is_integer() and 1900 <= value <= 2099


def in_band(number: str | float, bands: Iterable[tuple[float, float]]) -> bool:
    """Whether a number (a figure, or a key term that is one) lies in one of the bands: "about
    600 parcels a month" is the case of "500 to 1,999 parcels a month"."""
    try:
        value = float(number)
    except ValueError:
        return False  # a word, or a code ("auth0"), is held only as written
    # A year names an edition: only a band of years holds it, not "1,000 to 5,000 yuan".
    years = is_year(value)
    return any(low <= value <= high and (not years or is_year(low) and is_year(high)) for low, high in bands)
