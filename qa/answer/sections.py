"""A quoted heading stands for its section: "What are the action items from the meeting?" finds the line "Action
items" best, and what the reader wants is the items under it, not the two words.

A heading is a sentence alone on its line (after at most a section number or a list marker), of at most
``MAX_WORDS`` words, that does not end as a sentence does (a colon may end it), with text on the lines below. Its
section is the candidate sentences that follow it in its document, in reading order, up to the next heading,
``MAX_ITEMS`` of them and ``MAX_CHARS`` characters at most, its first paragraph or list only. When a chosen quote is
a heading with such a section, the section's sentences are quoted in its place. A heading that names what the question asks (every word of the
question is in the heading or its document's title: "What are Jane's skills?" - "Skills" in the CV titled "Jane
Okafor") among the ``HEADED_TOP`` best sentences, with a section below, answers the question even when the
answerability gate, fitted on prose, is unsure.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from ..text.tokens import tokenize
from .candidates import Sentence, question_terms

MAX_WORDS = 6
MAX_ITEMS = 8
MAX_CHARS = 600
_LEAD = re.compile(r"[ \t]*(?:#{1,6}[ \t]+|(?:\d{1,2}(?:\.\d{1,2})*[.)]?|[A-Z][.)]|[-*•–▪◦])[ \t]+)?")
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_ENDS_AS_SENTENCE = re.compile(r"[.!?;,…\"”’)\]]$")


def is_heading(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a heading of ``text`` (see the module docstring)."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    own = text[start:end].strip()
    if not own or _LEAD.fullmatch(text[line_start:start]) is None or text[end:line_end].strip():
        return False
    if _ENDS_AS_SENTENCE.search(own) or len(re.findall(r"[^\W_]+", own)) > MAX_WORDS:
        return False
    return bool(text[line_end:].strip())  # something below it


def section(head: Sentence, sentences: Sequence[Sentence], text: str) -> list[Sentence]:
    """The candidate sentences of ``head``'s section (``sentences``: the candidates of any documents), in reading
    order; [] when the candidates do not go on right below it."""
    own = sorted((s for s in sentences if s.doc_id == head.doc_id and s.start >= head.end), key=lambda s: s.start)
    out: list[Sentence] = []
    chars, at = 0, head.end
    for s in own:
        gap = text[at:s.start]
        if gap.strip() and not _LEAD.fullmatch(gap.strip("\n")):
            break  # a gap: a sentence the candidates do not hold (another passage), not the section's next one
        if out and _BLANK_LINE.search(gap):
            break  # the section's first paragraph (or list) only
        if is_heading(text, s.start, s.end) or len(out) >= MAX_ITEMS or chars + len(s.text) > MAX_CHARS:
            break
        out.append(s)
        chars += len(s.text)
        at = s.end
    return out


def expand(chosen: Sequence[Sentence], sentences: Sequence[Sentence], text_of: Callable[[str], str],
           keep: Sequence[Sentence] = ()) -> list[Sentence]:
    """``chosen`` with each heading that has a section replaced by the section's sentences, which take the heading's
    score (they are cited where it would have been, in reading order); a sentence is kept once. Those in ``keep``
    (the short answer's sentence, a conflict's sides: cited by their own span) stay as they are."""
    out: list[Sentence] = []
    for s in chosen:
        text = text_of(s.doc_id)
        items = section(s, sentences, text) if s not in keep and is_heading(text, s.start, s.end) else []
        for x in [replace(x, score=max(x.score, s.score)) for x in items] or [s]:
            if all((x.doc_id, x.start) != (y.doc_id, y.start) for y in out):
                out.append(x)
    return out


HEADED_TOP = 3


def headed(question: str, sentences: Sequence[Sentence], text_of: Callable[[str], str]) -> Sentence | None:
    """The heading among the best ``HEADED_TOP`` ``sentences`` that names every word of ``question`` (with its
    document's title) and has a section below it; None when none does."""
    terms = set(question_terms(question))
    if not terms:
        return None
    for s in sentences[:HEADED_TOP]:
        text = text_of(s.doc_id)
        if not is_heading(text, s.start, s.end):
            continue
        own = set(tokenize(s.text))
        if own & terms and terms <= own | set(tokenize(s.title or "")) and section(s, sentences, text):
            return s
    return None
