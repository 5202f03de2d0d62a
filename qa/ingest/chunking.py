"""Sentence-aware chunking with exact character offsets.

``chunk_text`` packs whole sentences (``qa.text.sentences.split_sentences``) into passages of at most
``max_tokens`` tokens, carrying roughly ``overlap_tokens`` of trailing sentences into the next passage.
A passage is only cut inside a sentence when that sentence alone is longer than the limit (then it is cut
at word boundaries). Every span satisfies ``text[start:end] == passage text``.
"""
from __future__ import annotations

import itertools
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..text.sentences import Span, append_trimmed, count_words, iter_sentences

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


# Sentences whose texts are cut out and counted at a time: a document's sentences at once were a second copy of
# its whole text (a 10M-character text: +20 MiB or more, kept by the allocator after it was freed).
COUNT_SLICE = 1024
# A longer sentence is counted in pieces of about this many characters cut at spaces: the tokenizer holds ~110
# bytes per word piece of a text while it counts (one 1.5M-character line without a full stop: +170 MiB).
LONG_SENTENCE = 20_000


def _counted(text: str, sentences: Iterable[Span], count_tokens: TokenCounter) -> Iterator[tuple[Span, int]]:
    """Each sentence with its token count, counted ``COUNT_SLICE`` sentences at a time."""
    sentences = iter(sentences)
    while part := list(itertools.islice(sentences, COUNT_SLICE)):
        short = iter(count_tokens([text[s.start : s.end] for s in part if s.end - s.start <= LONG_SENTENCE]))
        for s in part:
            yield s, next(short) if s.end - s.start <= LONG_SENTENCE else _count_long(text, s, count_tokens)


def _count_long(text: str, span: Span, count_tokens: TokenCounter) -> int:
    """Tokens of a very long sentence, counted ``LONG_SENTENCE`` characters at a time, each piece ending at a
    space. Word pieces never span a space (BERT's pre-tokenizer splits there), so the sum is the same count; a
    piece without a space is cut where it reaches the length."""
    total, cursor = 0, span.start
    while cursor < span.end:
        cut = min(span.end, cursor + LONG_SENTENCE)
        if cut < span.end:
            space = text.rfind(" ", cursor + 1, cut)
            cut = space if space > cursor else cut
        total += count_tokens([text[cursor:cut]])[0]
        cursor = cut
    return total


class _Units:
    """The sentences (or pieces of over-long ones) of a text in order, as compact columns: start and end offset,
    tokens, boundary section (8 bytes each, not a tuple of objects: ~280 bytes a sentence, +22 MiB for 10M
    characters of text)."""

    def __init__(self) -> None:
        self.starts, self.ends, self.tokens, self.sections = array("q"), array("q"), array("q"), array("q")

    def __len__(self) -> int:
        return len(self.starts)

    def add(self, span: Span, tokens: int, section: int) -> None:
        self.starts.append(span.start)
        self.ends.append(span.end)
        self.tokens.append(tokens)
        self.sections.append(section)


def _units(text: str, cuts: list[int], max_tokens: int, count_tokens: TokenCounter) -> _Units:
    """Every sentence or piece of an over-long sentence with its token count and its boundary section."""
    units = _Units()
    for section, (a, b) in enumerate(itertools.pairwise(cuts)):
        for s, n in _counted(text, iter_sentences(text, a, b), count_tokens):
            if n > max_tokens:
                for piece, c in _counted(text, _split_long(text, s, n, max_tokens), count_tokens):
                    units.add(piece, c, section)
            else:
                units.add(s, n, section)
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
    tokens, sections, n = units.tokens, units.sections, len(units)
    chunks: list[Span] = []
    i = 0
    while i < n:
        j, total, sec = i, 0, sections[i]
        while j < n and (j == i or (total + tokens[j] <= max_tokens and sections[j] == sec)):
            total += tokens[j]
            j += 1
        chunks.append(Span(units.starts[i], units.ends[j - 1]))
        if j >= n:
            break
        # step back over trailing sentences for the overlap, but always make progress
        back, carried = j, 0
        while back - 1 > i and carried + tokens[back - 1] <= overlap_tokens and sections[back - 1] == sections[j]:
            back -= 1
            carried += tokens[back]
        i = back
    return chunks
