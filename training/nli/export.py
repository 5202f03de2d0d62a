"""Export trained entailment weights to the int8 ONNX model qa ships (``qa/models/nli/``).

The graph takes ``inputs_embeds`` (rows of the bundled model's frozen word-embedding table, looked up by qa at
run time), ``attention_mask`` and ``token_type_ids`` and returns ``logits`` [batch, 3] (entailment, neutral,
contradiction).

    python -m training.nli.export --weights ~/.cache/qa/train/nli/run/best.safetensors --out qa/models/nli
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import torch
from safetensors.torch import load_file

from ..common import export_int8
from .model import NLI

logger = logging.getLogger(__name__)


def export(weights: Path, out_dir: Path) -> Path:
    model = NLI.from_base(attn="eager")
    model.load_state_dict(load_file(str(weights)))
    model.eval()

    class Graph(torch.nn.Module):
        def __init__(self, inner: NLI) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, inputs_embeds, attention_mask, token_type_ids):
            return self.inner.from_embeddings(inputs_embeds, attention_mask, token_type_ids)

    cfg = model.encoder.config
    return export_int8(Graph(model), ["logits"], out_dir, hidden_size=cfg.hidden_size,
                       num_heads=cfg.num_attention_heads, extra={"labels": ["entailment", "neutral", "contradiction"]})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("qa/models/nli"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("onnxruntime").setLevel(logging.ERROR)
    export(args.weights, args.out)


if __name__ == "__main__":
    main()
