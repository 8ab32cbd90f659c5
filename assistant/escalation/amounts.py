"""Money amounts in customer messages: "¥2,000", "2000元", "$350", "€1.2k", "两千块", "1.5万元"."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Symbols and words that mark a number as money, by ISO currency. ¥ is read as yuan: kefu serves
# mainland shops; a yen deployment adds its own threshold and writes "JPY".
_PREFIX = {
    "hk$": "HKD",
    "us$": "USD",
    "s$": "SGD",
    "sgd": "SGD",
    "$": "USD",
    "¥": "CNY",
    "€": "EUR",
    "£": "GBP",
    "rmb": "CNY",
    "cny": "CNY",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "hkd": "HKD",
    "jpy": "JPY",
    # Other dollars and currencies a help centre in the region writes ("NT$1,500", "RM150").
    "nt$": "TWD",
    "ntd": "TWD",
    "twd": "TWD",
    "a$": "AUD",
    "au$": "AUD",
    "aud": "AUD",
    "c$": "CAD",
    "ca$": "CAD",
    "cad": "CAD",
    "nz$": "NZD",
    "nzd": "NZD",
    "rm": "MYR",
    "myr": "MYR",
    "thb": "THB",
    "฿": "THB",
    "krw": "KRW",
    "₩": "KRW",
    "inr": "INR",
    "₹": "INR",
    "mop": "MOP",
    "mop$": "MOP",
    "chf": "CHF",
    "新台币": "TWD",
    "新台幣": "TWD",
    "台币": "TWD",
    "港币": "HKD",
    "人民币": "CNY",
}
_SUFFIX = {
    "元": "CNY",
    "块钱": "CNY",
    "块": "CNY",
    "人民币": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "yuan": "CNY",
    "美元": "USD",
    "美金": "USD",
    "dollars": "USD",
    "dollar": "USD",
    "usd": "USD",
    "bucks": "USD",
    "欧元": "EUR",
    "euros": "EUR",
    "euro": "EUR",
    "eur": "EUR",
    "英镑": "GBP",
    "pounds": "GBP",
    "pound": "GBP",
    "gbp": "GBP",
    "港币": "HKD",
    "港元": "HKD",
    "hkd": "HKD",
    "新元": "SGD",
    "新加坡元": "SGD",
    "sgd": "SGD",
    "日元": "JPY",
    "jpy": "JPY",
    "yen": "JPY",
    "新台币": "TWD",
    "新台幣": "TWD",
    "台币": "TWD",
    "ntd": "TWD",
    "twd": "TWD",
    "令吉": "MYR",
    "马币": "MYR",
    "ringgit": "MYR",
    "myr": "MYR",
    "泰铢": "THB",
    "baht": "THB",
    "韩元": "KRW",
    "澳元": "AUD",
    "澳币": "AUD",
    "aud": "AUD",
    "加元": "CAD",
    "加币": "CAD",
    "cad": "CAD",
    "澳门元": "MOP",
    "澳门币": "MOP",
    "patacas": "MOP",
    "卢比": "INR",
    "rupees": "INR",
}
_MULTIPLIER = {"k": 1_000.0, "千": 1_000.0, "w": 10_000.0, "万": 10_000.0}


def _alternation(words: dict[str, str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_PREFIXED = re.compile(
    rf"(?<![a-z])(?P<cur>{_alternation(_PREFIX)})\s?(?P<num>{_NUMBER})\s?(?P<mult>k|千|w|万)?(?![a-z0-9])"
)
_SUFFIXED = re.compile(
    rf"(?<![\d.,$¥€£])(?P<num>{_NUMBER})\s?(?P<mult>k|千|w|万)?\s?(?P<cur>{_alternation(_SUFFIX)})(?![a-z])"
)
_ZH_DIGITS = {
    "零": 0,
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
_ZH_UNITS = {"十": 10, "百": 100, "千": 1_000, "万": 10_000}
_ZH_NUMERAL = re.compile(
    rf"(?P<zh>[零一二两三四五六七八九十百千万]+)\s?(?P<cur>{_alternation({k: v for k, v in _SUFFIX.items() if not k.isascii()})})"
)


# Marks that say "money" without naming whose: a Taipei page's "1,500元" is the NT$1,500 of its
# English twin, a Singapore shop's "$5" is S$5. The ISO code read for them is a default.
_BARE_MARKS = {"$", "元", "块", "块钱", "dollars", "dollar", "bucks"}


@dataclass(frozen=True)
class Amount:
    value: float
    currency: str  # ISO code
    text: str  # as written
    bare: bool = False  # the mark names no currency (_BARE_MARKS): `currency` is a default


def parse_zh_numeral(text: str) -> float | None:
    """三千五百 -> 3500, 两万 -> 20000, 十五 -> 15; None for anything else."""
    total, section, digit = 0, 0, None
    for char in text:
        if char in _ZH_DIGITS:
            if digit is not None:
                return None  # two digits in a row ("一二") is not a number word
            digit = _ZH_DIGITS[char]
        elif char == "万":
            total += (section + (digit or 0)) * 10_000
            section, digit = 0, None
        elif char in _ZH_UNITS:
            section += (1 if digit is None else digit) * _ZH_UNITS[char]
            digit = None
        else:
            return None
    return float(total + section + (digit or 0))


def find_amounts(text: str) -> list[Amount]:
    """Every money amount in the text, in order (numbers without a currency mark are ignored:
    they are order ids, quantities and dates far more often than money)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    found: list[tuple[int, Amount]] = []
    taken: list[tuple[int, int]] = []
    for pattern, table in ((_PREFIXED, _PREFIX), (_SUFFIXED, _SUFFIX)):
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            value = float(m["num"].replace(",", "")) * _MULTIPLIER.get(m["mult"] or "", 1.0)
            found.append(
                (m.start(), Amount(value, table[m["cur"]], m.group().strip(), m["cur"] in _BARE_MARKS))
            )
            taken.append((m.start(), m.end()))
    for m in _ZH_NUMERAL.finditer(text):
        zh_value = parse_zh_numeral(m["zh"])
        if zh_value is not None and not any(m.start() < end and start < m.end() for start, end in taken):
            found.append((m.start(), Amount(zh_value, _SUFFIX[m["cur"]], m.group(), m["cur"] in _BARE_MARKS)))
    return [amount for _, amount in sorted(found, key=lambda pair: pair[0])]
