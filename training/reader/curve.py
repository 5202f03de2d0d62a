"""The reader's learning curve: several stages' weights on one fixed held-out sample, threshold-free.

Each model gives its best span on every question's gold passage (forced: no threshold), so extraction
(has-answer EM / F1, per set) is measured apart from answerability (the AUC with which the margin separates
SQuAD 2.0's answerable questions from its written unanswerables).

    python -m training.reader.curve run/best.safetensors run2/best.safetensors ... [--per-set 200]
"""
from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from qa_tools.gate import auc
from qa_tools.reading import first_per_source, load_split, predict, score

from ..common import start_from
from .data import CACHE
from .model import Reader
from .train import runner


def sample(per_set: int, path: Path = CACHE / "examples.jsonl") -> list[dict[str, Any]]:
    """The first ``per_set`` held-out questions of every set (gold passages and written unanswerables)."""
    return first_per_source(load_split("heldout", path, kinds={"gold", "unanswerable"}), per_set)


def measure(weights: Path, examples: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Forced has-answer F1 (overall and per set) and EM, and the SQuAD 2.0 no-answer AUC, of ``weights``."""
    model = Reader.from_base()
    start_from(model, weights)
    model.eval()
    preds = predict(examples, runner(model))
    answerable = [(ex, p) for ex, p in zip(examples, preds, strict=True) if ex["answers"]]
    forced = score([ex for ex, _ in answerable], [p for _, p in answerable], threshold=-math.inf)
    out = {k: v["f1"] for k, v in forced.items() if k != "all"}
    out["has_answer_em"] = forced["has_answer"]["em"]
    squad2 = [(bool(ex["answers"]), p.margin) for ex, p in zip(examples, preds, strict=True)
              if ex["source"] == "squad2-devhalf"]
    out["squad2_noanswer_auc"] = round(auc([m for a, m in squad2 if a], [m for a, m in squad2 if not a]), 4)
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
