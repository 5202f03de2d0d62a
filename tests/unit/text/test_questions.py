"""Yes/no questions become the claims they ask about (qa.text.questions)."""
from __future__ import annotations

import pytest

from qa.text.questions import answer_claim, is_yes_no, negated_claim, to_claim


@pytest.mark.parametrize(("question", "claim"), [
    ("Was the mayor injured in the crash?", "The mayor was injured in the crash."),
    ("Did the United States support the strike?", "The United States supported the strike."),
    ("Were dozens of Russians killed?", "Dozens of Russians were killed."),
    ("Is Paris the capital of France?", "Paris is the capital of France."),
    ("Has the company released its results?", "The company has released its results."),
    ("Didn't the minister attend the summit?", "The minister did not attend the summit."),
    ("Did the court not review the ban?", "The court did not review the ban."),
    ("Can the bridge carry trucks?", "The bridge can carry trucks."),
    ("Did the port handle more cargo in 2025?", "The port handled more cargo in 2025."),  # a quantifier after the verb
    ("Did the port handle cargo in 2025?", "The port handled cargo in 2025."),  # was "The port handle cargoed"
    ("Did the company hire 200 people?", "The company hired 200 people."),  # a number after the verb
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


@pytest.mark.parametrize(("question", "answer", "claim"), [
    ("Who wrote the report?", "Anna Holm", "Anna Holm wrote the report."),
    ("Where was the ambush?", "near the city of Izium", "The ambush was near the city of Izium."),
    ("When did the war end?", "1945", "The war ended in 1945."),
    ("What year did the lighthouse open?", "1872", "The lighthouse opened in 1872."),
    ("In what country is Normandy located?", "France", "Normandy is located in France."),
    ("What is the capital of France?", "Paris", "The capital of France is Paris."),
    ("How many people live in the town?", "2,000", "2,000 people live in the town."),
    ("How did he escape?", "through a tunnel", "He escaped through a tunnel."),
    ("Why did the port close?", "a storm", "The port closed because a storm."),
    ("Which team won the final?", "Denver", "Denver team won the final."),
    # negated questions: the "not" stays a negation, after the subject or on a subject question
    ("What did the court not review?", "the ban", "The court did not review the ban."),
    ("Who did not attend the meeting?", "Bob", "Bob did not attend the meeting."),
    ("Who didn't come?", "Ann", "Ann didn't come."),
    ("What didn't he say?", "hello", "He did not say hello."),
    ("Who did Ann see?", "Bob", "Ann saw Bob."),
    # the wh-phrase as the subject of a passive, a progressive, a modal or a main "be" / "have"
    ("What weapon was used in the attack?", "a missile", "A missile was used in the attack."),
    ("Which team was defeated in the final?", "Spain", "Spain was defeated in the final."),
    ("What can be seen from the tower?", "the sea", "The sea can be seen from the tower."),
    ("Who is running the company?", "Anna", "Anna is running the company."),
    ("Who has the most titles?", "Real", "Real has the most titles."),
    ("Who was the first president?", "Washington", "The first president was Washington."),
    ("What was Tesla's first job?", "a draftsman", "Tesla's first job was a draftsman."),
    ("How many officers died in the strike?", "up to 20", "Up to 20 officers died in the strike."),
    ("How many people were killed?", "20", "20 people were killed."),
    ("What year was the war over?", "1945", "The war was over in 1945."),
])
def test_a_wh_question_and_its_answer_become_a_claim(question: str, answer: str, claim: str) -> None:
    assert answer_claim(question, answer) == claim


def test_a_question_without_a_wh_word_keeps_its_words() -> None:
    assert answer_claim("Name the keeper.", "Anna Holm") == "Name the keeper: Anna Holm."


@pytest.mark.parametrize("question, opposite", [
    ("Was the harbour master injured in the fire?", "The harbour master was not injured in the fire."),
    ("Did the port reopen on Wednesday?", "The port did not reopen on Wednesday."),
    ("Can ships use the port again?", "Ships can not use the port again."),
    ("Wasn't he told?", "He was told."),
    ("Was not the bridge inspected?", "The bridge was inspected."),
    ("Has anyone been arrested?", "No one has been arrested."),
    ("Did somebody die in the collapse?", "Nobody died in the collapse."),
])
def test_the_opposite_of_a_yes_no_questions_claim(question: str, opposite: str) -> None:
    assert negated_claim(question) == opposite


def test_no_opposite_without_a_yes_no_question() -> None:
    assert negated_claim("Who was injured?") is None and negated_claim("") is None
