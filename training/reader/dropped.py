"""No-answer examples made from answerable ones ("dropped" kind): the question with its own paragraph, every
sentence that holds a gold answer removed.

They look like what the product faces most: a passage on the very topic asked about (same article, same
names) that does not say the answer. Retrieved negatives come from other articles, and SQuAD 2.0's written
unanswerables are few (~1,800 in the train split), so these fill the gap between the two. A paragraph keeps
at least ``MIN_CHARS`` characters and two sentences after the drop, and no gold answer string anywhere.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from qa.text.sentences import split_sentences
from qa_tools.reading import normalize

MIN_CHARS = 200
MIN_SENTENCES = 2


def drop_answer(ex: dict[str, Any]) -> dict[str, Any] | None:
    """``ex`` without the sentences that hold its answers, as a no-answer example; None when too little is
    left or an answer string remains."""
    text = ex["context"]
    golds = [normalize(a["text"]) for a in ex["answers"] if normalize(a["text"])]
    if not golds:
        return None
    spans = [(a["start"], a["start"] + len(a["text"])) for a in ex["answers"]]
    kept = []
    for s in split_sentences(text):
        piece = text[s.start:s.end]
        if any(s.start < e and b < s.end for b, e in spans) or holds(piece, golds):
            continue
        kept.append(piece)
    context = " ".join(kept)
    if len(kept) < MIN_SENTENCES or len(context) < MIN_CHARS or holds(context, golds):
        return None
    return {**ex, "id": f"{ex['id']}-dropped", "context": context, "answers": [], "kind": "dropped"}


def holds(text: str, golds: Sequence[str]) -> bool:
    """Whether ``text`` holds one of the (normalised) answer strings ``golds`` as whole words."""
    norm = f" {normalize(text)} "
    return any(f" {g} " in norm for g in golds)


def dropped_negatives(examples: Sequence[dict[str, Any]], n: int, rng: random.Random) -> list[dict[str, Any]]:
    """Up to ``n`` dropped-answer negatives from a shuffled draw of the answerable ``examples``."""
    if n <= 0:
        return []
    pool = [e for e in examples if e["answers"] and e["kind"] == "gold"]
    rng.shuffle(pool)
    out: list[dict[str, Any]] = []
    for ex in pool:
        neg = drop_answer(ex)
        if neg is not None:
            out.append(neg)
            if len(out) >= n:
                break
    return out
