"""What every made-pair source of the entailment training shares (training/nli/edits.py, implicatives.py): pairs
from their own split's encyclopedic passages only, all three labels, seeded."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.training.passages import example
from training.nli import edits, implicatives
from training.nli.data import LABELS

BRIDGE = ("The bridge over the Kel river was opened in 1937 by the mayor. It carried three tram lines until it was "
          "closed in 1961. Ada Lovelace designed its lamps, which were lit by gas.")
CANAL = ("The duke planned to build a canal from the river to the sea. If the canal opened, trade would move to the "
         "port of Lille. The work began in 1780.")


@pytest.mark.parametrize("make, context, copies, kind", [
    (edits.pairs, BRIDGE, 30, "edit-other-sentence"),
    (implicatives.pairs, CANAL, 10, "clause-neutral"),
])
def test_pairs_have_all_three_labels_and_only_their_split(make: Callable[..., list[dict[str, Any]]], context: str,
                                                          copies: int, kind: str) -> None:
    examples = [example("train", f"p{i}", context=context) for i in range(copies)]
    examples += [example("dev", "d0", context=context), example("train", "n", "newsqa", context=context)]
    made = make(examples, split="train", seed=7)
    assert made and {r["split"] for r in made} == {"train"} and {r["source"] for r in made} == {"squad2-train"}
    assert {LABELS[r["label"]] for r in made} == {"entailment", "contradiction", "neutral"}
    assert any(r["kind"] == kind for r in made)
    assert all(r["premise"] != r["hypothesis"] for r in made if LABELS[r["label"]] != "entailment")
    assert make(examples, split="train", seed=7) == made  # seeded
    assert {r["split"] for r in make(examples, split="dev", seed=7)} == {"dev"}
