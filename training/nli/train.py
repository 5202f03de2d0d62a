"""Fine-tune the entailment cross-encoder on CPU: seeded, length-bucketed batches, checkpoints every few
minutes, resume.

    python -m training.nli.train --data ../shared/data --out ~/.cache/qa/train/nli/run   # resumes if run/ckpt exists

Logs the loss (progress bar) and, every ``--eval-every`` steps, accuracy on the dev pairs (used to keep the
best weights) and on a sample of held-out pairs (shown only, never used for a choice).
"""
from __future__ import annotations

import argparse
import logging
import random
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qa.answer.entail.pairs import batch, encode

from ..common import fit, plan_batches, run_arguments, seed_all, start_encoder_from, start_from
from .data import load, manifest
from . import edits, implicatives, scifact, unanswerable
from .model import NLI
from .synth import load_examples, pairs

logger = logging.getLogger(__name__)
CACHE = Path.home() / ".cache" / "qa" / "train" / "nli"
REPO = Path(__file__).resolve().parents[2]


def features(rows: list[dict[str, Any]]) -> list[tuple[list[int], list[int], int]]:
    return [(*encode(r["premise"], r["hypothesis"]), r["label"]) for r in rows]


def tensors(feats: list[tuple[list[int], list[int], int]], ids: list[int]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    b = batch([(feats[i][0], feats[i][1]) for i in ids])
    return {k: torch.from_numpy(v) for k, v in b.items()}, torch.tensor([feats[i][2] for i in ids])


def predict(model: NLI, feats: list[tuple[list[int], list[int], int]], size: int = 64) -> np.ndarray:
    """Logits [n, 3] in the order of ``feats``."""
    model.eval()
    out = np.zeros((len(feats), 3), dtype=np.float32)
    order = sorted(range(len(feats)), key=lambda i: len(feats[i][0]))
    with torch.inference_mode():
        for lo in range(0, len(order), size):
            idx = order[lo:lo + size]
            inputs, _ = tensors(feats, idx)
            out[idx] = model(**inputs).numpy()
    model.train()
    return out


def accuracy(model: NLI, feats: list[tuple[list[int], list[int], int]]) -> float:
    if not feats:
        return float("nan")
    pred = predict(model, feats).argmax(1)
    return round(float((pred == np.array([f[2] for f in feats])).mean()) * 100, 2)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--product-weight", type=int, default=4, help="how many times each product-like train pair is seen per epoch")
    ap.add_argument("--limit", type=int, default=0, help="use only this many NLI train pairs (smoke runs)")
    ap.add_argument("--synth", type=int, default=0, help="add pairs made from this many reader train questions "
                    "(training/nli/synth.py; about three pairs each); 0: none")
    ap.add_argument("--no-negations", action="store_true", help="--synth pairs without negated claims (a 'not' the "
                    "premise words otherwise, e.g. 'without', was learned as a contradiction)")
    ap.add_argument("--antonyms", action="store_true", help="--synth pairs also contradict by a word replaced by its "
                    "opposite (training/nli/antonyms.json)")
    ap.add_argument("--same-sentence", type=float, default=0.0, help="--synth: the share of questions whose swapped "
                    "answer comes from the answer's own sentence when it names another (training/nli/synth.py _swap)")
    ap.add_argument("--more-product", action="store_true",
                    help="also train on tests/data/nli_product_more.jsonl (hand-labelled train pairs)")
    ap.add_argument("--edits", type=int, default=0, help="add minimal-edit pairs made from this many train-split "
                    "passage sentences (training/nli/edits.py: a number, date or negation changed contradicts, a "
                    "clause dropped still entails); 0: none")
    ap.add_argument("--implicatives", type=int, default=0, help="add intent/attempt/condition pairs made from this "
                    "many train-split passage sentences (training/nli/implicatives.py: 'tried to seize' does not "
                    "state 'seized', 'managed to' does, 'failed to' denies it); 0: none")
    ap.add_argument("--nominal", action="store_true", help="--implicatives also as an aim ('the aim of X was to "
                    "capture', neutral) and 'X set out to capture ..., and succeeded / but failed'")
    ap.add_argument("--unanswerable", type=int, default=0, help="add the span-check pairs of SQuAD 2.0's written "
                    "unanswerables and as many answerable questions (training/nli/unanswerable.py), each this many "
                    "times; 0: none")
    ap.add_argument("--scifact", type=int, default=0, help="add SciFact's claim-verification pairs (training/nli/"
                    "scifact.py: rationale sentences support or contradict a claim; another sentence is neutral), each "
                    "this many times; only claims outside the off-topic evaluations' dev side; 0: none")
    ap.add_argument("--examples", type=Path, default=Path.home() / ".cache" / "qa" / "train" / "reader" / "examples.jsonl",
                    help="the reader's examples (python -m training.reader.data), source of --synth")
    ap.add_argument("--init-encoder", type=Path, help="start the encoder from another model's weights (e.g. the "
                    "reader's best.safetensors: question-passage reading learned on the reader's data); a fresh head")
    run_arguments(ap, CACHE / "run", "start from these weights (safetensors), e.g. a second stage on the "
                  "product-like pairs with --limit NLI pairs replayed",
                  {"seed": 23, "epochs": 3.0, "lr": 6e-5, "warmup": 0.1, "eval_every": 300, "eval_size": 1000})
    return ap


def _sets(rows: list[dict[str, Any]], args: argparse.Namespace, rng: random.Random) -> dict[str, list[dict[str, Any]]]:
    train = [r for r in rows if r["split"] == "train" and r["set"] != "product"]
    rng.shuffle(train)
    if args.limit:
        train = train[:args.limit]
    product = [r for r in rows if r["split"] == "train" and r["set"] == "product"]
    dev = [r for r in rows if r["split"] == "dev"]
    held = [r for r in rows if r["split"] == "heldout" and r["set"] == "snli-test"]
    rng.shuffle(held)
    synth: list[dict[str, Any]] = []
    dev_synth: list[dict[str, Any]] = []
    examples: list[dict[str, Any]] = []
    if args.synth:
        examples = load_examples(args.examples)
        synth = pairs(examples, split="train", limit=args.synth, seed=args.seed, negations=not args.no_negations,
                      antonyms=args.antonyms, same_sentence=args.same_sentence)
        dev_synth = pairs(examples, split="dev", limit=max(1, args.eval_size // 3), seed=args.seed,
                          negations=not args.no_negations, antonyms=args.antonyms, same_sentence=args.same_sentence)
    edited: list[dict[str, Any]] = []
    dev_edited: list[dict[str, Any]] = []
    if args.edits:
        examples = examples or load_examples(args.examples)
        edited = edits.pairs(examples, split="train", limit=args.edits, seed=args.seed)
        dev_edited = edits.pairs(examples, split="dev", limit=max(1, args.eval_size // 3), seed=args.seed)
    implied: list[dict[str, Any]] = []
    dev_implied: list[dict[str, Any]] = []
    if args.implicatives:
        examples = examples or load_examples(args.examples)
        implied = implicatives.pairs(examples, split="train", limit=args.implicatives, seed=args.seed,
                                     nominal=args.nominal)
        dev_implied = implicatives.pairs(examples, split="dev", limit=max(1, args.eval_size // 3), seed=args.seed,
                                         nominal=args.nominal)
    span_checks: list[dict[str, Any]] = []
    dev_span_checks: list[dict[str, Any]] = []
    if args.unanswerable:
        examples = examples or load_examples(args.examples)
        span_checks = unanswerable.pairs(examples, split="train", seed=args.seed) * args.unanswerable
        dev_span_checks = unanswerable.pairs(examples, split="dev", seed=args.seed)
    claims: list[dict[str, Any]] = []
    dev_claims: list[dict[str, Any]] = []
    if args.scifact:
        claims = scifact.pairs(args.data / "beir-scifact", split="train", seed=args.seed) * args.scifact
        dev_claims = scifact.pairs(args.data / "beir-scifact", split="dev", seed=args.seed)
    return {"train": train + product * args.product_weight + synth + edited + implied + span_checks + claims,
            "dev-nli": [r for r in dev if r["set"] in ("mnli", "snli")][:args.eval_size],
            "dev-product": [r for r in dev if r["set"] == "product"],
            "heldout-snli": held[:args.eval_size],
            "heldout-product": [r for r in rows if r["split"] == "heldout" and r["set"] == "product"],
            **({"dev-synth": dev_synth} if dev_synth else {}),
            **({"dev-edits": dev_edited} if dev_edited else {}),
            **({"dev-unanswerable": dev_span_checks} if dev_span_checks else {}),
            **({"dev-implicatives": dev_implied} if dev_implied else {}),
            **({"dev-scifact": dev_claims} if dev_claims else {}),
            "dev-implicatives-written": [r for r in rows if r["set"] == "implicatives" and r["split"] == "dev"],
            "heldout-implicatives-written": [r for r in rows if r["set"] == "implicatives" and r["split"] == "heldout"]}


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train (or resume) as ``args`` says; returns the final state (step, per-step losses, eval log)."""
    torch.set_num_threads(args.threads)
    rng = seed_all(args.seed)
    sets = _sets(load(args.data, more_product=args.more_product), args, rng)
    feats = {k: features(v) for k, v in sets.items()}
    logger.info("training on %d pairs %s", len(feats["train"]), dict(Counter(r["set"] for r in sets["train"])))
    plan = plan_batches([len(f[0]) for f in feats["train"]], args, rng)
    model = NLI.from_base()
    start_encoder_from(model, args.init_encoder)
    start_from(model, args.init)

    def loss_of(ids: list[int]) -> torch.Tensor:
        inputs, labels = tensors(feats["train"], ids)
        return torch.nn.functional.cross_entropy(model(**inputs), labels)

    def check() -> tuple[dict[str, Any], float]:
        entry = {name: accuracy(model, f) for name, f in feats.items() if name != "train"}
        dev = entry["dev-nli"] if not feats["dev-product"] else (entry["dev-nli"] + entry["dev-product"]) / 2
        return entry, dev

    return fit(model, plan, args, desc="nli", loss_of=loss_of, evaluate=check,
               config={"pairs": len(feats["train"]),
                       "data": manifest(args.data, synth=bool(args.synth or args.unanswerable or args.edits or args.implicatives),
                                        more_product=args.more_product, scifact=bool(args.scifact))})


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(parser().parse_args())


if __name__ == "__main__":
    main()
