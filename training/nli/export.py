"""Export trained entailment weights to the int8 ONNX model qa ships (``qa/models/nli/``).

The graph takes ``inputs_embeds`` (rows of the bundled model's frozen word-embedding table, looked up by qa at
run time), ``attention_mask`` and ``token_type_ids`` and returns ``logits`` [batch, 3] (entailment, neutral,
contradiction).

    python -m training.nli.export --weights ~/.cache/qa/train/nli/run/best.safetensors --out qa/models/nli
"""
from __future__ import annotations

from pathlib import Path

from safetensors.torch import load_file

from ..common import export_int8, export_main
from .model import NLI


def export(weights: Path, out_dir: Path) -> Path:
    model = NLI.from_base(attn="eager")
    model.load_state_dict(load_file(str(weights)))
    return export_int8(model, ["logits"], out_dir, extra={"labels": ["entailment", "neutral", "contradiction"]})


def main() -> None:
    export_main(export, __doc__, "qa/models/nli")


if __name__ == "__main__":
    main()
