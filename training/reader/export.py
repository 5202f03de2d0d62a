"""Export trained reader weights to the int8 ONNX model qa ships (``qa/models/reader/``).

The graph takes ``inputs_embeds`` (rows of the bundled model's frozen word-embedding table, looked up by qa at
run time), ``attention_mask`` and ``token_type_ids``, and returns ``start_logits`` / ``end_logits``. BERT
sub-graphs are fused by onnxruntime's optimizer, then MatMuls are quantized to int8 (per channel).

    python -m training.reader.export --weights ~/.cache/qa/train/reader/run/final.safetensors --out qa/models/reader
"""
from __future__ import annotations

from pathlib import Path

from safetensors.torch import load_file

from ..common import embedding_table_sha256, export_int8, export_main
from .model import Reader

__all__ = ["embedding_table_sha256", "export"]


def export(weights: Path, out_dir: Path) -> Path:
    model = Reader.from_base(attn="eager")
    model.load_state_dict(load_file(str(weights)))
    return export_int8(model, ["start_logits", "end_logits"], out_dir)


def main() -> None:
    export_main(export, __doc__, "qa/models/reader")


if __name__ == "__main__":
    main()
