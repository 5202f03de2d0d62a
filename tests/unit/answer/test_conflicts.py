"""Conflict detection: the rules on single sentences (no model); the labelled pairs through the whole pipeline
are in tests/integration/test_conflicts_real.py."""
from __future__ import annotations

from pathlib import Path

import pytest

from qa.text.tokens import query_stopwords
from qa.answer.conflicts import find_conflict, stances
from qa.text.numbers import quantities

PAIRS = Path(__file__).resolve().parents[2] / "data" / "conflict_pairs.jsonl"
STOP = query_stopwords()


def conflict(question: str, a: str, b: str) -> bool:
    return find_conflict(question, [a, b], ["a", "b"], stop=STOP) is not None


@pytest.mark.parametrize("sentence, polarity", [
    ("The minister attended the summit.", 1),
    ("The minister did not attend the summit.", -1),
    ("The minister didn't attend the summit.", -1),
    ("The minister has never attended a summit.", -1),
    ("The minister was absent from the summit.", -1),
    ("The minister skipped the summit.", -1),
])
def test_stance_on_the_asked_concept(sentence: str, polarity: int) -> None:
    st = stances(sentence, ["attend"])
    assert st["attend"].polarity == polarity


def test_negation_scope_is_the_next_content_word() -> None:
    st = stances("The minister did not attend the summit.", ["attend", "summit"])
    assert st["attend"].polarity == -1 and st["summit"].polarity == 1


def test_avoidance_only_counts_for_harm_questions() -> None:
    assert stances("He managed to leave a little earlier.", ["wounded"])["wounded"].polarity == -1
    assert "attend" not in stances("He managed to leave a little earlier.", ["attend"])
    direct = stances("He was wounded and forced to flee, but escaped capture.", ["wounded"])["wounded"]
    assert direct.polarity == 1 and direct.strength == 2  # a direct mention outranks an inferred escape


@pytest.mark.parametrize("sentence, expected", [
    ("Twelve people died in the fire.", {"peopl": {12.0}}),
    ("The fire killed 1,200 people in 1911.", {"peopl": {1200.0}, "year": {1911.0}}),
    ("The renovation cost 45 million euros.", {"euro": {45e6}}),
    ("The 45-million-euro renovation.", {"euro": {45e6}}),
    ("It is 320 m tall.", {"metr": {320.0}}),
    ("About 62 percent agreed.", {"percent": {62.0}}),
    ("The strike began on 3 March.", {"march": {3.0}}),
    ("Someone won 3-1 with one goal.", {"goal": {1.0}}),  # not "one" inside "Someone", not "3-1"
])
def test_quantities(sentence: str, expected: dict) -> None:
    assert quantities(sentence, STOP) == expected


def test_rules_on_examples() -> None:
    assert conflict("Was the bridge closed?", "The bridge was closed after the storm.", "The bridge stayed open.")
    assert conflict("Did the senator vote for the bill?", "He voted for the bill.", "He voted against the bill.")
    assert conflict("When was it founded?", "It was founded in 1887.", "It was founded in 1902.")
    assert not conflict("When was it founded?", "It was founded in 1887.", "Founded in 1887, it moved in 1930.")
    assert not conflict("Was the general killed?", "The general survived.", "The general was not killed.")
    assert not conflict("How many people live there?", "About 12,000 people live there.", "Roughly 12,000 people live there.")
    # one document saying both yes and no has no clear stance: no conflict is claimed on its account
    assert find_conflict("Was he arrested?", ["He was arrested.", "He was arrested on Friday.", "He has not been arrested."],
                         ["a", "b", "b"], stop=STOP) is None


def test_numbers_compared_are_the_ones_read_as_the_answer() -> None:
    """With the reader's answer spans, two documents disagree on a number only when they answer the question with
    different values; another number of the same unit elsewhere in a sentence is not a disagreement."""
    a, b = "The stadium opened in 2014.", "The league announced in 2012 that the stadium would host the final."
    question = "When did the stadium open?"
    assert conflict(question, a, b)  # every number counts: a false disagreement
    read_a = [(a.index("2014"), a.index("2014") + 4)]
    assert find_conflict(question, [a, b], ["a", "b"], stop=STOP, answers=[read_a, []]) is None
    c = "The stadium opened in 2016, two years late."
    read_c = [(c.index("2016"), c.index("2016") + 4)]
    found = find_conflict(question, [a, c], ["a", "b"], stop=STOP, answers=[read_a, read_c])
    assert found is not None and found.kind == "number"


def test_quantities_within_spans() -> None:
    s = "In 2012 the league chose the stadium, which opened in 2014."
    assert quantities(s, STOP) == {"year": {2012.0, 2014.0}}
    assert quantities(s, STOP, [(s.index("2014"), len(s) - 1)]) == {"year": {2014.0}}
    assert quantities(s, STOP, []) == {}
