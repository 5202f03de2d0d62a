"""Numbers in text: digits or words, with scale words and units ("45 million euros", "in 1887", "27 people").

Shared by the conflict detector (two sources giving different values for the same unit) and the claim checker
(a written sentence may only state numbers its quote states).
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from .tokens import stem

NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
                      "hundred": 100})
SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "m": 1e6, "k": 1e3}
UNIT_ALIASES = {"m": "metr", "metres": "metr", "meters": "metr", "meter": "metr", "metre": "metr", "km": "kilometr",
                 "kilometres": "kilometr", "kilometers": "kilometr", "ft": "feet", "foot": "feet", "%": "percent",
                 "per": "percent", "€": "euro", "$": "dollar", "£": "pound", "eur": "euro", "usd": "dollar"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = frozenset("january february march april may june july august september october november december".split())
_ENDS_ON_MONTH = re.compile(r"\b(?:" + "|".join(m.capitalize() for m in sorted(MONTHS)) + r")$")  # with a capital
_DAY_BEFORE = re.compile(r"(?<![\w.,])\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?$")
_DAY_YEAR_AFTER = re.compile(r"^(?:\s+\d{1,2}(?:st|nd|rd|th)?\b(?!\s*[:.]\d))?(?:,?\s+\d{4}\b(?![.,]\d))?",
                             re.IGNORECASE)


def whole_date(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` widened to the whole date when it ends on a month name that a day number goes with:
    "December" in "moved to 4 December" -> "4 December"; "November" in "on November 3, 2025" -> "November 3,
    2025". Any other span is returned as it is."""
    span = text[start:end]
    m = _ENDS_ON_MONTH.search(span)
    if m is None:
        return start, end
    before = _DAY_BEFORE.search(text[max(0, start - 12):start]) if m.start() == 0 else None
    if before is not None:
        start -= len(before.group())
    after = _DAY_YEAR_AFTER.match(text[end:end + 12])
    if after is not None and after.group() and (before is None or not re.match(r"\s+\d{1,2}\b(?!\d)", after.group())):
        end += len(after.group())
    return start, end


NUMBER_RE = re.compile(
    r"(?:(?P<cur>[$€£])\s?)?\b(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|"
    + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b"
    r"(?:[\s-]*(?P<scale>thousand|million|billion|trillion|bn)\b)?(?:[\s-]*(?P<unit>%|[A-Za-z]+))?",
    re.IGNORECASE,
)


def value(num: str, scale: str | None) -> float | None:
    """The number a ``NUMBER_RE`` match names ("2,000" -> 2000, "seven" -> 7, "45" "million" -> 45e6)."""
    num = num.lower()
    if num in NUMBER_WORDS:
        v = float(NUMBER_WORDS[num])
    else:
        try:
            v = float(num.replace(",", ""))
        except ValueError:
            return None
    return v * (SCALE.get(scale.lower(), 1.0) if scale else 1.0)


def quantities(sentence: str, stop: frozenset[str], within: Sequence[tuple[int, int]] | None = None
               ) -> dict[str, set[float]]:
    """Numbers in a sentence by unit: "27 people" -> {"peopl": {27}}, "in 1887" -> {"year": {1887}},
    "3 March" -> {"march": {3}}, "45 million euros" -> {"euro": {45e6}}. With ``within``, only the numbers
    that overlap one of those character spans of the sentence."""
    out: dict[str, set[float]] = {}
    for m in NUMBER_RE.finditer(sentence):
        if within is not None and not any(m.start() < e and s < m.end() for s, e in within):
            continue
        v = value(m.group("num"), m.group("scale"))
        unit = _unit(m, stop, v) if v is not None else None
        if v is not None and unit:
            out.setdefault(unit, set()).add(v)
    return out


def _unit(m: re.Match[str], stop: frozenset[str], v: float) -> str | None:
    """The unit a matched number counts ("peopl", "euro", "march", "year"), or None when it has none."""
    unit = (m.group("unit") or "").lower()
    if m.group("cur") or unit in UNIT_ALIASES:
        return UNIT_ALIASES[m.group("cur") or unit]
    if unit in SCALE and m.group("scale") is None and unit != "m":
        return None
    if unit in MONTHS or (unit and unit not in stop):
        return unit if unit in MONTHS else stem(unit)
    year = m.group("num").isdigit() and 1000 <= v <= 2100 and len(m.group("num")) == 4
    return "year" if year else None


def same(a: float, b: float) -> bool:
    """Equal up to floating-point noise."""
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def numbers_in(text: str) -> set[float]:
    """Every number stated (digits or words, with any scale word applied), whatever it counts."""
    out = set()
    for m in NUMBER_RE.finditer(text):
        v = value(m.group("num"), m.group("scale"))
        if v is not None:
            out.add(v)
    return out
