"""A message asking several things is answered part by part: each part under its own heading with the answer it
gets alone, the citations numbered on across parts and verbatim, a part not answered said to be so; the
document's own "[n]" inside a quote is never renumbered."""
from __future__ import annotations

from pathlib import Path

import pytest

import qa
from qa.answer.compound import renumbered
from qa.answer.config import NOT_FOUND
from qa.types import Citation
from tests.unit.answer.grounding import assert_grounded, index_of
from tests.unit.answer.test_broad_answers import NEWS


@pytest.fixture
def news_index(tmp_path: Path) -> qa.Index:
    return index_of(tmp_path, NEWS, "news")


def test_each_part_is_answered_under_its_own_heading(news_index: qa.Index) -> None:
    question = "How many firefighters fought the flames at the harbour, and how much will the new bridge cost?"
    ans = news_index.ask(question)
    assert_grounded(news_index, ans)
    assert ans.found and ans.answer is None  # no one short answer for two questions
    assert "**How many firefighters fought the flames at the harbour?**" in ans.text
    assert "**How much will the new bridge cost?**" in ans.text
    first, second = ans.text.split("**How much will the new bridge cost?**")
    assert "firefighters" in first and "40 million euros" in second
    alone = news_index.ask("How much will the new bridge cost?")
    assert alone.citations[0].quote in second.replace("**", "")  # the part's answer is the one it gets alone


def test_a_part_the_documents_do_not_answer_says_so(news_index: qa.Index) -> None:
    ans = news_index.ask("Who designed the new bridge, and what is the population of Lisbon?")
    assert_grounded(news_index, ans)
    assert ans.found and "Delta Works" in ans.text
    assert ans.text.rstrip().endswith(NOT_FOUND)


def test_without_compound_the_message_is_one_question(news_index: qa.Index) -> None:
    question = "How many firefighters fought the flames at the harbour, and how much will the new bridge cost?"
    ans = news_index.ask(question, compound=False)
    assert "**How much will the new bridge cost?**" not in ans.text


def test_renumbering_leaves_the_quotes_as_they_are() -> None:
    quote = "The river rose by 2 metres [3] in one night."
    c = Citation(2, quote, "d", "D", None, 0, len(quote))
    text = f"**Floods**\n\n“{quote}” [2]"
    assert renumbered(text, [c], {2: 5}) == f"**Floods**\n\n“{quote}” [5]"
    bold = "“The river rose by **2 metres** [3] in one night.” [2]"  # the short answer in bold inside it
    assert renumbered(bold, [c], {2: 5, 3: 6}) == "“The river rose by **2 metres** [3] in one night.” [5]"


def test_a_subject_named_apart_is_asked_about_and_the_question_kept(news_index: qa.Index) -> None:
    ans = news_index.ask("Delta Works - what did it design?")
    assert_grounded(news_index, ans)
    assert ans.question == "Delta Works - what did it design?" and "Delta Works" in ans.text
