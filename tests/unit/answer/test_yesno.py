"""Per-source yes/no verdicts (qa.answer.yesno) with a fake entailment model: the plumbing, not the model."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa.answer.candidates import Sentence
from qa.answer.yesno import NO, NOT_ADDRESSED, YES, contrast, verdicts


def _denied(hypothesis: str) -> bool:
    """Whether a hypothesis is the opposite of a claim ("X was not injured", "No one was hurt")."""
    return " not " in f" {hypothesis} " or hypothesis.startswith(("No one", "Nobody", "Nothing"))


def _flipped(row: list[float], hypothesis: str) -> list[float]:
    """A premise's probabilities against the claim, read against its opposite instead: entailment and
    contradiction swap."""
    return row[::-1] if _denied(hypothesis) else row


class FakeEntailer:
    """Entails the claim when the premise holds its key word, contradicts it on "not" + key word (and the other
    way round for the claim's opposite)."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.seen: list[tuple[str, str]] = []

    def calibration(self, key: str, default: float) -> float:
        return {"yesno_contrast_threshold": 0.5, "yesno_contrast_margin": 0.0}.get(key, 0.5)

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        self.seen.extend(pairs)
        out = []
        for premise, hypothesis in pairs:
            neg = f"not {self.word}" in premise
            pos = self.word in premise and not neg
            out.append(_flipped([0.9, 0.05, 0.05] if pos else [0.05, 0.1, 0.85] if neg else [0.05, 0.9, 0.05],
                                hypothesis))
        return np.array(out)


def _s(doc: str, text: str, score: float) -> Sentence:
    return Sentence(doc, doc, None, None, 0, len(text), text, 0, 0, score=score)


def test_each_document_gets_its_own_verdict() -> None:
    sentences = [_s("a", "The mayor was injured in the crash.", 3.0), _s("b", "The mayor was not injured at all.", 2.5),
                 _s("c", "The crash happened on Route 9.", 2.0), _s("a", "Traffic was stopped.", 1.0)]
    ent = FakeEntailer("injured")
    claim, found = verdicts(ent, "Was the mayor injured in the crash?", sentences)  # type: ignore[misc]
    assert claim == "The mayor was injured in the crash."
    by_doc = {v.doc_id: v for v in found}
    assert by_doc["a"].verdict == YES and by_doc["a"].sentence is sentences[0]
    assert by_doc["b"].verdict == NO and by_doc["b"].sentence is sentences[1]
    assert by_doc["c"].verdict == NOT_ADDRESSED and by_doc["c"].sentence is None
    # the claim and its opposite, not the question, are judged: each sentence once against each, in one batch
    assert [h for _, h in ent.seen] == [claim] * 4 + ["The mayor was not injured in the crash."] * 4


def test_not_a_yes_no_question() -> None:
    assert verdicts(FakeEntailer("x"), "Who was injured?", [_s("a", "x", 1.0)]) is None  # type: ignore[arg-type]


def test_limits_per_document_and_documents() -> None:
    sentences = [_s(d, f"sentence {i} of {d}", 10 - i) for d in "abcd" for i in range(6)]
    ent = FakeEntailer("zzz")
    _, found = verdicts(ent, "Is it zzz?", sentences, per_document=2, documents=3)  # type: ignore[misc]
    assert [v.doc_id for v in found] == ["a", "b", "c"]
    assert len(ent.seen) == 12  # 6 sentences, against the claim and its opposite


def test_a_yes_the_conflict_rules_read_as_the_opposite_is_a_no() -> None:
    """The model entails "escaped the strike unharmed" from "was wounded and forced to flee" (the words overlap);
    the conflict rules see the opposite stance on the harm asked about, so that source says no."""
    wounded = _s("a", "The general escaped but was wounded by shrapnel in the strike.", 3.0)
    fine = _s("b", "The general escaped the strike unharmed, his aide said.", 2.5)
    claim, found = verdicts(FakeEntailer("escaped"), "Did the general escape the strike unharmed?",  # type: ignore[arg-type]
                            [wounded, fine])
    by_doc = {v.doc_id: v for v in found}
    assert by_doc["a"].verdict == NO and by_doc["a"].sentence is wounded
    assert by_doc["b"].verdict == YES and by_doc["b"].sentence is fine


def test_contrast_weighs_the_claim_and_its_opposite() -> None:
    """A sentence is for "yes" by P(entails the claim) and P(contradicts its opposite), for "no" by the other two;
    the stronger side decides when it reaches the threshold and leads by more than the margin."""
    claim = np.array([[0.6, 0.3, 0.1], [0.1, 0.4, 0.5]])
    opposite = np.array([[0.1, 0.3, 0.6], [0.9, 0.05, 0.05]])  # the second sentence entails "X was not injured"
    assert contrast(claim, opposite, 0.5, 0.0) == (NO, 1)  # yes 0.6 vs no 0.7: no leads
    claim[1] = [0.1, 0.8, 0.1]  # the second sentence now barely contradicts the claim: no 0.5 vs yes 0.6
    assert contrast(claim, opposite, 0.5, 0.0) == (YES, 0)
    assert contrast(claim, opposite, 0.5, 0.2) == (NOT_ADDRESSED, -1)  # a lead of 0.1 is not enough
    assert contrast(claim, opposite, 0.7, 0.0) == (NOT_ADDRESSED, -1)
    assert contrast(np.zeros((0, 3)), np.zeros((0, 3)), 0.5, 0.0) == (NOT_ADDRESSED, -1)


def test_a_sentence_that_denies_only_the_opposite_still_says_no() -> None:
    """The model often reads "escaped without injury" as neutral to "was injured" but as entailing "was not
    injured": weighing the opposite too makes that a "no"."""

    class Lopsided(FakeEntailer):
        def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
            self.seen.extend(pairs)
            return np.array([[0.95, 0.03, 0.02] if _denied(h) else [0.05, 0.6, 0.35] for _, h in pairs])

    unhurt = _s("a", "The mayor escaped without injury.", 3.0)
    _, found = verdicts(Lopsided("x"), "Was the mayor injured?", [unhurt])  # type: ignore[misc]
    assert found[0].verdict == NO and found[0].sentence is unhurt
    assert found[0].probability == 0.95  # the stronger reading of its side
    # ... but a "no" read only through the opposite is not firm enough to make the sources disagree (FIRM_NO)
    assert not found[0].firm


def test_a_no_that_contradicts_the_claim_itself_is_firm() -> None:
    sentences = [_s("a", "The mayor was injured in the crash.", 3.0), _s("b", "The mayor was not injured at all.", 2.5)]
    _, found = verdicts(FakeEntailer("injured"), "Was the mayor injured in the crash?", sentences)  # type: ignore[misc]
    by_doc = {v.doc_id: v for v in found}
    assert by_doc["b"].verdict == NO and by_doc["b"].firm  # P(contradiction) 0.85 >= FIRM_NO
    assert by_doc["a"].verdict == YES and by_doc["a"].firm


class OnPoint(FakeEntailer):
    """Every premise holding the word entails the claim (as the real model does when the words overlap)."""

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        self.seen.extend(pairs)
        return np.array([_flipped([0.9, 0.05, 0.05] if self.word in p else [0.05, 0.9, 0.05], h) for p, h in pairs])


def test_another_value_for_the_same_thing_is_a_no() -> None:
    """"Three people were taken to hospital" does not say yes to "Were four people taken to hospital?", whatever
    the model's overlap says; a document that states the asked value anywhere keeps its yes."""
    three = _s("a", "Three people were taken to hospital after the crash.", 3.0)
    four = _s("b", "Four people were taken to hospital, police said.", 2.5)
    both = [_s("c", "Eleven people were hurt and taken to hospital.", 2.4), _s("c", "Four of them stayed the night.", 2.0)]
    aside = _s("d", "The hospital has 300 beds.", 1.5)  # another unit: not the thing asked
    _, found = verdicts(OnPoint("hospital"), "Were four people taken to hospital?",  # type: ignore[misc]
                        [three, four, *both, aside], documents=4)
    by_doc = {v.doc_id: v for v in found}
    assert by_doc["a"].verdict == NO and by_doc["a"].sentence is three
    assert by_doc["b"].verdict == YES and by_doc["b"].sentence is four
    assert by_doc["c"].verdict == YES
    assert by_doc["d"].verdict == YES  # the overlap's yes stands: 300 beds is no value for people


def test_another_value_off_the_point_says_nothing() -> None:
    """A differing number in a sentence the model finds neutral is not a "no"."""
    off = _s("a", "Twelve people attended the meeting.", 3.0)
    _, found = verdicts(OnPoint("hospital"), "Were four people taken to hospital?", [off])  # type: ignore[misc]
    assert found[0].verdict == NOT_ADDRESSED


def test_another_weekday_for_the_same_event_is_a_no() -> None:
    tuesday = _s("a", "The fire at the depot started late on Tuesday.", 3.0)
    wednesday = _s("b", "The fire at the depot started shortly after midnight on Wednesday.", 2.5)
    _, found = verdicts(OnPoint("fire"), "Did the fire at the depot start on Tuesday?",  # type: ignore[misc]
                        [tuesday, wednesday])
    by_doc = {v.doc_id: v for v in found}
    assert by_doc["a"].verdict == YES
    assert by_doc["b"].verdict == NO and by_doc["b"].sentence is wednesday


def test_an_intent_is_no_yes_but_a_later_statement_still_decides() -> None:
    # the fake model, like the real one, reads "kill" in "the purpose ... was to kill" as entailing "was killed"
    aim = _s("a", "The raid, the purpose of which was to kill the general, began at dawn.", 3.0)
    ent = FakeEntailer("kill")
    _, found = verdicts(ent, "Was the general killed?", [aim])  # type: ignore[misc]
    assert found[0].verdict == NOT_ADDRESSED and found[0].sentence is None
    fact = _s("a", "Two hours later the general was killed by a sniper.", 2.0)
    _, found = verdicts(ent, "Was the general killed?", [aim, fact])  # type: ignore[misc]
    assert found[0].verdict == YES and found[0].sentence is fact


def test_sentences_off_the_point_are_not_judged() -> None:
    # the model reads an unrelated sentence against a claim as a contradiction; below ``on_point`` it is not read
    sentences = [_s("lease", "One dog is allowed.", 1.0), _s("trip", "The room costs 148 euros, not allowed.", -6.0)]
    ent = FakeEntailer("allowed")
    _, found = verdicts(ent, "Is a dog allowed?", sentences, on_point=-5.0)  # type: ignore[misc]
    by_doc = {v.doc_id: v.verdict for v in found}
    assert by_doc == {"lease": YES}  # the travel plan is not among the documents judged at all
    assert all(p != sentences[1].text for p, _ in ent.seen)
    _, found = verdicts(ent, "Is a dog allowed?", sentences)  # type: ignore[misc]
    assert {v.doc_id: v.verdict for v in found} == {"lease": YES, "trip": NO}  # what ``on_point`` prevents
