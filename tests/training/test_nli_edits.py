"""Minimal-edit entailment pairs (training/nli/edits.py): each edit changes or keeps what a sentence says, and
the pairs come from their split's passages only."""
from __future__ import annotations

import random

from training.nli.edits import change_day_or_month, change_number, drop_part, flip_negation, number_in_words


def test_edits_that_change_what_a_sentence_says() -> None:
    rng = random.Random(1)
    s = "Three people were taken to hospital on Tuesday."
    edited, span = change_number(s, rng)  # type: ignore[misc]
    assert edited != s and edited.endswith(" people were taken to hospital on Tuesday.")
    assert edited[span[0]:span[1]].lower() != "three"
    year = change_number("The bridge opened in 2009.", rng)
    assert year is not None and year[0] != "The bridge opened in 2009." and year[0].startswith("The bridge opened in ")
    day = change_day_or_month(s, rng)
    assert day is not None and "Tuesday" not in day[0] and day[0].startswith("Three people were taken")
    assert flip_negation("The bridge was inspected in March.", rng) == ("The bridge was not inspected in March.", (11, 18))
    assert flip_negation("The port has not reopened.", rng)[0] == "The port has reopened."  # type: ignore[index]
    assert flip_negation("No one was hurt in the fire.", rng) is None  # no double negation
    assert change_number("The town has a church.", rng) is None


def test_edits_that_keep_what_a_sentence_says() -> None:
    rng = random.Random(2)
    assert number_in_words("His 2 brothers and 3 sisters moved to Lyon.", rng)[0] == \
        "His two brothers and 3 sisters moved to Lyon."  # type: ignore[index]
    assert number_in_words("It was founded on 10 October 1845 in Annapolis.", rng) is None  # a date, not a count
    dropped = drop_part("In 1944, the army crossed the river north of the old town.", rng)
    assert dropped is not None and dropped[0] == "The army crossed the river north of the old town."
    clause = drop_part("The museum, which opened in 1990, holds 4,000 paintings by local artists.", rng)
    assert clause is not None and clause[0] == "The museum holds 4,000 paintings by local artists."
    # a clause holding a negation is never dropped: what is left would say more than the sentence
    assert drop_part("The mayor, who did not attend the meeting, approved the plan for the new park.", rng) is None
