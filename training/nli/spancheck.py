"""How well an entailment model's span check separates SQuAD 2.0's answerable from its written unanswerable
questions, on the **dev** split's gold passages (article 0 of the dev half; never trained on).

For each question the shipped reader reads the gold passage; its best span's claim is judged against the
sentence holding it (``qa.answer.verify``, the product's code). Reported: the AUC of the reader's margin, of
the model's P(entailment) and of -P(contradiction), and of the three combined by a logistic regression scored
by 5-fold cross-validation on these dev questions (what the found / not-found gate can make of them).

    python -m training.nli.spancheck --model qa/models/nli [--model /tmp/other]
"""
from __future__ import annotations

import argparse
import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qa.answer.entail import Entailer
from qa.answer.reader import Reader
from qa.answer.verify import verify
from qa.types import Hit
from qa_tools.gate import auc, cross_validated

from .synth import load_examples

logger = logging.getLogger(__name__)
EXAMPLES = Path.home() / ".cache" / "qa" / "train" / "reader" / "examples.jsonl"


def dev_questions(path: Path) -> list[dict[str, Any]]:
    return [e for e in load_examples(path) if e["split"] == "dev" and e["source"] == "squad2-devhalf"
            and e["kind"] in ("gold", "unanswerable")]


def measure(model: Path, questions: Sequence[dict[str, Any]], reader: Reader) -> dict[str, float]:
    entailer = Entailer(model)
    rows = []
    for e in questions:
        hit = Hit(e["context"], 0.0, e["paragraph"], e["article"], None, 0, len(e["context"]))
        readings = reader.read(e["question"], [hit])
        if not readings:
            continue
        v = verify(entailer, e["question"], readings[0], e["context"])
        rows.append((bool(e["answers"]), readings[0].margin, *v.features()))
    y = np.array([r[0] for r in rows])
    x = np.array([r[1:] for r in rows], dtype=float)
    combined = cross_validated(x, y)
    margin_only = cross_validated(x[:, :1], y)

    def of(col: np.ndarray) -> float:
        return round(auc(col[y], col[~y]), 4)

    return {"answerable": int(y.sum()), "unanswerable": int((~y).sum()), "auc_margin": of(margin_only),
            "auc_entailment": of(x[:, 1]), "auc_contradiction": of(-x[:, 2]), "auc_gate_cv": of(combined),
            "mean_p_entail_answerable": round(float(np.exp(x[y, 1]).mean()), 4),
            "mean_p_entail_unanswerable": round(float(np.exp(x[~y, 1]).mean()), 4),
            "mean_p_contra_unanswerable": round(float(np.exp(x[~y, 2]).mean()), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, action="append", required=True, help="an entailment model folder (repeat)")
    ap.add_argument("--examples", type=Path, default=EXAMPLES)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    questions = dev_questions(args.examples)
    reader = Reader()
    out = {str(m): measure(m, questions, reader) for m in args.model}
    print(json.dumps(out, indent=1))  # noqa: T201 - a command-line report
    assert all(not math.isnan(v) for r in out.values() for v in r.values())


if __name__ == "__main__":
    main()
