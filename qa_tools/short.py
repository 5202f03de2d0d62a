"""Fit the short-answer decision (``qa.answer.short``): when the reader's best span is shown as the answer.

On the **dev** split of SQuAD v1.1 (articles i % 5 == 0; no reserved article is among them) every question is
answered as the product does, in the open corpus of all 2,067 paragraphs (``qa.answer.evidence.gather``: the
reader reads the best two passages, focused). A question whose best reading has a span that a sentence
holds gives one example: its ``qa.answer.short.FEATURES``, and whether the span is exactly a gold answer
(SQuAD normalisation). A logistic regression over them is fitted; its threshold is chosen on 5-fold
cross-validated predictions (seeded, so that the threshold is not chosen on the fit's own examples) by a rule
fixed before any figure: **the lowest probability at which the shown spans are exact at least as often as
those the margin threshold alone shows** on the same questions, so that more short answers are shown without
a larger share of them wrong. The result is the ``short`` entry of the reader's ``calibration.json``.

    python -m qa_tools.short --data ../shared/data
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.compose import holder_of
from qa.answer.config import DEFAULT_CONFIG
from qa.answer.evidence import gather, warm
from qa.answer.reader import Reader
from qa.answer.short import FEATURES
from qa.answer.short import features as short_features
from qa.embed.registry import default_embedder
from qa.ingest.chunking import ChunkingConfig

from .answer_eval import fitted_articles, normalize_answer, squad_split
from .evaluation import index_for, load_squad
from .gate import auc, cross_validated, fit_logistic
from .reading import RESERVED, sha256

logger = logging.getLogger(__name__)
MODEL = Path(__file__).resolve().parents[1] / "qa" / "models" / "reader"


def examples(data: Path, reader: Reader, limit: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(features, exact, the margin rule's choice, questions asked) over the dev questions."""
    path = data / "squad-v1.1" / "dev-v1.1.json"
    docs, questions = load_squad(path)
    qs = [q for q in squad_split(questions, "dev", fitted_articles(data)) if q["doc_id"].rsplit("#", 1)[0] not in RESERVED]
    if limit:
        qs = random.Random(7).sample(qs, min(limit, len(qs)))
    index = index_for("squad-v1.1", docs, None, default_embedder(), ChunkingConfig(), progress=False)
    index.reader = reader
    warm(index)
    x, y, margin_rule = [], [], []
    for q in qs:
        ev = gather(index, q["question"], config=DEFAULT_CONFIG)
        if not ev.readings or not ev.readings[0].text.strip():
            continue
        holder = holder_of(ev, ev.readings[0])
        if holder is None:
            continue
        x.append(short_features(ev.readings, holder, ev.sentences))
        best = normalize_answer(ev.readings[0].text)
        y.append(float(any(best == normalize_answer(g) for g in q["answers"])))
        margin_rule.append(ev.readings[0].margin >= reader.threshold)
    return np.asarray(x), np.asarray(y), np.asarray(margin_rule, bool), len(qs)


def fit(data: Path, model: Path = MODEL, limit: int = 0) -> dict[str, Any]:
    reader = Reader(model)
    reader.warm_up()
    x, y, margin_rule, asked = examples(data, reader, limit)
    logger.info("%d examples from %d dev questions (%.1f%% exact)", len(x), asked, 100 * y.mean())
    cv = 1 / (1 + np.exp(-cross_validated(x, y, seed=13)))  # out-of-fold probabilities
    target = float(y[margin_rule].mean())
    chosen = None
    for t in np.arange(0.05, 0.951, 0.01):
        shown = cv >= t
        if shown.any() and float(y[shown].mean()) >= target:
            chosen = round(float(t), 2)
            break
    if chosen is None:
        raise RuntimeError("no threshold shows spans as often exact as the margin rule does")
    shown = cv >= chosen
    beta = fit_logistic(x, y, np.ones(len(x)))

    def figures(mask: np.ndarray) -> dict[str, float]:
        return {"shown_pct": round(100 * mask.sum() / asked, 2), "exact_pct_of_questions": round(100 * (mask & (y > 0)).sum() / asked, 2),
                "exact_pct_of_shown": round(100 * float(y[mask].mean()), 2)}

    entry = {"features": list(FEATURES), "intercept": round(float(beta[0]), 6),
             "weights": [round(float(b), 6) for b in beta[1:]],
             "threshold": round(math.log(chosen / (1 - chosen)), 6), "probability_threshold": chosen,
             "rule": "lowest P whose 5-fold cross-validated dev precision (exact among shown) >= the margin rule's",
             "reading": {"read_top": DEFAULT_CONFIG.read_top, "reader_focus": DEFAULT_CONFIG.reader_focus},
             "fitted_on": {"squad_v1_dev_questions": asked, "examples": len(x),
                           "data_sha256": sha256(data / "squad-v1.1" / "dev-v1.1.json")},
             "dev_cross_validated": {"auc": round(auc(cv[y > 0], cv[y == 0]), 4),
                                     "auc_margin_alone": round(auc(x[y > 0, 0], x[y == 0, 0]), 4),
                                     "this": figures(shown), "margin_rule": figures(margin_rule)}}
    path = model / "calibration.json"
    cal = json.loads(path.read_text(encoding="utf-8"))
    cal["short"] = entry
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cal, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return entry


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--limit", type=int, default=0, help="at most this many dev questions (0: all)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(json.dumps(fit(args.data, args.model, args.limit), indent=1))


if __name__ == "__main__":
    main()
