"""Page furniture: the lines of a web page that are not its text.

Photo credits and captions ("Main image source: ... Getty Images"), "Read also" / "Subscribe" lines, by-lines,
cookie and copyright notices, headings and the title line repeated (``is_furniture``), and everything after a
line such as "You May Also Like" or "Leave a Reply" in the second half of a page (``tail_start``, ``in_tail``:
the teasers of other articles). The patterns are data (``qa/text/data/furniture.json``, checked when loaded).
Broad answers leave such lines out of their points; a factoid answer quotes one only when it holds the answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .wordlists import WordListError, load_wordlists

DATA = Path(__file__).resolve().parent / "data" / "furniture.json"
MIN_WORDS = 5  # a shorter line is a heading, a caption or a by-line, not a point
TAIL_LOOKBACK = 4000  # characters before a sentence searched for the line that ends the article (``in_tail``)


@dataclass(frozen=True)
class Cues:
    boilerplate: tuple[re.Pattern[str], ...]
    tail_markers: tuple[re.Pattern[str], ...]


@lru_cache(maxsize=2)
def cues(path: Path = DATA) -> Cues:
    """The patterns of ``path``, checked (a broken file fails here, naming itself)."""
    raw = load_wordlists(path, {"boilerplate": "words", "tail_markers": "words"})
    compiled: dict[str, tuple[re.Pattern[str], ...]] = {}
    for key in ("boilerplate", "tail_markers"):
        try:
            compiled[key] = tuple(re.compile(p, re.IGNORECASE) for p in raw[key])
        except re.error as e:
            raise WordListError(f"{path}: a {key!r} pattern does not compile ({e})") from None
    return Cues(compiled["boilerplate"], compiled["tail_markers"])


def is_furniture(line: str, title: str = "") -> bool:
    """Whether ``line`` (one sentence or line of a document titled ``title``) is furniture, not text."""
    line = " ".join(line.split())
    if len(re.findall(r"[A-Za-z]+", line)) < MIN_WORDS or (title and line in " ".join(title.split())):
        return True  # a heading, a by-line, a caption, (part of) the title line
    if not re.search(r"[a-z]{3}", line):  # all capitals, or no words
        return True
    return is_boilerplate(line)


def is_boilerplate(line: str) -> bool:
    """Whether ``line`` is one of the furniture patterns (a photo credit, "Read also", a by-line, "Source: ..."),
    however long or short."""
    line = " ".join(line.split())
    return any(p.search(line) for p in cues().boilerplate)


# a photo credit run at a line's end, glued to the caption or not: "... and Valery GerasimovPAP / EPA / SPUTNIK / POOL"
_CREDIT_RUN = re.compile(r"(?:(?<=[a-z])|\s+)[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+)*(?:\s*/\s*[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+)*)+\s*$")


def caption_end(line: str) -> int | None:
    """Where a caption ends when ``line`` is one followed by a run of photo credits in capitals ("Russian Defense
    Minister Sergei Shoigu and Valery GerasimovPAP / EPA / SPUTNIK / POOL" -> after "Gerasimov"); None when it has
    no such run."""
    m = _CREDIT_RUN.search(line)
    return m.start() if m and m.start() > 0 else None


_LINE = re.compile(r"(?m)^[ \t]*(\S[^\n]*)$")


def tail_start(text: str, lo: int | None = None, hi: int | None = None) -> int:
    """Where the page's own text ends: the first line at or after ``lo`` (default: the middle of ``text``) and
    before ``hi`` that is a tail marker ("Leave a Reply", "You May Also Like"); ``len(text)`` when none is."""
    half = len(text) // 2
    start = half if lo is None else max(lo, half)
    for m in _LINE.finditer(text, start, len(text) if hi is None else hi):
        if any(p.match(m.group(1).strip()) for p in cues().tail_markers):
            return m.start()
    return len(text)


def in_tail(text: str, start: int) -> bool:
    """Whether the sentence at ``start`` comes after the end of the page's own text: a tail marker line in the
    second half of the page, at most ``TAIL_LOOKBACK`` characters before it (bounded work on a large text)."""
    return tail_start(text, max(0, start - TAIL_LOOKBACK), start) < start
