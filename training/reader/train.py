"""Fine-tune the reader on CPU: seeded, length-bucketed dynamic batches, checkpoints every few minutes, resume.

    python -m training.reader.train --out ~/.cache/qa/train/reader/run   # resumes from run/ckpt if present

Logs the loss (progress bar) and, every ``--eval-every`` steps, F1 on a fixed sample of dev (used to pick
the checkpoint) and of held-out questions (shown only, never used for a choice).
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from ..common import batches, load_checkpoint, optimizer, save_checkpoint, seed_all
from .data import CACHE
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
    ap.add_argument("--out", type=Path, default=CACHE / "run")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=float, default=0.06)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every source's count in the mix")
    ap.add_argument("--eval-every", type=int, default=150)
    ap.add_argument("--eval-size", type=int, default=240)
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke runs)")
    ap.add_argument("--stop-after", type=int, default=0, help="stop after this many steps, keeping the learning-rate "
                                                              "schedule of the whole run (an interrupted run, replayed)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init", type=Path, help="start from these weights (safetensors) instead of the base model: "
                                              "a continuation run on a fresh sample of the mix (new --seed)")
    return ap


def train(args: argparse.Namespace) -> dict[str, Any]:  # noqa: PLR0915 - the training loop reads best in one piece
    """Train (or resume) as ``args`` says; returns the final state (step, per-step losses, eval log)."""
    torch.set_num_threads(args.threads)
    rng = seed_all(args.seed)

    train = load_split("train", args.examples)
    mix = {k: max(1, int(v * args.scale)) for k, v in DEFAULT_MIX.items()}
    chosen = select(train, mix, rng)
    feats = featurize(chosen, rng)
    logger.info("training on %d questions -> %d windows %s", len(chosen), len(feats),
                dict(Counter(e["source"] + ("/neg" if not e["answers"] else "") for e in chosen)))
    epochs = math.ceil(args.epochs)
    plan = [b for _ in range(epochs) for b in batches([len(f[0].input_ids) for f in feats], args.batch_size, rng)]
    plan = plan[:int(len(plan) * args.epochs / epochs)]
    if args.max_steps:
        plan = plan[:args.max_steps]
    dev = eval_sample("dev", args.eval_size, args.seed, args.examples)
    held = eval_sample("heldout", args.eval_size, args.seed, args.examples)

    model = Reader.from_base()
    if args.init:
        model.load_state_dict(load_file(str(args.init)))
        logger.info("starting from %s", args.init)
    total = len(plan)
    opt, sched = optimizer(model, args.lr, total, args.warmup)
    ckpt = args.out / "ckpt"
    state: dict[str, Any] = {"step": 0, "log": [], "best_dev_f1": -1.0, "seconds": 0.0, "losses": []}
    if ckpt.exists():
        state = load_checkpoint(ckpt, model, opt)
        for _ in range(state["step"]):
            sched.step()
        logger.info("resumed at step %d / %d", state["step"], total)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "config.json").write_text(json.dumps({**vars(args), "examples": str(args.examples),
                                                       "out": str(args.out), "init": str(args.init or ""), "mix": mix, "steps": total,
                                                       "windows": len(feats)}, indent=1))
    from tqdm import tqdm

    model.train()
    last_save = time.time()
    started = time.time() - state["seconds"]
    bar = tqdm(total=total, initial=state["step"], desc="reader", unit="step")
    ema = None
    last = min(total, args.stop_after) if getattr(args, "stop_after", 0) else total
    for step in range(state["step"], last):
        inputs, s_pos, e_pos = tensors(feats, plan[step])
        start, end = model(**inputs)
        loss = (torch.nn.functional.cross_entropy(start, s_pos) + torch.nn.functional.cross_entropy(end, e_pos)) / 2
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        state.setdefault("losses", []).append(round(loss.item(), 4))
        bar.update(1)
        bar.set_postfix(loss=f"{ema:.3f}", lr=f"{sched.get_last_lr()[0]:.1e}")
        state["step"] = step + 1
        state["seconds"] = time.time() - started
        done = step + 1 == last
        if (step + 1) % args.eval_every == 0 or done:
            d, h = evaluate(model, dev), evaluate(model, held)
            entry = {"step": step + 1, "loss": round(ema, 4), "minutes": round(state["seconds"] / 60, 1),
                     "dev_f1": d["all"]["f1"], "dev_noans": d.get("no_answer", {}).get("em"),
                     "heldout_f1": h["all"]["f1"], "heldout_noans": h.get("no_answer", {}).get("em")}
            state["log"].append(entry)
            logger.info("eval %s", entry)
            if d["all"]["f1"] > state["best_dev_f1"]:
                state["best_dev_f1"] = d["all"]["f1"]
                save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(args.out / "best.safetensors"))
        if done or time.time() - last_save > args.checkpoint_minutes * 60:
            save_checkpoint(ckpt, model, opt, state)
            last_save = time.time()
    bar.close()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(args.out / "final.safetensors"))
    logger.info("done: %d steps in %.1f min", total, state["seconds"] / 60)
    return state


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(parser().parse_args())


if __name__ == "__main__":
    main()
