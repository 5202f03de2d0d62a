"""Float weights recovered from a shipped int8 model (``training/recover.py``) re-export to the same model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.mark.slow
def test_recovered_entailment_weights_export_to_the_shipped_outputs(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    import onnxruntime as ort
    from training.nli.export import export
    from training.nli.model import NLI
    from training.recover import load_into

    from qa.answer.entail.model import MODEL_DIR

    model = NLI.from_base(attn="eager")
    left = load_into(model, MODEL_DIR / "model.onnx")
    assert all("word_embeddings" in k or ".pooler." in k for k in left)  # every trained tensor came back
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(tmp_path / "w.safetensors"))
    export(tmp_path / "w.safetensors", tmp_path / "again")
    table = model.encoder.embeddings.word_embeddings.weight.detach().numpy()
    ids = np.random.default_rng(0).integers(1000, 20000, size=(3, 40))
    feed = {"inputs_embeds": table[ids].astype(np.float32), "attention_mask": np.ones((3, 40), dtype=np.int64),
            "token_type_ids": np.zeros((3, 40), dtype=np.int64)}
    shipped = ort.InferenceSession(str(MODEL_DIR / "model.onnx")).run(None, feed)[0]
    again = ort.InferenceSession(str(tmp_path / "again" / "model.onnx")).run(None, feed)[0]
    np.testing.assert_allclose(again, shipped, atol=1e-4)
