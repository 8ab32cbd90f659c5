"""PII detection and redaction: e-mails, phone numbers, Chinese resident IDs, bank cards with their
expiry dates and security codes.

Numbers only count when they validate (ID checksum and birth date, card Luhn check), and never
when they are glued to letters, dashes or slashes, so order ids ("ORD-2024-118833"), dates,
prices and random 16-digit references pass through untouched. An expiry date or a security code
counts only near a card (a card number, or words such as "credit card", "visa", "CVV", "信用卡"),
so "the warranty expires 12/29" keeps its date.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

from ingest.config import GuardSettings, get_settings

# No letter, digit, "+" or joining punctuation right before / after a number: order ids and
# decimals stay whole. CJK characters do count as a boundary ("电话13812345678").
_L = r"(?<![A-Za-z0-9_+\-/#])(?<!\d\.)"
_R = r"(?![A-Za-z0-9_\-/])(?!\.\d)"

_ID_DATE = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _birth_date_ok(yyyymmdd: str) -> bool:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return born <= date.today()


def cn_id_valid(value: str) -> bool:
    """18-digit ID: ISO 7064 MOD 11-2 check character and a real birth date; 15-digit legacy
    IDs (no check digit) need a real 19yy birth date."""
    value = value.upper()
    if len(value) == 15:
        return value.isdigit() and _birth_date_ok("19" + value[6:12])
    if len(value) != 18 or not value[:17].isdigit():
        return False
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS)) % 11]
    return value[17] == check and _birth_date_ok(value[6:14])


def _card_valid(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_valid(digits)


def _phone_valid(value: str) -> bool:
    return 8 <= len(re.sub(r"\D", "", value)) <= 15


def _nanp_valid(value: str) -> bool:
    # x00 area codes (400, 800, ...) are company service lines, not personal numbers.
    area = re.sub(r"\D", "", value)[:3]
    return area[1:] != "00"


@dataclass(frozen=True)
class _Detector:
    name: str
    kind: str
    pattern: re.Pattern[str]
    valid: Callable[[str], bool] = lambda value: True


# Order is priority: when two detectors claim overlapping text the earlier one wins.
_DETECTORS: tuple[_Detector, ...] = (
    _Detector(
        "email",
        "email",
        re.compile(
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@"
            r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*"
            r"\.[A-Za-z]{2,}(?![A-Za-z0-9])"
        ),
    ),
    _Detector(
        "cn_id",
        "cn_id",
        re.compile(
            rf"{_L}(?:[1-9]\d{{5}}(?:18|19|20)\d{{2}}{_ID_DATE}\d{{3}}[\dXx]"
            rf"|[1-9]\d{{5}}\d{{2}}{_ID_DATE}\d{{3}}){_R}"
        ),
        cn_id_valid,
    ),
    _Detector(
        "cn_mobile",
        "phone",
        re.compile(rf"{_L}(?:(?:\+|00)86[ \-]?|\(\+?86\)[ \-]?)?1[3-9]\d(?:[ \-]?\d{{4}}){{2}}{_R}"),
    ),
    _Detector(
        "intl_phone",
        "phone",
        re.compile(rf"{_L}\+\d{{1,3}}(?:[ .\-]?\(?\d{{1,4}}\)?){{2,5}}{_R}"),
        _phone_valid,
    ),
    _Detector(
        "bank_card",
        "bank_card",
        re.compile(
            rf"{_L}(?:\d{{13,19}}"
            rf"|\d{{4}}(?P<s1>[ \-])\d{{4}}(?:(?P=s1)\d{{4}}){{1,2}}(?:(?P=s1)\d{{1,3}})?"
            rf"|\d{{4}}(?P<s2>[ \-])\d{{6}}(?P=s2)\d{{5}}){_R}"
        ),
        _card_valid,
    ),
    _Detector(
        "cn_landline",
        "phone",
        re.compile(
            rf"{_L}(?:\(0(?:10|2\d|[3-9]\d{{2}})\)|0(?:10|2\d|[3-9]\d{{2}}))[ \-]?[2-8]\d{{6,7}}"
            rf"(?:(?:-|转|ext\.?)\d{{1,6}})?{_R}"
        ),
    ),
    _Detector(
        "nanp_phone",
        "phone",
        re.compile(rf"{_L}(?:\([2-9]\d{{2}}\) ?|[2-9]\d{{2}}-)\d{{3}}-\d{{4}}{_R}"),
        _nanp_valid,
    ),
)

PII_KINDS: tuple[str, ...] = ("email", "phone", "cn_id", "bank_card")
# Found with "bank_card": a card's expiry date and security code are part of the card.
CARD_DETAIL_KINDS: tuple[str, ...] = ("card_expiry", "card_cvv")
_PLACEHOLDER = {
    "email": "EMAIL",
    "phone": "PHONE",
    "cn_id": "CN_ID",
    "bank_card": "BANK_CARD",
    "card_expiry": "CARD_EXPIRY",
    "card_cvv": "CARD_CVV",
}

# -- card details: expiry date and security code, only near a card ----------------------------------
_MONTH = r"(?:0?[1-9]|1[0-2])"
_EXPIRY_DATE = (
    rf"(?:{_MONTH}\s?[/\-.]\s?(?:20\d{{2}}|\d{{2}})|(?:20)?\d{{2}}\s?年\s?{_MONTH}\s?月)(?![\d/\-])"
)
_EXPIRY_LABEL = (
    r"(?<![A-Za-z])(?:exp(?:iry|iration|ires|\.)?(?:\s+date)?|valid\s+(?:thru|through|until)|good\s+thru)"
    r"|有效期(?:至|到)?|到期(?:日|时间)?"
)
_CVV_LABEL = (
    r"(?<![A-Za-z])(?:cvv2?|cvc2?|cvn2?|csc|security\s+code|card\s+verification\s+(?:code|value|number))(?![A-Za-z])"
    r"|安全码|校验码"
)
_GLUE = r"\s*[:：#]?\s*(?:is\s+|是|为)?\s*"
_EXPIRY = re.compile(rf"(?i)(?:{_EXPIRY_LABEL}){_GLUE}(?P<value>{_EXPIRY_DATE})")
_CVV = re.compile(rf"(?i)(?:{_CVV_LABEL}){_GLUE}(?P<value>\d{{3,4}})(?!\d)")
# Right after a card number: "4111 1111 1111 1111 12/29 123".
_AFTER_CARD = re.compile(
    rf"[\s,;，；]{{1,3}}(?P<expiry>{_MONTH}\s?/\s?(?:20\d{{2}}|\d{{2}}))(?![\d/])"
    r"(?:[\s,;，；]{1,3}(?P<cvv>\d{3,4})(?![\d/]))?"
)
_CARD_WORDS = re.compile(
    r"(?i)(?<![A-Za-z])(?:credit\s+card|debit\s+card|bank\s+card|card\s+(?:number|no\.?)|visa|master\s?card|amex"
    r"|american\s+express|union\s?pay|cvv2?|cvc2?)(?![A-Za-z])|信用卡|银行卡|借记卡|储蓄卡|卡号|安全码"
)
_CARD_WINDOW = 60  # characters either side of a date or code in which a card must be mentioned


def _near_card(text: str, start: int, end: int, cards: list[PiiMatch]) -> bool:
    if any(card.start - _CARD_WINDOW <= end and start <= card.end + _CARD_WINDOW for card in cards):
        return True
    return (
        _CARD_WORDS.search(text, max(0, start - _CARD_WINDOW), min(len(text), end + _CARD_WINDOW)) is not None
    )


def _card_details(text: str, cards: list[PiiMatch]) -> list[PiiMatch]:
    found: list[PiiMatch] = []
    for kind, pattern in (("card_expiry", _EXPIRY), ("card_cvv", _CVV)):
        for m in pattern.finditer(text):
            if _near_card(text, m.start(), m.end(), cards):
                found.append(PiiMatch(kind, m.start("value"), m.end("value"), m.group("value")))
    for card in cards:
        after = _AFTER_CARD.match(text, card.end)
        if after is None:
            continue
        found.append(
            PiiMatch("card_expiry", after.start("expiry"), after.end("expiry"), after.group("expiry"))
        )
        if after.group("cvv"):
            found.append(PiiMatch("card_cvv", after.start("cvv"), after.end("cvv"), after.group("cvv")))
    return found


def canonical(kind: str, value: str) -> str:
    """One spelling per value, so "+86 138-1234-5678" and "13812345678" hash alike."""
    if kind == "email":
        return value.strip().lower()
    if kind == "cn_id":
        return value.upper()
    digits = re.sub(r"\D", "", value)
    if kind == "phone":
        digits = re.sub(r"^(?:00)?86(?=1[3-9]\d{9}$)", "", digits)
    return digits


@dataclass(frozen=True)
class PiiMatch:
    kind: str
    start: int
    end: int
    value: str

    @property
    def key(self) -> str:
        return canonical(self.kind, self.value)


@dataclass
class PiiFinding:
    kind: str
    start: int  # span in the original text
    end: int
    placeholder: str
    value_hash: str
    raw: str | None = None  # only with GuardSettings.pii_keep_raw

    def as_dict(self) -> dict[str, object]:
        found: dict[str, object] = {
            "kind": self.kind,
            "span": [self.start, self.end],
            "placeholder": self.placeholder,
            "hash": self.value_hash,
        }
        if self.raw is not None:
            found["raw"] = self.raw
        return found


@dataclass
class RedactionResult:
    text: str
    findings: list[PiiFinding] = field(default_factory=list)


def detect_pii(text: str, kinds: Iterable[str] = PII_KINDS) -> list[PiiMatch]:
    """Validated, non-overlapping matches in text order; earlier detectors win overlaps. With
    "bank_card", a card's expiry date and security code are found too."""
    wanted = set(kinds)
    taken: list[PiiMatch] = []

    def take(match: PiiMatch) -> None:
        if not any(match.start < t.end and t.start < match.end for t in taken):
            taken.append(match)

    for detector in _DETECTORS:
        if detector.kind not in wanted:
            continue
        for m in detector.pattern.finditer(text):
            if detector.valid(m.group()):
                take(PiiMatch(detector.kind, m.start(), m.end(), m.group()))
    if "bank_card" in wanted:
        for detail in _card_details(text, [t for t in taken if t.kind == "bank_card"]):
            take(detail)
    return sorted(taken, key=lambda t: t.start)


class PiiRedactor:
    """Replaces PII with typed placeholders ([EMAIL_1], [PHONE_2]); the same value gets the
    same placeholder throughout one text."""

    def __init__(self, settings: GuardSettings | None = None) -> None:
        self.settings = settings or get_settings().guards
        unknown = set(self.settings.pii_kinds) - set(PII_KINDS)
        if unknown:
            raise ValueError(f"unknown PII kinds {sorted(unknown)}; known: {PII_KINDS}")

    def hash_value(self, kind: str, value: str) -> str:
        key = self.settings.pii_salt.encode()
        return hmac.new(key, f"{kind}:{canonical(kind, value)}".encode(), hashlib.sha256).hexdigest()[:16]

    def detect(self, text: str) -> list[PiiMatch]:
        return detect_pii(text, self.settings.pii_kinds)

    def run(self, text: str, allowed: Collection[str] = frozenset()) -> RedactionResult:
        """Redact every PII value except those whose canonical() key is in allowed."""
        numbers: dict[tuple[str, str], str] = {}
        counters: dict[str, int] = {}
        findings: list[PiiFinding] = []
        parts: list[str] = []
        cursor = 0
        for match in self.detect(text):
            if match.key in allowed:
                continue
            label = _PLACEHOLDER[match.kind]
            placeholder = numbers.get((label, match.key))
            if placeholder is None:
                counters[label] = counters.get(label, 0) + 1
                placeholder = numbers[(label, match.key)] = f"[{label}_{counters[label]}]"
            findings.append(
                PiiFinding(
                    kind=match.kind,
                    start=match.start,
                    end=match.end,
                    placeholder=placeholder,
                    value_hash=self.hash_value(match.kind, match.value),
                    raw=match.value if self.settings.pii_keep_raw else None,
                )
            )
            parts += [text[cursor : match.start], placeholder]
            cursor = match.end
        parts.append(text[cursor:])
        return RedactionResult("".join(parts), findings)
