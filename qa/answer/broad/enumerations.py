"""The numbered or bulleted items a document lays out ("1. Did Altman circumvent the board in a major deal?",
"2. ...", "• Raise the wall by two metres"): what a list of things that are not names asks for ("which
explanations are floated", "what recommendations does the report make").

An item is a pool sentence that opens its line after a marker (``1.``, ``2)``, ``•``, ``-``, ``*``, ``–``): only
the marker and spaces between the line's start and the sentence (``pool.marker_before``), or a number as the
sentence's own first characters (a bullet never is: ``qa.text.sentences.quote_spans`` leaves it out of the quote). A document has an enumeration when it holds at least ``MIN_ITEMS`` such items of one kind of marker
(numbers counting up from 1 or 2, or bullets); its first sentence after each marker is the item. The pool keeps
an item of two words or more however short ("Electrify two tug boats."; ``pool._list_item``); a shorter one is
page furniture (``qa.text.furniture``) and not seen: a numbered list with such an item counts only up to it.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from .pool import Pool, marker_before

MIN_ITEMS = 3
_OPENS_NUMBERED = re.compile(r"(\d{1,2})[.)][ \t]+\S")  # "3) Add an evening crossing": the marker kept in the sentence
_ANY_MARKER = re.compile(r"(?m)^[ \t]*(?:\d{1,2}[.)]|[•\-*–▪◦])")  # a line that opens with any marker at all


def enumeration(pool: Pool, doc_id: str, text_of: Callable[[str], str]) -> list[int]:
    """The pool rows of ``doc_id``'s enumerated items, in reading order ([] when it has none)."""
    text = text_of(doc_id)
    if _ANY_MARKER.search(text) is None:  # most documents: no list, nothing to look at sentence by sentence
        return []
    numbered: list[tuple[int, int]] = []
    bullets: list[int] = []
    for row in pool.of(doc_id):
        s = pool.sentences[row]
        marker = marker_before(text, s.start)
        number = marker.group("number") if marker is not None else None
        if number is None and re.search(r"(?:^|\n)[ \t]*$", text[max(0, s.start - 12) : s.start]) and \
                (opens := _OPENS_NUMBERED.match(s.text)):
            number = opens.group(1)
        if number is not None and "\n" not in text[s.start : s.end]:
            numbered.append((int(number), row))
        elif marker is not None and marker.group("number") is None:
            bullets.append(row)
    counted = _counting(numbered)
    if len(counted) >= MIN_ITEMS:
        return counted
    return bullets if len(bullets) >= MIN_ITEMS else []


def _counting(numbered: list[tuple[int, int]]) -> list[int]:
    """The longest run of items numbered n, n+1, n+2, ... (starting at 1 or 2), as rows."""
    best: list[int] = []
    run: list[int] = []
    last = None
    for n, row in numbered:
        if last is not None and n == last + 1:
            run.append(row)
        elif n in (1, 2):
            run = [row]
        else:
            run = []
        last = n if run else None
        if len(run) > len(best):
            best = list(run)
    return best
