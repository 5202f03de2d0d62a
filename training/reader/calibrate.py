"""Calibrate the exported reader's no-answer decision on the dev split (never on held-out data).

Fits P(the question is answered by this passage) = sigmoid(a * margin + b) by logistic regression, where
``margin`` = best span score - no-answer score, on dev questions with their gold passage (answerable),
SQuAD 2.0 dev unanswerables and retrieved passages of other articles (not answerable); picks the margin
threshold that maximises the chosen dev objective: ``balanced`` (default: the mean of has-answer F1 and no-answer
accuracy, so a wrong short answer weighs as much as a missing one, whatever the share of unanswerable questions
in dev) or ``f1`` (F1 over all dev questions pooled, mostly answerable ones). Writes ``calibration.json`` next
to the model.

    python -m training.reader.calibrate --model qa/models/reader
"""
from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from pathlib import Path

import numpy as np

from qa_tools.reading import load_split, predict, score

from .data import CACHE
from .evaluate import onnx_runner

logger = logging.getLogger(__name__)


def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 2000, lr: float = 0.1) -> tuple[float, float]:
    """One-feature logistic regression by gradient descent on standardised x (no sklearn needed)."""
    mu, sd = float(x.mean()), float(x.std() or 1.0)
    z = (x - mu) / sd
    a = b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(a * z + b)))
        a -= lr * float(np.mean((p - y) * z))
        b -= lr * float(np.mean(p - y))
    return a / sd, b - a * mu / sd


OBJECTIVES = {
    "f1": lambda r: r["all"]["f1"],
    "balanced": lambda r: (r["has_answer"]["f1"] + r["no_answer"]["em"]) / 2,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, default=Path("qa/models/reader"))
    ap.add_argument("--objective", choices=sorted(OBJECTIVES), default="balanced")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    dev = load_split("dev", CACHE / "examples.jsonl")
    preds = predict(dev, onnx_runner(args.model))
    margins = np.array([p.margin for p in preds], dtype=np.float64)
    answerable = np.array([bool(e["answers"]) for e in dev], dtype=np.float64)
    finite = np.isfinite(margins)
    a, b = fit_logistic(margins[finite], answerable[finite])
    candidates = np.quantile(margins[finite], np.linspace(0.02, 0.98, 97))
    objective = OBJECTIVES[args.objective]
    best = max(candidates, key=lambda t: objective(score(dev, preds, float(t))))
    result = score(dev, preds, float(best))
    out = {"margin_threshold": round(float(best), 4), "objective": args.objective,
           "logistic": {"a": round(a, 6), "b": round(b, 6)},
           "fitted_on": {"split": "dev", "counts": dict(Counter(f"{e['source']}/{e['kind']}" for e in dev))},
           "dev_scores": result}
    old = json.loads((args.model / "calibration.json").read_text())
    if "gate" in old:  # the gate is fitted on top of this calibration: keep it only if the model is unchanged
        out["gate"] = old["gate"]
    (args.model / "calibration.json").write_text(json.dumps(out, indent=1) + "\n")
    logger.info("threshold %.3f, logistic a=%.4f b=%.4f, dev F1 %.2f", best, a, b, result["all"]["f1"])


if __name__ == "__main__":
    main()
