"""Numbers and dates in text (qa.text.numbers): the short answer's date made whole."""
from __future__ import annotations

import pytest

from qa.text.numbers import whole_date


@pytest.mark.parametrize(("text", "span", "whole"), [
    ("Release 4.2 moves to 4 December.", "December", "4 December"),
    ("It was signed on November 3, 2025 at noon.", "November", "November 3, 2025"),
    ("The 4th of July parade was cancelled.", "July", "4th of July"),
    ("The shop opened in May 2026 after a delay.", "May", "May 2026"),
    ("It lands at 13:05 on 9 May (via Newark).", "May", "9 May"),
    ("The vote on 2 December 2026.", "2 December", "2 December 2026"),
])
def test_a_span_ending_on_a_month_takes_its_day_and_year(text: str, span: str, whole: str) -> None:
    i = text.index(span)
    a, b = whole_date(text, i, i + len(span))
    assert text[a:b] == whole


@pytest.mark.parametrize(("text", "span"), [
    ("It may 2026 be late.", "may"),  # not a month: lower case
    ("Prices rose 3.5 December to December.", "December"),  # "3.5" is no day
    ("He arrived in December.", "December"),  # nothing to add
    ("The cathedral, at 9:30.", "cathedral"),  # no month at all
])
def test_other_spans_are_kept(text: str, span: str) -> None:
    i = text.index(span)
    assert whole_date(text, i, i + len(span)) == (i, i + len(span))
