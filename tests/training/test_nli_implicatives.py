"""Intent / attempt / condition pairs (training/nli/implicatives.py): the verb alone decides the label, and the
pairs come from their split's passages only."""
from __future__ import annotations

import random

from training.nli.implicatives import clause_pairs, fact_pairs, past, verb_pairs


def test_simple_past_by_spelling_rules() -> None:
    assert [past(v) for v in ("seize", "stop", "carry", "play", "visit", "build", "retake", "open")] == \
        ["seized", "stopped", "carried", "played", "visited", "built", "retook", "opened"]
    assert past("be") is None and past("the") is None


def test_the_same_hypothesis_against_three_verbs() -> None:
    made = verb_pairs("In 1204 the crusaders tried to seize the city from the west.", random.Random(3))
    hyps = {h for p, h, _, k in made if k != "implicative-fact-premise"}
    assert hyps == {"In 1204 the crusaders seized the city from the west."}
    labels = {label: p for p, _, label, k in made if k != "implicative-fact-premise"}
    assert set(labels) == {"neutral", "entailment", "contradiction"}
    assert "managed to seize" in labels["entailment"] and ("failed to seize" in labels["contradiction"]
                                                           or "refused to seize" in labels["contradiction"])
    be = verb_pairs("The bridge was expected to open in the spring of 1990.", random.Random(4))
    assert {h for _, h, _, _ in be} >= {"The bridge opened in the spring of 1990."}
    assert any(lab == "entailment" and "was able to open" in p for p, _, lab, _ in be)
    assert any(lab == "contradiction" and "was unable to open" in p for p, _, lab, _ in be)
    # a negation before the phrase would turn the labels round: no pairs
    assert verb_pairs("The army had never tried to retake the town.", random.Random(5)) == []
    assert verb_pairs("Nobody tried to be first.", random.Random(5)) == []


def test_conditions_are_not_stated_causes_are() -> None:
    assert clause_pairs("If the river floods, the harvest will be lost to the water.") == [
        ("If the river floods, the harvest will be lost to the water.", "The harvest will be lost to the water.",
         "neutral", "clause-neutral")]
    assert clause_pairs("Because the river flooded, the harvest was lost to the water.")[0][2] == "entailment"
    assert clause_pairs("The harvest was lost.") == []



def test_an_aim_is_not_a_fact_but_setting_out_and_succeeding_is() -> None:
    forms = {"captured": "capture"}
    made = fact_pairs("The crusaders captured the city in 1204.", forms, random.Random(1), nominal=True)
    by_kind = {k: (p, lab) for p, _, lab, k in made}
    premise, label = by_kind["nominal-neutral"]
    assert label == "neutral" and premise.startswith("The ") and " of the crusaders was to capture the city in 1204." in premise
    assert by_kind["nominal-entailment"] == ("The crusaders set out to capture the city in 1204, and succeeded.", "entailment")
    assert by_kind["nominal-contradiction"][1] == "contradiction"
    assert all(h == "The crusaders captured the city in 1204." for _, h, _, _ in made)
    # without the flag, or when the subject is not a plain noun phrase, only the verb pairs
    assert {k for *_, k in fact_pairs("The crusaders captured the city.", forms, random.Random(1))} == \
        {"implicative-neutral", "implicative-entailment", "implicative-contradiction"}
    assert not any(k.startswith("nominal") for *_, k in
                   fact_pairs("Strong winds captured the sails.", forms, random.Random(1), nominal=True))
