"""What a named person said ("What did X say?"): the sentences that give their words - named near a verb of saying,
by a pronoun while they are the one speaking, or a quotation going on - and nobody else's; factoid clauses
("what did X say was ...") stay factoids; no statement at all leaves the question to the usual path."""
from __future__ import annotations

from pathlib import Path

import pytest

import qa
from qa.answer.broad.kinds import classify
from qa.answer.broad.statements import attributed
from tests.unit.answer.grounding import assert_grounded, index_of

TRIAL = {
    "trial.txt": "Lawyers open the fraud trial\n\nThe fraud trial of the banker Paul Varga opened in Lund on Monday. "
    "“The defendant lied to everyone,” prosecutor Maria Holm told the jury. She said the bank hid its losses for "
    "years. But Varga was no liar, according to Henrik Dahl, one of his lawyers. “Paul did not defraud anyone,” he "
    "said. “He trusted the wrong people. Nobody at the bank ever warned him about the losses.” The judge set the next hearing for Friday. Dahl added "
    "that his client would testify. The United States states nothing here, and Holm was not in court on Tuesday.",
    "weather.txt": "Storm warning for the coast\n\nA storm will reach the coast on Friday, the weather office said. "
    "Forecaster Ida Berg told reporters that winds could reach 120 km/h.",
}


@pytest.fixture
def trial_index(tmp_path: Path) -> qa.Index:
    return index_of(tmp_path, TRIAL, "docs")


@pytest.mark.parametrize(("question", "speaker", "about"), [
    ("What did Henrik Dahl say?", "henrik dahl", ""),
    ("What did the prosecutor Maria Holm tell the jury?", "the prosecutor maria holm", ""),
    ("What has Dahl said about the defendant's client?", "dahl", "the defendant's client"),
    ("What is Holm arguing?", "holm", ""),
    ("What were Dahl's comments?", "dahl", ""),
])
def test_questions_asking_for_someones_words(question: str, speaker: str, about: str) -> None:
    kind = classify(question)
    assert kind is not None and kind.kind == "entity" and kind.statements
    assert (kind.topic, kind.scope) == (speaker, about)


@pytest.mark.parametrize("question", [
    "What did Dahl say was the reason?",  # one fact: a factoid
    "What did he say?",  # no one named
    "What did the judge say he wanted?",
])
def test_factoid_clauses_and_pronouns_are_not_statements(question: str) -> None:
    kind = classify(question)
    assert kind is None or not kind.statements


def test_a_verb_of_saying_close_to_the_name() -> None:
    assert attributed("“Paul did not defraud anyone,” said Dahl.", ["dahl"])
    assert attributed("Forecaster Ida Berg told reporters that winds could reach 120 km/h.", ["berg"])
    assert attributed("It was reported by former minister Arsen Avakov that the general was hurt.", ["avakov"])
    assert not attributed("It was reported by former minister Arsen Avakov that the general was hurt.", ["general"])
    assert not attributed("The United States states nothing here, and Holm was not in court.", ["holm"])
    assert not attributed("“Never,” he told Time.", ["time"])  # whom words were said to
    # an object or a possessive does not speak: "connected with Kelce", "dating Kelce", "in Kelce's car ... posted"
    assert not attributed("Speaking to the magazine, she said she connected with Kelce in July.", ["kelce"])
    assert not attributed("Since she started dating Kelce, she quipped about the sport.", ["kelce"])
    assert not attributed("They left in Kelce's car, according to photos posted online.", ["kelce"])
    assert attributed("“Play by the rules,” Secretary of Treasury Janet Yellen said in the release.", ["yellen"])
    assert attributed("The fund did well, said Gartner analyst Arun Chandrasekaran.", ["chandrasekaran"])


def test_the_speakers_words_and_no_one_elses(trial_index: qa.Index) -> None:
    ans = trial_index.ask("What did Henrik Dahl say?")
    assert_grounded(trial_index, ans)
    quotes = " ".join(c.quote for c in ans.citations)
    assert ans.found and "What Henrik Dahl said" in ans.text
    assert "according to Henrik Dahl" in quotes  # named near the verb
    assert "Paul did not defraud anyone" in quotes  # "he said" while Dahl is speaking
    assert "Nobody at the bank ever warned him" in quotes  # his quotation going on
    assert "Dahl added" in quotes
    assert "defendant lied" not in quotes and "hid its losses" not in quotes  # the prosecutor's
    assert "next hearing" not in quotes  # narration


def test_a_pronoun_after_someone_else_speaks_is_theirs(trial_index: qa.Index) -> None:
    ans = trial_index.ask("What did Maria Holm say?")
    quotes = " ".join(c.quote for c in ans.citations)
    assert "defendant lied" in quotes and "hid its losses" in quotes
    assert "defraud" not in quotes and "not in court" not in quotes


def test_named_but_never_quoted_says_so(trial_index: qa.Index) -> None:
    ans = trial_index.ask("What did Paul Varga say?")  # named, never quoted: no mention passed off as his words
    assert not ans.found and "name Paul Varga but give no words of" in ans.text and not ans.citations
    other = trial_index.ask("What did Olaf Nystrom say?")  # not named at all: the usual path
    assert "give no words" not in other.text


def test_a_pronoun_of_the_other_gender_is_someone_else(tmp_path: Path) -> None:
    docs = {"tour.txt": "Singer ends the tour\n\nThe singer Lena Roth ended her world tour in Oslo on Sunday. "
            "“I have never felt so free on a stage,” Roth told the magazine. She said she would rest until spring. "
            "Her drummer Piet Vos joined her on stage for the last song of the night. “It was the best show of "
            "the whole year,” he said after the concert. “I’m just glad the fans came,” she added."}
    idx = index_of(tmp_path, docs, "docs")
    quotes = " ".join(c.quote for c in idx.ask("What did Lena Roth say?").citations)
    assert "never felt so free" in quotes and "rest until spring" in quotes
    assert "best show" not in quotes  # "he said": the drummer


def test_a_name_the_documents_spell_otherwise(tmp_path: Path) -> None:
    docs = {"strike.txt": "Strike on the headquarters\n\nAdviser Oleksiy Aretovych admitted to carrying out the strike "
            "on the headquarters near the river. “Many officers died there, but he managed to leave a little earlier,” "
            "said Aretović in a video call. The weather in the region stayed cold for the whole week of the strike."}
    idx = index_of(tmp_path, docs, "docs")
    ans = idx.ask("What did Arestovych say?")  # the question's spelling is in no document
    assert_grounded(idx, ans)
    quotes = " ".join(c.quote for c in ans.citations)
    assert ans.found and "admitted to carrying out" in quotes and "managed to leave" in quotes
    assert "weather" not in quotes


def test_a_first_name_alone_is_not_the_person(tmp_path: Path) -> None:
    docs = {"two.txt": "Two lawyers speak\n\n“The plan was legal,” Mark Cohen told the court on Monday. Later that "
            "day Mark Surman said the trial had drawn a large crowd to the building. The court closed at five."}
    idx = index_of(tmp_path, docs, "docs")
    quotes = " ".join(c.quote for c in idx.ask("What did Mark Cohen say?").citations)
    assert "The plan was legal" in quotes and "large crowd" not in quotes


def test_a_role_that_a_name_only_qualifies(tmp_path: Path) -> None:
    docs = {"port.txt": "Port closed after the storm\n\nThe Norland port authority said the harbour would stay shut "
            "until Friday. Norland's coast guard told reporters that two boats had sunk at their moorings. Prime "
            "minister Eva Lund said Norland would pay for the repairs. The storm moved on to the north by the evening."}
    idx = index_of(tmp_path, docs, "docs")
    ans = idx.ask("What did Norland's coast guard say?")
    assert "What Norland's coast guard said" in ans.text  # the heading names the role, not "Norland's"
    quotes = " ".join(c.quote for c in ans.citations)
    assert "two boats had sunk" in quotes
    assert "pay for the repairs" not in quotes and "stay shut" not in quotes  # Norland's others speak too
    other = idx.ask("What did the Norland fire brigade say?")  # a role the documents never name
    assert "give no words" not in other.text and "What Norland" not in other.text
