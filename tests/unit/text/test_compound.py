"""Compound questions are split into the questions they ask, each stand-alone; one question stays whole."""
from __future__ import annotations

import pytest

from qa.text.compound import MAX_PARTS, parts, standalone


@pytest.mark.parametrize(("question", "asked"), [
    ("What is the capital of France and when was it founded?",
     ["What is the capital of France?", "When was the capital of France founded?"]),
    ("Who is Mira Murati and what is her background?", ["Who is Mira Murati?", "What is Mira Murati's background?"]),
    ("The harbour bridge - what is it, and who built it?",
     ["What is The harbour bridge?", "Who built The harbour bridge?"]),
    ("The Kelmar Accord keeps coming up. What is it, and what does it say about fishing?",
     ["What is The Kelmar Accord?", "What does The Kelmar Accord say about fishing?"]),
    ("Summarize the fire report. How many were hurt, and who is investigating?",
     ["Summarize the fire report.", "How many were hurt?", "Who is investigating?"]),
    ("so who won the vote? and what did the mayor say about the result",
     ["Who won the vote?", "What did the mayor say about the result?"]),
])
def test_the_questions_a_message_asks(question: str, asked: list[str]) -> None:
    assert parts(question) == asked


@pytest.mark.parametrize("question", [
    "Who won the game, and by how much?",  # one question: "by how much" has no verb of its own
    "Which albums came out, and when?",
    "According to the second article, what happened to the mayor?",  # a lead-in, not a question
    "Tell me who won, and what the score was.",  # what a request asks to be told
    "I have no time to read these. What do they say?",  # a statement and one question
    "Who is John J. Ray III?",  # initials do not end a sentence
    "Where does the snow start in the Andes, and where in the Sierra?",  # the second has no verb: one question
    "What was Alameda Research? Fill me in.",  # "fill me in" asks nothing of its own
    "How do the two articles differ on the mayor's fate?",
    "Which teams does the report describe, and what does each one cover?",  # the second leans on the first's answer
    "Who won the vote? And what did the mayor say about it?",
])
def test_one_question_stays_whole(question: str) -> None:
    assert parts(question) == []


def test_too_many_parts_are_one_message() -> None:
    many = " ".join(f"What is item {i}?" for i in range(MAX_PARTS + 1))
    assert parts(many) == []
    assert len(parts(" ".join(f"What is item {i}?" for i in range(MAX_PARTS)))) == MAX_PARTS


@pytest.mark.parametrize(("question", "whole"), [
    ("the harbour bridge - what is it?", "What is the harbour bridge?"),
    ("The Kelmar Accord keeps coming up. What is it?", "What is The Kelmar Accord?"),
    ("Alameda Research: what was it?", "What was Alameda Research?"),
])
def test_one_question_naming_its_subject_apart_is_asked_whole(question: str, whole: str) -> None:
    assert standalone(question) == whole


@pytest.mark.parametrize("question", ["What is it?", "Who built the bridge?", "Who won the vote, and when was it held?"])
def test_a_question_that_stands_alone_is_left_as_it_is(question: str) -> None:
    assert standalone(question) is None
