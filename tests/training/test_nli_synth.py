"""Synthetic product-like pairs from reading-comprehension questions (training/nli/synth.py): the claim a question
and its answer make, the three labels from one question, and the split and evaluation-text rules."""
from __future__ import annotations

from typing import Any

import pytest

from training.nli.data import LABELS
from training.nli.synth import claims, pairs


@pytest.mark.parametrize(("question", "answer", "claim"), [
    ("When did the war end?", "1945", "The war ended in 1945."),
    ("Where was the treaty signed?", "Paris", "The treaty was signed in Paris."),
    ("When was the bridge opened?", "May 3, 1937", "The bridge was opened on May 3, 1937."),
    ("Who founded the company?", "Ada Lovelace", "Ada Lovelace founded the company."),
    ("What is the capital of Freedonia?", "Fredville", "Fredville is the capital of Freedonia."),
    ("How many people live in the town?", "4,000", "4,000 people live in the town."),
    ("What did the council approve?", "a new budget", "The council approved a new budget."),
])
def test_claims_from_question_and_answer(question: str, answer: str, claim: str) -> None:
    assert claims(question, answer) == claim


def test_negated_claims_and_questions_no_rule_covers() -> None:
    assert claims("When did the war end?", "1945", negate=True) == "The war did not end in 1945."
    assert claims("What is the capital of Freedonia?", "Fredville", negate=True) == "Fredville is not the capital of Freedonia."
    assert claims("Why did the war end?", "exhaustion") is None
    assert claims("How did it work?", "well") is None


def _example(split: str, source: str = "squad2-train") -> dict[str, Any]:
    context = ("The bridge over the Kel river was opened in 1937 by the mayor. It carried trams until 1961. "
               "Ada Lovelace designed its lamps, and Charles Babbage paid for them.")
    return {"split": split, "source": source, "article": "Bridge", "kind": "gold", "context": context,
            "question": "When was the bridge over the Kel river opened?",
            "answers": [{"text": "1937", "start": context.index("1937")}]}


def test_three_labels_from_one_question_and_only_its_split() -> None:
    made = pairs([_example("train"), _example("dev"), _example("train", "newsqa")], split="train", seed=3)
    assert {r["split"] for r in made} == {"train"}
    assert {LABELS[r["label"]] for r in made} == {"entailment", "contradiction", "neutral"}
    by_label = {LABELS[r["label"]]: r for r in made if r["kind"] in ("qa-gold", "qa-swap", "qa-negated")
                or r["kind"].endswith("other-sentence")}
    assert by_label["entailment"]["premise"] == "The bridge over the Kel river was opened in 1937 by the mayor."
    assert by_label["entailment"]["hypothesis"] == "The bridge over the Kel river was opened in 1937."
    assert by_label["contradiction"]["premise"] == by_label["entailment"]["premise"]
    assert by_label["contradiction"]["hypothesis"] in ("The bridge over the Kel river was opened in 1961.",
                                                       "The bridge over the Kel river was not opened in 1937.")
    assert "1937" not in by_label["neutral"]["premise"]
    for r in made:
        if r["kind"] == "qa-negated-premise":  # the negated claim, as a premise, contradicts the claim
            assert (r["premise"], r["hypothesis"]) == ("The bridge over the Kel river was not opened in 1937.",
                                                       "The bridge over the Kel river was opened in 1937.")


def test_negated_premises_appear_with_both_labels() -> None:
    made = pairs([{**_example("train"), "article": f"Bridge{i}"} for i in range(40)], split="train", seed=5)
    kinds = {r["kind"]: LABELS[r["label"]] for r in made}
    assert kinds.get("qa-negated-premise") == "contradiction" and kinds.get("qa-negated-both") == "entailment"


def test_a_passage_quoting_an_evaluation_text_is_skipped() -> None:
    import json
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "data" / "nli_product.jsonl"
    held = next(r for r in map(json.loads, data.read_text(encoding="utf-8").splitlines()) if r["split"] == "heldout")
    e = _example("train")
    e = {**e, "context": e["context"] + " " + held["premise"]}
    assert pairs([e], split="train") == []


def test_opposites_make_contradicting_claims_but_leave_names_and_the_answer_alone() -> None:
    from training.nli.synth import antonym_table, opposite

    table = antonym_table()
    assert table["approved"] == "rejected" and table["rejected"] in {"approved", "accepted"}
    assert opposite("The council approved the budget in 1999.", "1999", table) == "The council rejected the budget in 1999."
    assert opposite("Gerasimov escaped the strike unharmed.", "", table) == "Gerasimov escaped the strike wounded."
    assert opposite("Robert Kirkman created The Walking Dead comic books.", "Robert Kirkman", table) is None  # a name
    assert opposite("The largest city is Lagos.", "largest", table) is None  # the answer itself


def test_antonym_pairs_are_checked(tmp_path) -> None:
    import json

    from training.nli.synth import antonym_table

    bad = tmp_path / "antonyms.json"
    bad.write_text(json.dumps({"pairs": [["Open", "closed"]]}), encoding="utf-8")
    with pytest.raises(ValueError, match="antonyms.json"):
        antonym_table(bad)


def test_a_swap_from_the_answers_own_sentence() -> None:
    """``same_sentence``: the swapped answer is another name of the answer's own sentence (the reader's typical
    wrong span), not a name of another sentence of the passage."""
    context = ("Lena Marsh, an adviser to the governor, admitted to ordering the raid, which was meant to stop Victor "
               "Hale. Years later Oscar Brandt wrote a book about it.")
    ex = {"split": "train", "source": "squad2-train", "article": "Raid", "kind": "gold", "context": context,
          "question": "Who admitted to ordering the raid?",
          "answers": [{"text": "Lena Marsh", "start": 0}]}
    swaps = {r["hypothesis"] for seed in range(12)
             for r in pairs([ex], split="train", seed=seed, negations=False, same_sentence=1.0) if r["kind"] == "qa-swap"}
    assert swaps == {"Victor Hale admitted to ordering the raid."}
    anywhere = {r["hypothesis"] for seed in range(12)
                for r in pairs([ex], split="train", seed=seed, negations=False) if r["kind"] == "qa-swap"}
    assert "Oscar Brandt admitted to ordering the raid." in anywhere
