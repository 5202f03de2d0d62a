"""Fit the learned fallback of the broad-question kind classifier (``qa.answer.broad.learned``).

The word patterns of ``qa.answer.broad.kinds`` read the phrasings they were written for; a question phrased
otherwise ("what was going on in China in the run-up to the plague") falls to the factoid path. The fallback
is a softmax regression over the question's vector from the bundled embedder (the vector retrieval computes
anyway), six classes: factoid, summary, entity, event, compare, list. It is consulted only when the patterns
find no kind.

Fitted on (never a held-out broad question, a reserved SQuAD article, NewsQA or MultiHop-RAG's queries):
- factoid questions: up to ``PER_SOURCE`` drawn (seeded) from each of the SQuAD 2.0 train subset, the three
  SQuADShifts sets and TyDi QA English train (``../shared/data/reading-comprehension``), and the **dev** yes/no
  questions of ``tests/data/yesno_questions.jsonl``;
- broad questions: the dev splits of ``tests/data/broad_questions.jsonl`` (dev, dev2 ... dev9) and the kind
  probes of ``tests/data/broad_kind_probes.jsonl`` (a probe without a kind is a factoid).

The threshold and the weight penalty are chosen by a rule fixed before any figure: for each penalty in
``L2_GRID``, the **lowest** probability in ``GRID`` at which the SQuAD v1.1 dev questions (six reserved articles
left out; factoids all) sent to a broad answer grow by at most ``ROUTING_BUDGET`` of them over the patterns alone;
of those, the penalty whose threshold recognises the most kinds with one dev split left out at a time (the
classifier fitted without it, the patterns as shipped). The kinds recognised on the left-out splits at that
threshold, with and without the fallback, are recorded beside the weights.

    python -m qa_tools.kind_model --data ../shared/data
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.broad.kinds import classify
from qa.answer.broad.learned import LABELS, MODEL_FILE, softmax
from qa.embed.registry import default_embedder

from .broad import KIND_OF, squad_factoids
from .broad_set import load_questions
from .reading import sha256

logger = logging.getLogger(__name__)
TESTS = Path(__file__).resolve().parents[1] / "tests" / "data"
SOURCES = ("squad2-train-subset/train-v2.0.json", "squadshifts/new_wiki_v1.0.json",
           "squadshifts/amazon_reviews_v1.0.json", "squadshifts/reddit_v1.0.json", "tydiqa-en/tydiqa.en.train.json")
PER_SOURCE = 1500
SEED = 5
BROAD_WEIGHT = 8.0  # a broad question counts as this many factoids (about 440 of them beside about 7,500)
L2_GRID = (3e-4, 1e-4, 3e-5)  # the penalty on the weights (per unit of mean loss), chosen with the threshold
GRID = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
ROUTING_BUDGET = 25  # SQuAD v1.1 factoids (of 8,947) the fallback may send to a broad answer


def _questions(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [qa["question"] for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]]


def factoids(data: Path) -> tuple[list[str], list[Path]]:
    rng = random.Random(SEED)
    out, files = [], []
    for rel in SOURCES:
        path = data / "reading-comprehension" / rel
        qs = _questions(path)
        out += rng.sample(qs, min(PER_SOURCE, len(qs)))
        files.append(path)
    yesno = TESTS / "yesno_questions.jsonl"
    rows = [json.loads(line) for line in yesno.read_text(encoding="utf-8").splitlines() if line.strip()]
    out += [r["question"] for r in rows if r.get("split", "dev") == "dev"]
    files.append(yesno)
    return out, files


def broad_examples(leave_out: str = "") -> tuple[list[str], list[str], list[str]]:
    """(questions, kinds, split: the broad set's dev split or "probe") - never a held-out question, nor those of
    the split ``leave_out``."""
    qs, kinds, splits = [], [], []
    for q in load_questions():
        if q.split in ("heldout", leave_out):
            continue
        qs.append(q.question)
        kinds.append(KIND_OF.get(q.kind, q.kind))
        splits.append(q.split)
    probes = TESTS / "broad_kind_probes.jsonl"
    for line in probes.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            qs.append(row["question"])
            kinds.append(row["kind"] or "factoid")
            splits.append("probe")
    return qs, kinds, splits


def fit_softmax(x: np.ndarray, y: np.ndarray, w: np.ndarray, classes: int, *, l2: float, steps: int = 800,
                lr: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Weighted multinomial logistic regression by gradient descent with momentum: (weights (d, c), bias (c,))."""
    d = x.shape[1]
    onehot = np.eye(classes)[y]
    wt = w / w.sum()
    W, b = np.zeros((d, classes)), np.zeros(classes)
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    for _ in range(steps):
        g = (probabilities(x, W, b) - onehot) * wt[:, None]
        gW, gb = x.T @ g + l2 * W, g.sum(0)
        vW, vb = 0.9 * vW + gW, 0.9 * vb + gb
        W, b = W - lr * vW, b - lr * vb
    return W, b


def probabilities(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    return softmax(x @ W + b)


def _fit(xf: np.ndarray, xb: np.ndarray, kb: Sequence[str], l2: float) -> tuple[np.ndarray, np.ndarray]:
    label = {k: i for i, k in enumerate(LABELS)}
    x = np.vstack([xf, xb])
    y = np.array([0] * len(xf) + [label[k] for k in kb])
    w = np.where(y == 0, 1.0, BROAD_WEIGHT)
    return fit_softmax(x, y, w, len(LABELS), l2=l2)


def _fallback(p: np.ndarray, t: float) -> str:
    k = int(p.argmax())
    return LABELS[k] if k != 0 and p[k] >= t else "factoid"


def _shown(path: Path, data: Path) -> str:
    """``path`` as the model card names it: under the data folder, or the repository's tests/data."""
    for root, name in ((data, "data"), (TESTS, "tests/data")):
        if path.is_relative_to(root):
            return f"{name}/{path.relative_to(root)}"
    return path.name


def fit(data: Path, out: Path = MODEL_FILE, leave_out: str = "") -> dict[str, Any]:
    """Fit, choose, write ``out``; with ``leave_out`` a dev split is left out of everything (to measure the
    answers to its questions with a model that never saw them)."""
    embedder = default_embedder()
    fq, files = factoids(data)
    bq, bk, bs = broad_examples(leave_out)
    squad = data / "squad-v1.1" / "dev-v1.1.json"
    sq = squad_factoids(squad)
    logger.info("embedding %d factoids, %d broad questions / probes, %d SQuAD v1.1 routing questions", len(fq), len(bq), len(sq))
    xf, xb, xs = (embedder.encode_queries(v) for v in (fq, bq, sq))  # each alone, as the product does
    rules_b = [(k.kind if (k := classify(q)) is not None else "factoid") for q in bq]
    rules_s = [classify(q) is not None for q in sq]
    # leave one dev split out: per penalty, the threshold by the routing budget; the penalty whose threshold
    # recognises most kinds on the left-out splits (a tie: the stronger penalty)
    dev_splits = sorted({s for s in bs if s != "probe"})
    held = [i for i, s in enumerate(bs) if s != "probe"]
    patterns_right = sum(rules_b[i] == bk[i] for i in held)
    candidates = []
    for l2 in L2_GRID:
        held_p: dict[int, np.ndarray] = {}
        for s in dev_splits:
            train = np.array([x != s for x in bs])
            W, b = _fit(xf, xb[train], [k for k, t in zip(bk, train, strict=True) if t], l2)
            for i in np.flatnonzero(~train):
                held_p[int(i)] = probabilities(xb[i:i + 1], W, b)[0]
        W, b = _fit(xf, xb, bk, l2)
        ps = probabilities(xs, W, b)
        grid = []
        for t in GRID:
            right = sum((rules_b[i] if rules_b[i] != "factoid" else _fallback(held_p[i], t)) == bk[i] for i in held)
            routed = sum(1 for r, p in zip(rules_s, ps, strict=True) if not r and _fallback(p, t) != "factoid")
            grid.append({"threshold": t, "kinds_right_left_out": right, "squad_routing_added": routed})
        chosen = next((g for g in grid if g["squad_routing_added"] <= ROUTING_BUDGET), None)
        logger.info("l2 %g: %s", l2, chosen)
        candidates.append({"l2": l2, "chosen": chosen, "grid": grid, "W": W, "b": b})
    best = max((c for c in candidates if c["chosen"]), key=lambda c: c["chosen"]["kinds_right_left_out"])
    chosen, W, b = best["chosen"], best["W"], best["b"]
    entry = {"what": "The learned fallback of the broad-question kind classifier (qa.answer.broad.learned): a softmax "
                     "regression over the question's vector from the bundled embedder, six labels; consulted only "
                     "when the word patterns of broad_kinds.json find no kind. Fitted by python -m qa_tools.kind_model.",
             "labels": list(LABELS), "embedder": embedder.name, "dim": embedder.dim,
             "threshold": chosen["threshold"],
             "bias": [round(float(v), 5) for v in b], "weights": [[round(float(v), 5) for v in row] for row in W.T],
             "rule": f"lowest threshold in {list(GRID)} adding <= {ROUTING_BUDGET} SQuAD v1.1 dev factoids (reserved "
                     "articles left out) to those the patterns send to a broad answer",
             "fitted_on": {"left_out": leave_out or None, "factoids": len(fq), "broad": sum(s != "probe" for s in bs), "probes": bs.count("probe"),
                           "per_source": PER_SOURCE, "seed": SEED, "broad_weight": BROAD_WEIGHT, "l2": best["l2"],
                           "data_sha256": {_shown(f, data): sha256(f) for f in
                                           [*files, squad, TESTS / "broad_questions.jsonl", TESTS / "broad_kind_probes.jsonl"]}},
             "leave_one_split_out": {"questions": len(held), "patterns_right": patterns_right,
                                     "with_fallback_right": chosen["kinds_right_left_out"],
                                     "squad_routed_patterns": int(sum(rules_s)), "squad_routing_added": chosen["squad_routing_added"],
                                     "squad_questions": len(sq),
                                     "grids": {str(c["l2"]): c["grid"] for c in candidates}}}
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(entry) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return {k: v for k, v in entry.items() if k not in ("weights", "bias")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    ap.add_argument("--leave-out", default="", help="a dev split of the broad set left out (write --out elsewhere)")
    args = ap.parse_args()
    if args.leave_out and args.out.resolve() == MODEL_FILE.resolve():
        ap.error("--leave-out writes a model for measuring: give --out another path")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(json.dumps(fit(args.data, args.out, args.leave_out), indent=1))


if __name__ == "__main__":
    main()
