"""SciFact claim-verification pairs (training/nli/scifact.py): the rationale sentences, not others, are the premise
of an entailment or a contradiction; one other sentence of the abstract is the neutral premise; a claim of the
off-topic evaluations' dev side (``_id % 5 == 0``) is only ever a dev pair; a rationale the split does not reach
is skipped."""
from __future__ import annotations

import json
from pathlib import Path

from training.nli.scifact import pairs

ABSTRACT = ("Smoking raises the risk of lung cancer. The study followed 500 adults. Risk doubled in heavy smokers. "
            "Funding came from a public grant.")


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "beir-scifact"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text(json.dumps({"_id": "d1", "title": "T", "text": ABSTRACT}) + "\n")
    claims = [{"_id": "1", "text": "Smoking increases lung cancer risk.",
               "metadata": {"d1": [{"sentences": [0], "label": "SUPPORT"}, {"sentences": [2], "label": "SUPPORT"}]}},
              {"_id": "2", "text": "Heavy smokers have a lower risk.", "metadata": {"d1": [{"sentences": [2], "label": "CONTRADICT"}]}},
              {"_id": "3", "text": "The study had 20 sentences.", "metadata": {"d1": [{"sentences": [20], "label": "SUPPORT"}]}},
              {"_id": "5", "text": "A dev-side claim.", "metadata": {"d1": [{"sentences": [1], "label": "SUPPORT"}]}},
              {"_id": "6", "text": "No evidence here.", "metadata": {}}]
    (folder / "queries.jsonl").write_text("".join(json.dumps(c) + "\n" for c in claims))
    return folder


def test_rationales_make_the_labelled_pairs(tmp_path: Path) -> None:
    rows = pairs(_folder(tmp_path), seed=1)
    by = {(r["hypothesis"], r["label"]): r["premise"] for r in rows}
    assert by[("Smoking increases lung cancer risk.", 0)] in ("Smoking raises the risk of lung cancer.", "Risk doubled in heavy smokers.")
    assert by[("Heavy smokers have a lower risk.", 2)] == "Risk doubled in heavy smokers."
    neutral = [r for r in rows if r["label"] == 1]
    assert {r["hypothesis"] for r in neutral} == {"Smoking increases lung cancer risk.", "Heavy smokers have a lower risk."}
    assert all(r["premise"] != "Risk doubled in heavy smokers." for r in neutral)  # never a rationale of the claim
    assert not any(r["hypothesis"] in ("The study had 20 sentences.", "A dev-side claim.") for r in rows)
    assert {r["split"] for r in rows} == {"train"} and {r["set"] for r in rows} == {"scifact"}


def test_dev_side_claims_are_dev_pairs_only(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    dev = pairs(folder, split="dev")
    assert {r["hypothesis"] for r in dev} == {"A dev-side claim."} and {r["split"] for r in dev} == {"dev"}
