"""A document's edition: the date or year from which it applies, and the page it is an edition of.

Help centres keep several editions of one policy ("Returns policy (2023 edition)", "退货政策
（2024年版）"); retrieval prefers the newest unless the question names a year (assistant/retrieval/
editions.py). Read at ingest, strongest evidence first:

  front matter  date / effective / effective_date / updated / last_updated / edition / year
  text          an effective or update date near the top: "Effective from 1 March 2024",
                "Effective date: 2024-03-01", "Last updated March 1, 2024", "自2024年3月1日起生效",
                "生效日期：2024年3月1日"
  title         a year: "(2023 edition)", "2022年版", "Pricing 2024"
  file name     a year: "cancellation-policy-2023.docx"
  metadata      a date the format recorded (ParsedDocument.extra "created" / "modified"), last:
                tools stamp the day a file was saved, not the day its text applies from

A date anywhere else in the text ("offer ends 31 December 2024") is not an edition date.
The series ties the editions of one page together: the title with its year, date and edition
words removed ("contract cancellation policy"), or the file name's when the title is only a date.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import PurePath
from typing import Any

from ingest.types import Edition, EditionEvidence

FRONT_MATTER_KEYS = (
    "effective",
    "effective_date",
    "effective-date",
    "date",
    "updated",
    "last_updated",
    "edition",
    "year",
)
METADATA_KEYS = ("created", "modified")
# The effective-date phrase must be near the top: an edition's date is stated with its heading.
TEXT_WINDOW = 1500
# Years taken for editions; outside this a four-digit number is a price, a count or a phone number.
YEARS = range(1990, 2100)

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"
_DATE_PATTERNS = [
    re.compile(rf"(?<!\d){_YEAR}-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?!\d)"),  # 2024-03-01
    re.compile(
        rf"(?<!\d){_YEAR}\s*年\s*(?P<m>\d{{1,2}})\s*月(?:\s*(?P<d>\d{{1,2}})\s*[日号])?"
    ),  # 2024年3月1日
    re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+{_YEAR}", re.I),  # 1 March 2024
    re.compile(rf"\b{_MONTH}\s+(?:(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?{_YEAR}", re.I),  # March 1, 2024
]
# A phrase that says the date that follows (or, in Chinese, precedes) is when the text applies.
_EFFECTIVE_EN = re.compile(
    r"\b(?:effective(?:\s+date)?|in\s+effect|valid|applies|applicable|last\s+updated|updated|revised|as\s+of)\b"
    r"(?:\s+(?:from|on|since|as\s+of))?\s*[:：]?\s*",
    re.I,
)
_EFFECTIVE_ZH = re.compile(
    r"生效日期|生效时间|实施日期|施行日期|更新日期|更新于|修订日期|起生效|起施行|起实施|起执行|生效"
)
_TITLE_YEAR = re.compile(rf"(?<!\d){_YEAR}")
_EDITION_WORDS = re.compile(
    r"(?<!\d)(?:19|20)\d\d(?!\d)\s*(?:年\s*(?:\d{1,2}\s*月\s*)?(?:版|修订版|版本)?)?|\b(?:edition|version|ed\.|rev\.|revised|updated)\b|版本|修订版",
    re.I,
)


def parse_date(text: str) -> tuple[int, str | None] | None:
    """(year, ISO date or None) of the first date in text: 2024-03-01, 2024年3月1日, 1 March 2024,
    March 1, 2024, March 2024, 2024年3月; or a year alone (2024, 2024年版)."""
    found: list[tuple[int, int, str | None]] = []  # (position, year, iso)
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            year = int(match.group("year"))
            if year not in YEARS:
                continue
            groups = match.groupdict()
            month = (
                int(groups["m"])
                if groups.get("m")
                else MONTHS.get((groups.get("month") or "").lower().rstrip("."))
            )
            day = int(groups["d"]) if groups.get("d") else None
            iso = _iso(year, month, day)
            found.append((match.start(), year, iso))
    if found:
        _, year, iso = min(found, key=lambda f: (f[0], f[2] is None))
        return year, iso
    years = [int(m.group("year")) for m in _TITLE_YEAR.finditer(text) if int(m.group("year")) in YEARS]
    return (years[0], None) if years else None


def _iso(year: int, month: int | None, day: int | None) -> str | None:
    if month is None or day is None:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def effective_date(text: str) -> tuple[int, str | None] | None:
    """The date an effective / updated phrase near the top of text states, or None."""
    head = text[:TEXT_WINDOW]
    for match in _EFFECTIVE_EN.finditer(head):
        found = _date_at_start(head[match.end() : match.end() + 40])
        if found:
            return found
    for match in _EFFECTIVE_ZH.finditer(head):
        # 生效日期：2024年3月1日 (date after) or 自2024年3月1日起生效 (date before)
        after = _date_at_start(re.sub(r"^[\s:：为是]+", "", head[match.end() : match.end() + 30]))
        before = parse_date(head[max(0, match.start() - 20) : match.start()])
        if after or before:
            return after or before
    return None


def _date_at_start(text: str) -> tuple[int, str | None] | None:
    """A full date or month-and-year at the very start of text."""
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match and int(match.group("year")) in YEARS:
            return parse_date(match.group(0))
    return None


def series_name(title: str, source: str) -> str:
    """The page a document is an edition of: its title, else its file name, without years,
    dates, edition words and punctuation, lower case."""
    for name in (title, PurePath(source).name.split(".")[0]):
        stripped = _EDITION_WORDS.sub(" ", name)
        words = re.findall(r"[^\W_]+", stripped.lower())
        if words:
            return " ".join(words)
    return PurePath(source).name.lower()


def detect_edition(
    *,
    title: str,
    text: str,
    source: str,
    front_matter: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Edition | None:
    """The document's edition from the strongest evidence there is (module docstring), or None."""
    series = series_name(title, source)
    candidates: list[tuple[EditionEvidence, str]] = []
    for key in FRONT_MATTER_KEYS:
        value = (front_matter or {}).get(key)
        if value not in (None, ""):
            candidates.append(("front matter", str(value)))
    for evidence, value in candidates:
        found = parse_date(value)
        if found:
            return Edition(found[0], found[1], series, evidence)
    found = effective_date(text)
    if found:
        return Edition(found[0], found[1], series, "text")
    for evidence, value in (("title", title), ("file name", PurePath(source).name)):
        found = parse_date(value)
        if found:
            return Edition(found[0], found[1], series, evidence)
    for key in METADATA_KEYS:
        value = (metadata or {}).get(key)
        found = parse_date(str(value)) if value not in (None, "") else None
        if found:
            return Edition(found[0], found[1], series, "metadata")
    return None
