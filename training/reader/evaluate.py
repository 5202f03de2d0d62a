"""Gold-passage reader evaluation: EM / F1 overall, on answerable and on no-answer questions, per source.

Works on any ``run(batch) -> (start_logits, end_logits)``: the torch model while training, the int8 ONNX
model after export (``python -m training.reader.evaluate --model qa/models/reader``).
"""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path


from qa_tools.reading import Runner, first_per_source, load_split, predict, score

from .data import CACHE

logger = logging.getLogger(__name__)
__all__ = ["load_split", "onnx_runner", "predict", "score"]


def onnx_runner(model_dir: Path) -> Runner:
    """The shipped graph through qa's own reader (it looks up the frozen word embeddings the graph expects)."""
    from qa.answer.reader import Reader

    return Reader(model_dir).run


def main() -> None:
    ap = argparse.ArgumentParser(description="Gold-passage EM/F1 of the exported reader")
    ap.add_argument("--model", type=Path, default=Path("qa/models/reader"))
    ap.add_argument("--split", default="heldout")
    ap.add_argument("--limit", type=int, default=0, help="at most this many examples per source (0: all)")
    ap.add_argument("--threshold", type=float, default=None, help="default: the model card's calibrated one")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    examples = first_per_source(load_split(args.split, CACHE / "examples.jsonl", kinds={"gold", "unanswerable"}),
                                args.limit)
    threshold = args.threshold
    if threshold is None:
        threshold = json.loads((args.model / "calibration.json").read_text())["margin_threshold"]
    preds = predict(examples, onnx_runner(args.model))
    print(json.dumps(score(examples, preds, threshold), indent=1))


if __name__ == "__main__":
    main()
