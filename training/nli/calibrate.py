"""Calibrate the shipped entailment model on the dev split only (never held-out pairs):

- a temperature for the softmax (minimum negative log-likelihood on the dev pairs, NLI and product-like);
- ``entail_threshold`` / ``contradict_threshold``: the probabilities above which qa acts on "entails" /
  "contradicts", each the value maximising F1 of that decision on the product-like dev pairs (falls back to
  0.5 without them);
- ``yesno_contrast_threshold`` / ``yesno_contrast_margin``: by ``qa_tools.entailment.fit_yesno_contrast`` on the dev
  yes/no questions, the grid cell whose per-source verdicts are most often right through qa's answer path;
- ``conflict_threshold``: the mean contradiction probability of two passages (both directions) above which
  two sources disagree, maximising F1 on the dev conflict pairs (``tests/data/conflict_pairs*.jsonl``).

    python -m training.nli.calibrate --data ../shared/data --model qa/models/nli
"""
from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.entail import LABELS, Entailer

from .data import REPO, load

logger = logging.getLogger(__name__)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def temperature(logits: np.ndarray, y: np.ndarray) -> float:
    grid = np.arange(0.5, 3.01, 0.05)
    nll = [-np.log(_softmax(logits / t)[np.arange(len(y)), y] + 1e-12).mean() for t in grid]
    return round(float(grid[int(np.argmin(nll))]), 2)


def best_threshold(p: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """(threshold, F1) maximising F1 of ``p >= threshold`` against ``positive``."""
    best = (0.5, -1.0)
    for t in np.arange(0.2, 0.951, 0.025):
        pred = p >= t
        tp = float((pred & positive).sum())
        f1 = 2 * tp / max(1.0, float(pred.sum() + positive.sum()))
        if f1 > best[1] + 1e-9:
            best = (round(float(t), 3), round(f1, 4))
    return best


def _conflict_pairs() -> list[dict[str, Any]]:
    """The dev split of the labelled conflict pairs (items without a split are dev: written first)."""
    out: list[dict[str, Any]] = []
    for name in ("conflict_pairs.jsonl", "conflict_pairs_more.jsonl"):
        f = REPO / "tests" / "data" / name
        if f.exists():
            out += [r for r in map(json.loads, f.read_text(encoding="utf-8").splitlines()) if r.get("split", "dev") == "dev"]
    return out


def calibrate(data: Path, model_dir: Path) -> dict[str, Any]:
    rows = [r for r in load(data) if r["split"] == "dev" and r["set"] != "implicatives"]
    ent = Entailer(model_dir)
    # a placeholder calibration lets the raw logits be read before the real one exists
    path = model_dir / "calibration.json"
    if not path.exists():
        path.write_text(json.dumps({"labels": list(LABELS), "temperature": 1.0, "entail_threshold": 0.5,
                                    "contradict_threshold": 0.5}))
    logits = ent.logits([(r["premise"], r["hypothesis"]) for r in rows])
    y = np.array([r["label"] for r in rows])
    t = temperature(logits, y)
    probs = _softmax(logits / t)
    product = np.array([r["set"] == "product" for r in rows])
    cal: dict[str, Any] = {"labels": list(LABELS), "temperature": t, "dev_pairs": int(len(rows)),
                           "dev_accuracy": round(float((probs.argmax(1) == y).mean()) * 100, 2)}
    if product.any():
        te, fe = best_threshold(probs[product, 0], y[product] == 0)
        tc, fc = best_threshold(probs[product, 2], y[product] == 2)
        cal.update(entail_threshold=te, contradict_threshold=tc, dev_product_f1={"entails": fe, "contradicts": fc},
                   dev_product_pairs=int(product.sum()))
    else:
        cal.update(entail_threshold=0.5, contradict_threshold=0.5)
    conflicts = _conflict_pairs()
    if conflicts:
        sides = [(r["a"]["text"], r["b"]["text"]) for r in conflicts]
        pc = _softmax(ent.logits(sides + [(b, a) for a, b in sides]) / t)[:, 2]
        score = (pc[:len(sides)] + pc[len(sides):]) / 2
        tcf, fcf = best_threshold(score, np.array([bool(r["conflict"]) for r in conflicts]))
        cal.update(conflict_threshold=tcf, dev_conflict_f1=fcf, dev_conflict_pairs=len(conflicts))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cal, indent=1) + "\n")
    os.replace(tmp, path)
    logger.info("calibration %s", cal)
    from qa_tools.entailment import fit_yesno_contrast  # the yes/no decision: the dev questions, through qa's answer path

    cal.update(fit_yesno_contrast(model_dir))
    logger.info("yes/no thresholds %s", {k: v for k, v in cal.items() if "yes" in k or "_no_" in k})
    return cal


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2].parent / "shared" / "data")
    ap.add_argument("--model", type=Path, default=Path("qa/models/nli"))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = ap.parse_args()
    calibrate(args.data, args.model)


if __name__ == "__main__":
    main()
