"""An intent, an attempt or a refusal is not a fact (qa.text.frames): the claim's verb only after "tried to",
"the purpose ... was to", "refused to" is not asserted; "managed to" and a plain statement are."""
from __future__ import annotations

from qa.text.frames import framed_stems, unasserted


def test_intent_attempt_and_refusal_frames() -> None:
    assert unasserted("Rebels tried to seize the airport on Tuesday.", "Rebels seized the airport.")
    assert unasserted("The strike, the purpose of which was to kill the general, failed.", "The general was killed.")
    assert unasserted("The senator refused to sign the letter.", "The senator signed the letter.")
    assert unasserted("In an attempt to retake the town, the army shelled it.", "The army retook the town.")  # irregular


def test_statements_are_asserted() -> None:
    assert not unasserted("Rescuers managed to pull three children out.", "Three children were pulled out.")
    assert not unasserted("The army tried to retake the town and retook it by noon.", "The army retook the town.")
    assert not unasserted("He went to London to visit his aunt.", "He visited his aunt.")  # no cue before "to"
    assert not unasserted("They tried to leave. Police arrested them.", "Police arrested them.")


def test_a_claim_that_frames_the_verb_itself_claims_no_more() -> None:
    quote = "He admitted the attack, the purpose of which was to kill the general."
    assert not unasserted(quote, "The attack's purpose was to kill the general.")
    assert not unasserted("Ukraine wanted to eliminate him, but the United States was against it.",
                          "The United States was against eliminating him.")  # a gerund asserts nothing


def test_framed_and_plain_stems() -> None:
    framed, plain = framed_stems("They planned to build a bridge; the bridge was built in 1990.")
    assert "build" in framed and "built" in plain
