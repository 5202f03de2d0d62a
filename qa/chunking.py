"""Sentence-aware chunking with exact character offsets.

``split_sentences`` finds sentence spans; ``chunk_text`` packs whole sentences into passages of at most
``max_tokens`` tokens, carrying roughly ``overlap_tokens`` of trailing sentences into the next passage.
A passage is only cut inside a sentence when that sentence alone is longer than the limit (then it is cut
at word boundaries). Every span satisfies ``text[start:end] == passage text``.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TokenCounter = Callable[[Sequence[str]], list[int]]

_WORD_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)

# A sentence ends at . ! ? … (plus closing quotes/brackets) followed by whitespace, or at a line break
# that ends a paragraph or a short line (headline, list item).
_END_RE = re.compile(r"[.!?…]+[\"'”’)\]»]*(?=\s)|\n")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof sr jr st vs etc e.g i.e cf al fig figs no nos vol pp p ed eds approx dept est
    inc ltd co corp gen col lt sgt capt cmdr adm gov sen rep rev hon jan feb mar apr jun jul aug sep sept
    oct nov dec u.s u.k u.n a.m p.m ca""".split()
)


def count_words(texts: Sequence[str]) -> list[int]:
    """A model-free token count (words and punctuation marks); the default ``TokenCounter``."""
    return [len(_WORD_RE.findall(t)) for t in texts]


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the '.' at ``dot`` closes an abbreviation or an initial rather than a sentence."""
    m = re.search(r"([\w.]+)$", text[max(0, dot - 12) : dot])
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    if word in _ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():  # an initial: "J. Smith"
        return True
    return False


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans inside ``text[start:end]``, trimmed of surrounding whitespace, never empty."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for m in _END_RE.finditer(text, start, end):
        stop = m.end()
        if m.group() != "\n":
            if m.group().startswith(".") and len(m.group()) == 1 and _is_abbreviation(text, m.start()):
                continue
            nxt = re.match(r"\s*(\S)", text[stop : stop + 40])
            if nxt and (nxt.group(1).islower() or nxt.group(1) in ",;:"):
                continue  # "e.g. the", "approx. 3", a lower-case continuation is not a new sentence
        _append_trimmed(text, cursor, stop, spans)
        cursor = stop
    _append_trimmed(text, cursor, end, spans)
    return spans


def _append_trimmed(text: str, start: int, end: int, out: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Span(start, end))


def _split_long(text: str, span: Span, n_tokens: int, max_tokens: int) -> list[Span]:
    """Cut one over-long sentence at word boundaries into pieces of at most about ``max_tokens``."""
    target = max(1, int((span.end - span.start) * max_tokens / n_tokens * 0.95))  # chars per piece
    out: list[Span] = []
    cursor = span.start
    while span.end - cursor > target:
        cut = cursor + target
        ws = text.rfind(" ", cursor + 1, cut + 1)
        if ws <= cursor:  # no space in reach: cut at the next one, or hard-cut a space-less run
            ws = text.find(" ", cut, span.end)
            if ws == -1:
                ws = cut
        _append_trimmed(text, cursor, ws, out)
        cursor = ws
    _append_trimmed(text, cursor, span.end, out)
    return out


def chunk_text(
    text: str,
    max_tokens: int = 200,
    overlap_tokens: int = 0,
    count_tokens: TokenCounter = count_words,
    boundaries: Sequence[int] = (),
) -> list[Span]:
    """Pack sentences into passage spans. ``boundaries`` are offsets (e.g. PDF page starts) that a
    passage never crosses. Overlap repeats whole trailing sentences, never more than ``overlap_tokens``."""
    if max_tokens < 1:
        raise ValueError("max_tokens must be >= 1")
    if not 0 <= overlap_tokens < max_tokens:
        raise ValueError("overlap_tokens must be >= 0 and smaller than max_tokens")
    cuts = sorted({0, len(text), *[b for b in boundaries if 0 < b < len(text)]})
    sentences: list[Span] = []
    for a, b in zip(cuts, cuts[1:]):
        sentences.extend(split_sentences(text, a, b))
    if not sentences:
        return []
    counts = count_tokens([text[s.start : s.end] for s in sentences])
    units: list[tuple[Span, int]] = []
    for s, n in zip(sentences, counts):
        if n > max_tokens:
            parts = _split_long(text, s, n, max_tokens)
            units.extend(zip(parts, count_tokens([text[p.start : p.end] for p in parts])))
        else:
            units.append((s, n))

    def section(i: int) -> int:  # which boundary section a unit lies in
        return sum(1 for c in cuts[1:-1] if c <= units[i][0].start)

    chunks: list[Span] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        sec = section(i)
        while j < len(units) and (j == i or (total + units[j][1] <= max_tokens and section(j) == sec)):
            total += units[j][1]
            j += 1
        chunks.append(Span(units[i][0].start, units[j - 1][0].end))
        if j >= len(units):
            break
        # step back over trailing sentences for the overlap, but always make progress
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1][1] <= overlap_tokens and section(back - 1) == section(j):
            back -= 1
            carried += units[back][1]
        i = back
    return chunks
