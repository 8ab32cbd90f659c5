"""PII detection and redaction: e-mails, phone numbers, Chinese resident IDs, bank cards.

Numbers only count when they validate (ID checksum and birth date, card Luhn check), and never
when they are glued to letters, dashes or slashes, so order ids ("ORD-2024-118833"), dates,
prices and random 16-digit references pass through untouched.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

from assistant.guards.settings import GuardSettings

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
_PLACEHOLDER = {"email": "EMAIL", "phone": "PHONE", "cn_id": "CN_ID", "bank_card": "BANK_CARD"}


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
    """Validated, non-overlapping matches in text order; earlier detectors win overlaps."""
    wanted = set(kinds)
    taken: list[PiiMatch] = []
    for detector in _DETECTORS:
        if detector.kind not in wanted:
            continue
        for m in detector.pattern.finditer(text):
            if not detector.valid(m.group()):
                continue
            if any(m.start() < t.end and t.start < m.end() for t in taken):
                continue
            taken.append(PiiMatch(detector.kind, m.start(), m.end(), m.group()))
    return sorted(taken, key=lambda t: t.start)


class PiiRedactor:
    """Replaces PII with typed placeholders ([EMAIL_1], [PHONE_2]); the same value gets the
    same placeholder throughout one text."""

    def __init__(self, settings: GuardSettings | None = None) -> None:
        self.settings = settings or GuardSettings()
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
