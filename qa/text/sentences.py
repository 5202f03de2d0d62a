"""Sentences with exact character offsets, and a model-free token count.

``split_sentences`` finds the sentence spans that chunking packs into passages (``qa.ingest.chunking``);
``quote_spans`` refines them into the units an answer may quote (``qa.answer``): a few more abbreviations
kept inside a sentence, over-long run-ons cut at clause boundaries. Every span satisfies
``text[start:end] == the sentence``.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .wordlists import load_wordlists

_WORD_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)

# A sentence ends at . ! ? … (plus closing quotes/brackets) followed by whitespace, or at a line break
# that ends a paragraph or a short line (headline, list item), not at one that wraps a line (``_wrapped``).
_END_RE = re.compile(r"[.!?…]+[\"'”’)\]»]*(?=\s)|\n")
WORDS = load_wordlists(Path(__file__).resolve().parent / "data" / "words.json",
                       {"abbreviations": "words", "quote_abbreviations": "words", "line_wrap_words": "words"})
_ABBREVIATIONS = frozenset(WORDS["abbreviations"])
_WRAP_WORDS = frozenset(WORDS["line_wrap_words"])
_LINE_END = re.compile(r"[.!?…:;\"'”’)\]»]$")  # a line ending so ends its sentence (or introduces what follows)
_LINE_OPENS_ITEM = re.compile(r"[ \t]*(?:[-*•–▪◦>#|$]|\d{1,3}[.)](?:\s|$))")  # a list item, quote, heading, table
_LINE_OF_ITS_OWN = re.compile(r"[ \t]*[>#|$]")  # a quotation, heading, table row or command: never wraps on (an item may)
_LAST_WORD = re.compile(r"([A-Za-z]+)[ \t]*$")


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
    return list(iter_sentences(text, start, end))


def iter_sentences(text: str, start: int = 0, end: int | None = None) -> Iterator[Span]:
    """``split_sentences`` one sentence at a time, for a large text (no list of all its sentences at once)."""
    end = len(text) if end is None else end
    found: list[Span] = []
    cursor = start
    for m in _END_RE.finditer(text, start, end):
        stop = m.end()
        if m.group() == "\n" and _wrapped(text, m.start(), end):
            continue  # a line wrapped inside a paragraph (PDF, hard-wrapped text): the sentence goes on
        if m.group() != "\n":
            if m.group().startswith(".") and len(m.group()) == 1 and _is_abbreviation(text, m.start()):
                continue
            nxt = re.match(r"\s*(\S)", text[stop : stop + 40])
            if nxt and (nxt.group(1).islower() or nxt.group(1) in ",;:"):
                continue  # "e.g. the", "approx. 3", a lower-case continuation is not a new sentence
        append_trimmed(text, cursor, stop, found)
        yield from found
        found.clear()
        cursor = stop
    append_trimmed(text, cursor, end, found)
    yield from found


def _wrapped(text: str, newline: int, end: int) -> bool:
    """Whether the single line break at ``newline`` wraps a sentence rather than ending it: the line before does not
    end as a sentence does, the next line opens no list item, neither is a quotation, heading, table row or command
    line, and the next line goes on in lower case or with a bracket, or the line before stops on a word that cannot
    end a sentence ("... installed in the" / "XDG_DATA_HOME ...", ``line_wrap_words``) or a comma."""
    if newline + 1 >= end or text[newline + 1] == "\n":
        return False  # a blank line: a paragraph ends
    before = text[text.rfind("\n", 0, newline) + 1 : newline].rstrip()
    stop = text.find("\n", newline + 1, end)
    after = text[newline + 1 : end if stop < 0 else stop]
    if not before or not after.strip() or _LINE_END.search(before) or " | " in before or " | " in after or \
            _LINE_OF_ITS_OWN.match(before) or _LINE_OPENS_ITEM.match(after):
        return False
    nxt = after.lstrip()[:1]
    last = _LAST_WORD.search(before)
    return nxt.islower() or nxt == "(" or before.endswith(",") or \
        (last is not None and last.group(1).lower() in _WRAP_WORDS)


def append_trimmed(text: str, start: int, end: int, out: list[Span]) -> None:
    """Append ``text[start:end]`` stripped of surrounding whitespace to ``out``, unless nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Span(start, end))


MAX_SENTENCE_CHARS = 600  # a longer "sentence" (a run-on list, a table row soup) is cut into pieces

# Abbreviations after which ``split_sentences`` may cut, but a quote should not ("killed incl. Gen. Simonov").
_MORE_ABBREVIATIONS = re.compile(r"\b(?:" + "|".join(WORDS["quote_abbreviations"]) + r")\.$", re.IGNORECASE)


def _merged_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for s in split_sentences(text, start, end):
        if spans and _MORE_ABBREVIATIONS.search(text[spans[-1][0] : spans[-1][1]]) and \
                "\n" not in text[spans[-1][1] : s.start]:
            spans[-1] = (spans[-1][0], s.end)
        else:
            spans.append((s.start, s.end))
    return spans


def quote_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The quotable sentences of ``text[start:end]`` as (start, end) pairs (at most ``MAX_SENTENCE_CHARS`` each)."""
    spans = []
    for s_start, s_end in _merged_sentences(text, start, end):
        if s_end - s_start <= MAX_SENTENCE_CHARS:
            spans.append((s_start, s_end))
            continue
        cursor = s_start  # cut an over-long sentence at clause or word boundaries
        while s_end - cursor > MAX_SENTENCE_CHARS:
            window = text[cursor : cursor + MAX_SENTENCE_CHARS]
            cut = max(window.rfind("; "), window.rfind(", "))
            if cut < MAX_SENTENCE_CHARS // 3:
                cut = window.rfind(" ")
            if cut <= 0:
                cut = MAX_SENTENCE_CHARS - 1
            spans.append((cursor, cursor + cut + 1))
            cursor += cut + 1
            while cursor < s_end and text[cursor].isspace():
                cursor += 1
        if cursor < s_end:
            spans.append((cursor, s_end))
    spans = [(a + _bullet_length(text, a, b), b) for a, b in spans]
    return [(a, b) for a, b in spans if text[a:b].strip() and re.search(r"\w", text[a:b])]


_BULLET = re.compile(r"[-*•–▪◦][ \t]+(?=\S)")  # a list item's bullet: no part of what the item says


def _bullet_length(text: str, start: int, end: int) -> int:
    """The length of the bullet (and its spaces) that opens the sentence ``text[start:end]``, 0 when none does: a
    quote of a list item is its words ("Jeff Johnson implemented ...", not "- Jeff Johnson ..."); the numbers of a
    numbered list stay."""
    m = _BULLET.match(text, start, end)
    return m.end() - start if m else 0
