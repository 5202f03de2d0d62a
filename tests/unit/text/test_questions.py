"""Yes/no questions become the claims they ask about (qa.text.questions)."""
from __future__ import annotations

import pytest

from qa.text.questions import is_yes_no, to_claim


@pytest.mark.parametrize(("question", "claim"), [
    ("Was the mayor injured in the crash?", "The mayor was injured in the crash."),
    ("Did the United States support the strike?", "The United States supported the strike."),
    ("Were dozens of Russians killed?", "Dozens of Russians were killed."),
    ("Is Paris the capital of France?", "Paris is the capital of France."),
    ("Has the company released its results?", "The company has released its results."),
    ("Didn't the minister attend the summit?", "The minister did not attend the summit."),
    ("Can the bridge carry trucks?", "The bridge can carry trucks."),
    ("Was he wounded?", "He was wounded."),
    ("Was anyone hurt?", "Someone was hurt."),
    ("Did the port reopen on Wednesday?", "The port reopened on Wednesday."),
    ("Does the plant have a permit?", "The plant has a permit."),
    ("Did the strike stop the convoy?", "The strike stopped the convoy."),
    ("Were all the people who fell into the river rescued?", "All the people who fell into the river were rescued."),
    ("Have the troops left the city?", "The troops have left the city."),
    ("Did the head of the army visit Kyiv?", "The head of the army visited Kyiv."),
])
def test_yes_no_questions_become_claims(question: str, claim: str) -> None:
    assert is_yes_no(question)
    assert to_claim(question) == claim


@pytest.mark.parametrize("question", ["Who is the minister?", "Where was the ambush?", "Why?", "", "Is"])
def test_other_questions_have_no_claim(question: str) -> None:
    assert to_claim(question) is None
