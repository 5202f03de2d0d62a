"""Page furniture (qa/text/furniture.py): credits, captions, by-lines and the tail of a web page are told from its
text; the pattern file is checked when loaded."""
from __future__ import annotations

from pathlib import Path

import pytest

from qa.text.furniture import DATA, caption_end, cues, in_tail, is_furniture, tail_start
from qa.text.wordlists import WordListError
from tests.conftest import changed_copy


@pytest.mark.parametrize("line", [
    "The Independent, 2023-12-06, by Chelsea Ritschel", "By Jane Smith and Bob Doe",
    "The Verge, Nov 2, 2023, by Liz Lopatto", "Main image source: Murat Cola/Anadolu Agency/Getty Images",
    "You May Also Like", "Read also: the ten best hikes of the summer", "SUBSCRIBE TO OUR NEWSLETTER TODAY",
    "Russian Defense Minister and the general at the parade PAP / EPA / POOL", "Photo: the crowd outside the court",
])
def test_furniture(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize("line", [
    "By the time she attended her first game, they were a couple.",
    "Mayor Tom Berg called the vote historic for Arlen.",
    "Footage of the ambush near the city of Izium was later released by the Ukrainian military.",
    # a credit's agency name inside a word is no credit ("paper" is not PAP, "separate" not EPA)
    "He said he did not trust a single piece of paper in the exchange's organization.",
    "There was no separateness whatsoever between the two firms, the report found.",
])
def test_text_is_not_furniture(line: str) -> None:
    assert not is_furniture(line)


def test_the_title_line_again_is_furniture() -> None:
    assert is_furniture("Bridge reopens after storm", title="Bridge reopens after storm damage")


def test_the_tail_of_a_page_starts_at_its_marker_in_the_second_half() -> None:
    body = "The council met on Monday and voted to reopen the bridge. " * 20
    text = f"{body}\nYou May Also Like\nA teaser for another story about the mayor's plans.\n"
    teaser = text.index("A teaser")
    assert tail_start(text) == text.index("You May Also Like")
    assert in_tail(text, teaser) and not in_tail(text, 10)
    early = "You May Also Like\n" + body  # in the first half: a heading, not the end of the page
    assert tail_start(early) == len(early)


def test_a_broken_pattern_file_names_itself(tmp_path: Path) -> None:
    bad = changed_copy(DATA, tmp_path, boilerplate=["(unclosed"])
    with pytest.raises(WordListError, match="furniture.json"):
        cues.__wrapped__(bad)


def test_a_caption_ends_where_its_run_of_credits_starts() -> None:
    line = "Russian Defense Minister Sergei Shoigu and Valery GerasimovPAP / EPA / GAVRIIL GRIGOROV / POOL"
    assert line[:caption_end(line)] == "Russian Defense Minister Sergei Shoigu and Valery Gerasimov"
    line = "The mayor opens the new bridge on Friday REUTERS / POOL"
    assert line[:caption_end(line)] == "The mayor opens the new bridge on Friday"
    assert caption_end("Main image source: Murat Cola/Anadolu Agency/Getty Images") is None  # no caption before
    assert caption_end("The US and the EU agreed on a deal.") is None
