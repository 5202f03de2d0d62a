"""Sentence-aware chunking with exact character offsets.

``chunk_text`` packs whole sentences (``qa.text.sentences.split_sentences``) into passages of at most
``max_tokens`` tokens, carrying roughly ``overlap_tokens`` of trailing sentences into the next passage.
A passage is only cut inside a sentence when that sentence alone is longer than the limit (then it is cut
at word boundaries). Every span satisfies ``text[start:end] == passage text``.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..text.sentences import Span, append_trimmed, count_words, split_sentences

TokenCounter = Callable[[Sequence[str]], list[int]]


@dataclass(frozen=True)
class ChunkingConfig:
    """How documents are cut into passages (recorded in the manifest; a change forces a rebuild)."""

    max_tokens: int = 256  # the model's max_seq_length; see README "Evaluation" for the choice
    overlap_tokens: int = 0
    embed_title: bool = True


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
        append_trimmed(text, cursor, ws, out)
        cursor = ws
    append_trimmed(text, cursor, span.end, out)
    return out


def _units(text: str, cuts: list[int], max_tokens: int, count_tokens: TokenCounter) -> list[tuple[Span, int, int]]:
    """(sentence or piece of an over-long sentence, its token count, its boundary section), in text order."""
    units: list[tuple[Span, int, int]] = []
    for section, (a, b) in enumerate(itertools.pairwise(cuts)):
        sentences = split_sentences(text, a, b)
        counts = count_tokens([text[s.start : s.end] for s in sentences]) if sentences else []
        for s, n in zip(sentences, counts, strict=True):
            if n > max_tokens:
                parts = _split_long(text, s, n, max_tokens)
                piece_counts = count_tokens([text[p.start : p.end] for p in parts])
                units.extend((p, c, section) for p, c in zip(parts, piece_counts, strict=True))
            else:
                units.append((s, n, section))
    return units


def chunk_text(
    text: str,
    max_tokens: int = 200,
    overlap_tokens: int = 0,
    count_tokens: TokenCounter = count_words,
    boundaries: Sequence[int] = (),
) -> list[Span]:
    """Pack sentences into passage spans. ``boundaries`` are offsets (e.g. PDF page starts) that a
    passage never crosses. Overlap repeats whole trailing sentences, never more than ``overlap_tokens``.
    Linear in the text's length (and the number of boundaries)."""
    if max_tokens < 1:
        raise ValueError("max_tokens must be >= 1")
    if not 0 <= overlap_tokens < max_tokens:
        raise ValueError("overlap_tokens must be >= 0 and smaller than max_tokens")
    cuts = sorted({0, len(text), *[b for b in boundaries if 0 < b < len(text)]})
    units = _units(text, cuts, max_tokens, count_tokens)
    chunks: list[Span] = []
    i = 0
    while i < len(units):
        j, total, sec = i, 0, units[i][2]
        while j < len(units) and (j == i or (total + units[j][1] <= max_tokens and units[j][2] == sec)):
            total += units[j][1]
            j += 1
        chunks.append(Span(units[i][0].start, units[j - 1][0].end))
        if j >= len(units):
            break
        # step back over trailing sentences for the overlap, but always make progress
        back, carried = j, 0
        while back - 1 > i and carried + units[back - 1][1] <= overlap_tokens and units[back - 1][2] == units[j][2]:
            back -= 1
            carried += units[back][1]
        i = back
    return chunks
