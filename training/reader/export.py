"""Export trained reader weights to the int8 ONNX model qa ships (``qa/models/reader/``).

The graph takes ``inputs_embeds`` (rows of the bundled model's frozen word-embedding table, looked up by qa at
run time), ``attention_mask`` and ``token_type_ids``, and returns ``start_logits`` / ``end_logits``. BERT
sub-graphs are fused by onnxruntime's optimizer, then MatMuls are quantized to int8 (per channel).

    python -m training.reader.export --weights ~/.cache/qa/train/reader/run/final.safetensors --out qa/models/reader
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch
from safetensors.torch import load_file

from ..common import embedding_table_sha256, export_int8
from .model import Reader

__all__ = ["embedding_table_sha256", "export"]

logger = logging.getLogger(__name__)
OPSET = 17


def export(weights: Path, out_dir: Path) -> Path:
    model = Reader.from_base(attn="eager")
    model.load_state_dict(load_file(str(weights)))
    model.eval()

    class Graph(torch.nn.Module):
        def __init__(self, inner: Reader) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, inputs_embeds, attention_mask, token_type_ids):
            return self.inner.from_embeddings(inputs_embeds, attention_mask, token_type_ids)

    cfg = model.encoder.config
    return export_int8(Graph(model), ["start_logits", "end_logits"], out_dir, hidden_size=cfg.hidden_size,
                       num_heads=cfg.num_attention_heads)


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
