"""The reader's learning curve: several stages' weights on one fixed held-out sample, threshold-free.

Each model gives its best span on every question's gold passage (forced: no threshold), so extraction
(has-answer EM / F1, per set) is measured apart from answerability (the AUC with which the margin separates
SQuAD 2.0's answerable questions from its written unanswerables).

    python -m training.reader.curve run/best.safetensors run2/best.safetensors ... [--per-set 200]
"""
from __future__ import annotations

import argparse
import collections
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qa_tools.reading import f1, load_split, normalize, predict

from .data import CACHE
from .model import Reader
from .train import runner


def sample(per_set: int, path: Path = CACHE / "examples.jsonl") -> list[dict[str, Any]]:
    """The first ``per_set`` held-out questions of every set (gold passages and written unanswerables)."""
    seen: collections.Counter[str] = collections.Counter()
    out = []
    for ex in load_split("heldout", path, kinds={"gold", "unanswerable"}):
        if seen[ex["source"]] < per_set:
            seen[ex["source"]] += 1
            out.append(ex)
    return out


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """P(a positive scores above a negative), ties counting half."""
    if not len(positive) or not len(negative):
        return float("nan")
    p, n = np.asarray(positive)[:, None], np.asarray(negative)[None, :]
    return float((p > n).mean() + 0.5 * (p == n).mean())


def measure(weights: Path, examples: Sequence[dict[str, Any]]) -> dict[str, float]:
    model = Reader.from_base()
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(weights)))
    model.eval()
    preds = predict(examples, runner(model))
    scores: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
    margins: dict[bool, list[float]] = {True: [], False: []}
    for ex, p in zip(examples, preds, strict=True):
        golds = [a["text"] for a in ex["answers"]]
        if ex["source"] == "squad2-devhalf":
            margins[bool(golds)].append(p.margin)
        if golds:
            row = (max(float(normalize(p.text) == normalize(g)) for g in golds), max(f1(p.text, g) for g in golds))
            scores["has_answer"].append(row)
            scores[ex["source"]].append(row)
    out = {k: round(100 * float(np.mean([r[1] for r in v])), 2) for k, v in scores.items()}
    out["has_answer_em"] = round(100 * float(np.mean([r[0] for r in scores["has_answer"]])), 2)
    out["squad2_noanswer_auc"] = round(auc(margins[True], margins[False]), 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("weights", nargs="+", help="safetensors files, relative to the training cache or absolute")
    ap.add_argument("--per-set", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    examples = sample(args.per_set)
    for w in args.weights:
        path = Path(w) if Path(w).is_absolute() else CACHE / w
        print(w, json.dumps(measure(path, examples)), flush=True)


if __name__ == "__main__":
    main()
