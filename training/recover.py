"""Float weights back from a shipped int8 ONNX model, to continue training from what qa ships.

Training keeps its float checkpoints in a cache outside the repo (``~/.cache/qa/train``); on a new machine only
the shipped ``model.onnx`` is left. ``export_int8`` quantizes each MatMul weight to int8 per output channel
(``(q - zero_point) * scale``) and fuses each layer's query, key and value into one ``QAttention`` weight; every
other tensor (biases, LayerNorms, position and type embeddings) is stored as float. This module inverts that:
dequantized MatMul weights (error at most half a quantization step per channel), split QKV, float tensors as
they are, named as the training model's ``state_dict`` (the frozen word-embedding table is the bundled one and
is not in the graph). ``python -m training.recover --model qa/models/nli --kind nli --out W.safetensors`` also
checks that the recovered float model gives the shipped model's outputs.
"""
from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

_PREFIX = "inner."  # the export wraps the model as ``inner`` (``training.common._FromEmbeddings``)
_MATMUL = re.compile(r"^/(.+)/MatMul_output_0_output_quantized$")
_QKV = re.compile(r"^Attention_(\d+)_qkv_(weight_quantized|bias)$")


def _dequantize(inits: dict[str, np.ndarray], stem: str) -> np.ndarray:
    """``stem``'s int8 [in, out] weight as float [out, in] (a torch Linear's layout)."""
    q = inits[f"{stem}_quantized"].astype(np.float32)
    w = (q - inits[f"{stem}_zero_point"].astype(np.float32)) * inits[f"{stem}_scale"].astype(np.float32)
    return np.ascontiguousarray(w.T)


def recover(onnx_path: Path) -> dict[str, np.ndarray]:
    """The float tensors of a model exported by ``training.common.export_int8``, under ``state_dict`` names."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(onnx_path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    out: dict[str, np.ndarray] = {}
    for name, value in inits.items():
        if name.startswith(_PREFIX) and not name.endswith(("_quantized", "_scale", "_zero_point")):
            out[name[len(_PREFIX):]] = value.astype(np.float32)
        elif name.startswith(_PREFIX) and name.endswith(".weight_Transposed_quantized"):  # the head
            stem = name[: -len("_quantized")]
            out[stem[len(_PREFIX):-len("_Transposed")]] = _dequantize(inits, stem)
        elif (m := _QKV.match(name)) is not None:
            layer = f"encoder.encoder.layer.{m.group(1)}.attention.self"
            if m.group(2) == "bias":
                parts = np.split(value.astype(np.float32), 3)
                for part, proj in zip(parts, ("query", "key", "value"), strict=True):
                    out[f"{layer}.{proj}.bias"] = part
            else:
                w = _dequantize(inits, f"Attention_{m.group(1)}_qkv_weight")
                for part, proj in zip(np.split(w, 3, axis=0), ("query", "key", "value"), strict=True):
                    out[f"{layer}.{proj}.weight"] = np.ascontiguousarray(part)
    for node in graph.node:  # the other MatMuls: their weight is named by the module the node's output names
        if node.op_type == "MatMulInteger" and (m := _MATMUL.match(node.output[0])) is not None:
            module = m.group(1).replace("/", ".")  # "/encoder/encoder/layer.0/output/dense", "/qa"
            out[f"{module}.weight"] = _dequantize(inits, node.input[1][: -len("_quantized")])
    return out


def load_into(model: torch.nn.Module, onnx_path: Path) -> list[str]:
    """Load ``recover(onnx_path)`` into ``model``; every trainable tensor must be covered. Returns what was not
    in the graph (the frozen word-embedding table and the encoder's unused pooler)."""
    import torch

    tensors = {k: torch.from_numpy(v) for k, v in recover(onnx_path).items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if unexpected:
        raise ValueError(f"{onnx_path}: tensors the model does not have: {unexpected[:5]}")
    left = [k for k in missing if "word_embeddings" not in k and ".pooler." not in k]
    if left:
        raise ValueError(f"{onnx_path}: the graph does not give {len(left)} tensors, e.g. {left[:5]}")
    return list(missing)


def main() -> None:
    import onnxruntime as ort
    import torch
    from safetensors.torch import save_file

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, required=True, help="the folder holding model.onnx")
    ap.add_argument("--kind", choices=("nli", "reader"), required=True)
    ap.add_argument("--out", type=Path, required=True, help="the .safetensors file to write")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.kind == "nli":
        from .nli.model import NLI
        model: torch.nn.Module = NLI.from_base(attn="eager")
    else:
        from .reader.model import Reader
        model = Reader.from_base(attn="eager")
    load_into(model, args.model / "model.onnx")
    model.eval()
    rng = np.random.default_rng(0)
    table = model.encoder.embeddings.word_embeddings.weight.detach().numpy()
    ids = rng.integers(1000, 20000, size=(4, 48))
    feed = {"inputs_embeds": table[ids].astype(np.float32), "attention_mask": np.ones((4, 48), dtype=np.int64),
            "token_type_ids": np.zeros((4, 48), dtype=np.int64)}
    session = ort.InferenceSession(str(args.model / "model.onnx"), providers=["CPUExecutionProvider"])
    shipped = session.run(None, feed)
    with torch.inference_mode():
        ours = model.from_embeddings(*(torch.from_numpy(feed[k]) for k in ("inputs_embeds", "attention_mask",
                                                                            "token_type_ids")))
    ours = ours if isinstance(ours, tuple) else (ours,)
    for a, b in zip(shipped, ours, strict=True):
        logger.info("largest difference from the shipped model's output: %.4f (output range %.2f)",
                    float(np.abs(a - b.numpy()).max()), float(np.ptp(a)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(args.out))
    logger.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
