"""Claim-verification pairs from SciFact (Wadden et al. 2020), written by people: a scientific claim against the
abstract sentences annotators marked as its rationale (SUPPORT -> entailment, CONTRADICT -> contradiction; a
rationale of several sentences is read as one premise) and against one other sentence of the same abstract that no
rationale of the claim holds (neutral).

The labels are in ``beir-scifact/queries.jsonl`` (``metadata``: abstract id -> rationales with sentence numbers);
an abstract's sentences are ``qa.text.sentences.split_sentences`` of its ``corpus.jsonl`` text (the abstract's own
sentences joined with spaces; a rationale whose sentence number the split does not reach is skipped).

Which claims: qa's evaluations ask SciFact claims of the SQuAD corpus as off-topic questions, ``_id % 5 == 0`` on
the dev side (``qa_tools.answer_eval.scifact_claims``). Pairs are made from the **other** claims' rationales
(``split="train"``); ``split="dev"``: the dev-side claims, a check shown in the training log. No shipped model was
trained on them (stage 10 failed its rule: the model card); one that is must have its off-topic held-out figures
leave these claims out.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from qa.text.sentences import split_sentences

LABEL = {"SUPPORT": 0, "CONTRADICT": 2}
NEUTRAL = 1


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def is_dev(claim_id: str) -> bool:
    return int(claim_id) % 5 == 0


def pairs(folder: Path, *, split: str = "train", seed: int = 0) -> list[dict[str, Any]]:
    """Rows ``premise, hypothesis, label, split, set`` from the claims of ``split`` (see the module docstring)."""
    rng = random.Random(seed)
    claims = [q for q in _jsonl(folder / "queries.jsonl") if q.get("metadata") and is_dev(q["_id"]) == (split == "dev")]
    wanted = {doc for q in claims for doc in q["metadata"]}
    texts = {r["_id"]: r["text"] for r in _jsonl(folder / "corpus.jsonl") if r["_id"] in wanted}
    out: list[dict[str, Any]] = []
    for q in claims:
        for doc, rationales in q["metadata"].items():
            text = texts.get(doc)
            if not text:
                continue
            sentences = [text[s.start:s.end] for s in split_sentences(text, 0, len(text))]
            used: set[int] = set()
            for r in rationales:
                rows = sorted(r["sentences"])
                if r.get("label") not in LABEL or not rows or rows[-1] >= len(sentences):
                    continue
                used.update(rows)
                out.append(_row(" ".join(sentences[i] for i in rows), q["text"], LABEL[r["label"]], split))
            others = [i for i in range(len(sentences)) if i not in used]
            if used and others:
                out.append(_row(sentences[rng.choice(others)], q["text"], NEUTRAL, split))
    rng.shuffle(out)
    return out


def _row(premise: str, hypothesis: str, label: int, split: str) -> dict[str, Any]:
    return {"premise": premise, "hypothesis": hypothesis, "label": label, "split": split, "set": "scifact"}
