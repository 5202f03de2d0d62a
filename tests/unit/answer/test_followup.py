"""Follow-up questions: chat history in every shape front-ends use, and the stand-alone rewrite."""
from __future__ import annotations

import pytest

from qa.answer.followup import normalize_history, standalone_query


def test_history_shapes() -> None:
    turns = normalize_history([
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": [{"type": "text", "text": "Who is Ada Lovelace?"}, {"type": "image", "url": "x"}]},
        {"role": "assistant", "content": {"text": "A mathematician."}},
        ("What did she write?", None),
        ["And when?", "In 1843."],
    ])
    assert [(t.role, t.content) for t in turns] == [
        ("user", "Who is Ada Lovelace?"), ("assistant", "A mathematician."), ("user", "What did she write?"),
        ("user", "And when?"), ("assistant", "In 1843.")]
    with pytest.raises(TypeError):
        normalize_history([42])


@pytest.mark.parametrize("question, history, expected", [
    ("was he hurt?", [("Who is Valery Gerasimov?", "The chief of staff.")], "was Valery Gerasimov hurt?"),
    ("What did his adviser say?", [{"role": "user", "content": "Tell me about Volodymyr Zelensky"}],
     "What did Volodymyr Zelensky's adviser say?"),
    ("When was it founded?", [("What is the Royal Society?", "A learned society.")], "When was Royal Society founded?"),
    ("and why?", [("Why did the United States oppose the attack?", "…")],
     "and why? (following: Why did the United States oppose the attack?)"),
    ("When did that happen?", [("Was Gerasimov wounded?", "…")], "When did that happen? (following: Was Gerasimov wounded?)"),
    ("Was Gerasimov wounded?", [("Who is Aretovych?", "An adviser.")], "Was Gerasimov wounded?"),
    ("was he hurt?", [], "was he hurt?"),
    ("how many?", [("the eggs a queen lays per day", "up to 2,000")], "how many? (following: the eggs a queen lays per day)"),
])
def test_standalone_query(question: str, history: list, expected: str) -> None:
    assert standalone_query(question, history) == expected
