"""Fine-tune the reader on CPU: seeded, length-bucketed dynamic batches, checkpoints every few minutes, resume.

    python -m training.reader.train --out ~/.cache/qa/train/reader/run   # resumes from run/ckpt if present

Logs the loss (progress bar) and, every ``--eval-every`` steps, F1 on a fixed sample of dev (used to pick
the checkpoint) and of held-out questions (shown only, never used for a choice).
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

from ..common import fit, plan_batches, run_arguments, seed_all, start_from
from .data import CACHE
from .dropped import dropped_negatives
from .perturbed import perturbed_negatives
from .siblings import sibling_negatives
from .evaluate import load_split, predict, score
from qa.answer.reader.windows import batch as pad_batch
from qa.answer.reader.windows import label, windows
from .model import Reader

logger = logging.getLogger(__name__)

# How many training questions of each source one run uses (the rest of train is left unused, not evaluated on).
DEFAULT_MIX = {"squad2-train": 4705, "squad2-devhalf": 2828, "tydi-train": 3011, "tydi-train2": 338,
               "shifts-wiki": 3300, "shifts-amazon": 3000, "shifts-reddit": 3000, "retrieved": 4200}


def select(examples: list[dict[str, Any]], mix: dict[str, int], rng: random.Random) -> list[dict[str, Any]]:
    by: dict[str, list[dict[str, Any]]] = {}
    for ex in examples:
        by.setdefault("retrieved" if ex["kind"] == "retrieved" else ex["source"], []).append(ex)
    out: list[dict[str, Any]] = []
    for key, group in sorted(by.items()):
        rng.shuffle(group)
        out.extend(group[:mix.get(key, 0)])
    return out


def featurize(examples: list[dict[str, Any]], rng: random.Random, extra_null: float = 0.3) -> list[tuple[Any, int, int]]:
    """One window holding the answer per answerable question (plus, sometimes, one without it as a null
    example); one random window per question without an answer."""
    feats = []
    for ex in examples:
        wins = windows(ex["question"], ex["context"])
        if ex["answers"]:
            a = ex["answers"][0]
            labelled = [(w, *label(w, a["start"], a["start"] + len(a["text"]))) for w in wins]
            pos = [f for f in labelled if f[1] > 0]
            neg = [f for f in labelled if f[1] == 0]
            if pos:
                feats.append(pos[0])
            if neg and (not pos or rng.random() < extra_null):
                feats.append(rng.choice(neg))
        else:
            feats.append((rng.choice(wins), 0, 0))
    return feats


def tensors(feats: list[tuple[Any, int, int]], ids: list[int]) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    b = pad_batch([feats[i][0] for i in ids])
    return ({k: torch.from_numpy(v) for k, v in b.items()},
            torch.tensor([feats[i][1] for i in ids]), torch.tensor([feats[i][2] for i in ids]))


def runner(model: Reader):
    def run(b: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            s, e = model(**{k: torch.from_numpy(v) for k, v in b.items()})
        return s.numpy(), e.numpy()
    return run


def evaluate(model: Reader, sample: list[dict[str, Any]]) -> dict[str, Any]:
    model.eval()
    result = score(sample, predict(sample, runner(model)))
    model.train()
    return result


def eval_sample(split: str, n: int, seed: int, path: Path) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    pool = load_split(split, path, kinds={"gold", "unanswerable"})
    squad2 = [e for e in pool if e["source"] == "squad2-devhalf"]
    other = [e for e in pool if e["source"] != "squad2-devhalf" and e["source"] != "newsqa"]
    rng.shuffle(squad2)
    rng.shuffle(other)
    return squad2[:n // 2] + other[:n - n // 2]


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=Path, default=CACHE / "examples.jsonl")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every source's count in the mix")
    ap.add_argument("--unanswerable-repeat", type=int, default=1,
                    help="use each chosen written unanswerable question this many times (a fresh window each time)")
    ap.add_argument("--dropped", type=int, default=0,
                    help="add this many no-answer examples made by dropping the answer's sentences from a train "
                         "question's own paragraph (training/reader/dropped.py)")
    ap.add_argument("--perturbed", type=int, default=0,
                    help="add this many no-answer examples made by swapping a train question's name or year for one "
                         "its paragraph does not hold (training/reader/perturbed.py)")
    ap.add_argument("--siblings", type=int, default=0,
                    help="add this many no-answer examples pairing a train question with the best-matching other "
                         "paragraph of its own article that does not hold the answer (training/reader/siblings.py)")
    run_arguments(ap, CACHE / "run", "start from these weights (safetensors) instead of the base model: a "
                  "continuation run on a fresh sample of the mix (new --seed)",
                  {"seed": 17, "epochs": 1.0, "lr": 1e-4, "warmup": 0.06, "eval_every": 150, "eval_size": 240})
    return ap


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train (or resume) as ``args`` says; returns the final state (step, per-step losses, eval log)."""
    torch.set_num_threads(args.threads)
    rng = seed_all(args.seed)

    train = load_split("train", args.examples)
    mix = {k: max(1, int(v * args.scale)) for k, v in DEFAULT_MIX.items()}
    chosen = select(train, mix, rng)
    chosen += [e for e in chosen if e["kind"] == "unanswerable"] * (args.unanswerable_repeat - 1)
    chosen += dropped_negatives(train, args.dropped, rng)
    chosen += perturbed_negatives(train, args.perturbed, rng)
    chosen += sibling_negatives(train, args.siblings, rng)
    feats = featurize(chosen, rng)
    logger.info("training on %d questions -> %d windows %s", len(chosen), len(feats),
                dict(Counter(e["source"] + ("" if e["answers"] else f"/{e['kind']}" if e["kind"] in ("dropped", "perturbed", "sibling") else "/neg")
                             for e in chosen)))
    plan = plan_batches([len(f[0].input_ids) for f in feats], args, rng)
    dev = eval_sample("dev", args.eval_size, args.seed, args.examples)
    held = eval_sample("heldout", args.eval_size, args.seed, args.examples)
    model = Reader.from_base()
    start_from(model, args.init)

    def loss_of(ids: list[int]) -> torch.Tensor:
        inputs, s_pos, e_pos = tensors(feats, ids)
        start, end = model(**inputs)
        return (torch.nn.functional.cross_entropy(start, s_pos) + torch.nn.functional.cross_entropy(end, e_pos)) / 2

    def check() -> tuple[dict[str, Any], float]:
        d, h = evaluate(model, dev), evaluate(model, held)
        return ({"dev_f1": d["all"]["f1"], "dev_noans": d.get("no_answer", {}).get("em"),
                 "heldout_f1": h["all"]["f1"], "heldout_noans": h.get("no_answer", {}).get("em")}, d["all"]["f1"])

    return fit(model, plan, args, desc="reader", loss_of=loss_of, evaluate=check,
               config={"mix": mix, "windows": len(feats), "dropped": args.dropped, "perturbed": args.perturbed,
                       "siblings": args.siblings})


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(parser().parse_args())


if __name__ == "__main__":
    main()
