"""Fine-tune the entailment cross-encoder on CPU: seeded, length-bucketed batches, checkpoints every few
minutes, resume.

    python -m training.nli.train --data ../shared/data --out ~/.cache/qa/train/nli/run   # resumes if run/ckpt exists

Logs the loss (progress bar) and, every ``--eval-every`` steps, accuracy on the dev pairs (used to keep the
best weights) and on a sample of held-out pairs (shown only, never used for a choice).
"""
from __future__ import annotations

import argparse
import json
import logging
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qa.answer.entail.pairs import batch, encode

from ..common import batches, load_checkpoint, optimizer, save_checkpoint, save_weights, seed_all
from .data import load, manifest
from .model import NLI

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
    ap.add_argument("--out", type=Path, default=CACHE / "run")
    ap.add_argument("--seed", type=int, default=23)
    ap.add_argument("--epochs", type=float, default=3.0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=6e-5)
    ap.add_argument("--warmup", type=float, default=0.1)
    ap.add_argument("--product-weight", type=int, default=4, help="how many times each product-like train pair is seen per epoch")
    ap.add_argument("--limit", type=int, default=0, help="use only this many NLI train pairs (smoke runs)")
    ap.add_argument("--eval-every", type=int, default=300)
    ap.add_argument("--eval-size", type=int, default=1000)
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke runs)")
    ap.add_argument("--stop-after", type=int, default=0, help="stop after this many steps, keeping the learning-rate "
                                                              "schedule of the whole run (an interrupted run, replayed)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init", type=Path, help="start from these weights (safetensors), e.g. a second stage on the "
                                              "product-like pairs with --limit NLI pairs replayed")
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
    return {"train": train + product * args.product_weight,
            "dev-nli": [r for r in dev if r["set"] != "product"][:args.eval_size],
            "dev-product": [r for r in dev if r["set"] == "product"],
            "heldout-snli": held[:args.eval_size],
            "heldout-product": [r for r in rows if r["split"] == "heldout" and r["set"] == "product"]}


def train(args: argparse.Namespace) -> dict[str, Any]:  # noqa: PLR0915 - the training loop reads best in one piece
    """Train (or resume) as ``args`` says; returns the final state (step, per-step losses, eval log)."""
    torch.set_num_threads(args.threads)
    rng = seed_all(args.seed)
    sets = _sets(load(args.data), args, rng)
    feats = {k: features(v) for k, v in sets.items()}
    logger.info("training on %d pairs %s", len(feats["train"]), dict(Counter(r["set"] for r in sets["train"])))
    epochs = max(1, round(args.epochs + 0.499))
    lengths = [len(f[0]) for f in feats["train"]]
    plan = [b for _ in range(epochs) for b in batches(lengths, args.batch_size, rng)]
    plan = plan[:int(len(plan) * args.epochs / epochs)]
    if args.max_steps:
        plan = plan[:args.max_steps]
    model = NLI.from_base()
    if args.init:
        from safetensors.torch import load_file

        model.load_state_dict(load_file(str(args.init)))
        logger.info("starting from %s", args.init)
    total = len(plan)
    opt, sched = optimizer(model, args.lr, total, args.warmup)
    ckpt = args.out / "ckpt"
    state: dict[str, Any] = {"step": 0, "log": [], "best_dev": -1.0, "seconds": 0.0, "losses": []}
    if ckpt.exists():
        state = load_checkpoint(ckpt, model, opt)
        for _ in range(state["step"]):
            sched.step()
        logger.info("resumed at step %d / %d", state["step"], total)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "config.json").write_text(json.dumps({**{k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                                                       "steps": total, "pairs": len(feats["train"]),
                                                       "data": manifest(args.data)}, indent=1))
    from tqdm import tqdm

    model.train()
    last_save = time.time()
    started = time.time() - state["seconds"]
    bar = tqdm(total=total, initial=state["step"], desc="nli", unit="step")
    ema = None
    last = min(total, args.stop_after) if args.stop_after else total
    for step in range(state["step"], last):
        inputs, labels = tensors(feats["train"], plan[step])
        loss = torch.nn.functional.cross_entropy(model(**inputs), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        state["losses"].append(round(loss.item(), 4))
        bar.update(1)
        bar.set_postfix(loss=f"{ema:.3f}", lr=f"{sched.get_last_lr()[0]:.1e}")
        state["step"] = step + 1
        state["seconds"] = time.time() - started
        done = step + 1 == last
        if (step + 1) % args.eval_every == 0 or done:
            entry = {"step": step + 1, "loss": round(ema, 4), "minutes": round(state["seconds"] / 60, 1),
                     **{name: accuracy(model, f) for name, f in feats.items() if name != "train"}}
            state["log"].append(entry)
            logger.info("eval %s", entry)
            dev = entry["dev-nli"] if not feats["dev-product"] else (entry["dev-nli"] + entry["dev-product"]) / 2
            if dev > state["best_dev"]:
                state["best_dev"] = dev
                state["best_step"] = step + 1
                save_weights(model, args.out / "best.safetensors")
        if done or time.time() - last_save > args.checkpoint_minutes * 60:
            save_checkpoint(ckpt, model, opt, state)
            last_save = time.time()
    bar.close()
    save_weights(model, args.out / "final.safetensors")
    logger.info("done: %d steps in %.1f min", total, state["seconds"] / 60)
    return state


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(parser().parse_args())


if __name__ == "__main__":
    main()
