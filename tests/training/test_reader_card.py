"""The reader's model card: its Reproduce section lists every stage, those of runs no longer on the machine
(``--earlier``) before the chain this run's configs give, numbered on."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import training.reader.card as reader_card


def test_earlier_stages_come_first_and_the_numbering_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache, run, model = tmp_path / "cache", tmp_path / "run9", tmp_path / "model"
    for d in (cache, run / "ckpt", model):
        d.mkdir(parents=True)
    (cache / "data_manifest.json").write_text(json.dumps({
        "files": {"a": {"path": "squad-v1.1/dev-v1.1.json", "sha256": "ab" * 32}}, "counts": {"train/squad2-train/gold": 3}}))
    (run / "config.json").write_text(json.dumps({
        "scale": 0.8, "max_steps": 0, "seed": 49, "lr": 3e-05, "warmup": 0.02, "siblings": 4000, "batch_size": 32,
        "init": str(tmp_path / "shipped.safetensors"), "out": str(run), "windows": 10, "mix": {}}))
    (run / "ckpt" / "state.json").write_text(json.dumps({"step": 5, "seconds": 60.0, "log": []}))
    (model / "calibration.json").write_text(json.dumps({"margin_threshold": 1.0, "logistic": {"a": 1.0, "b": 0.0}}))
    (model / "graph.json").write_text(json.dumps({"embedding_table_sha256": "cd" * 32}))
    (model / "model.onnx").write_bytes(b"0" * 1000)
    monkeypatch.setattr(reader_card, "CACHE", cache)
    earlier = ("python -m training.reader.train --seed 17 --out r1   # stage 1\n"
               "python -m training.reader.train --seed 43 --out r5   # stage 2\n"
               "python -m training.recover --model qa/models/reader --kind reader --out shipped.safetensors\n")
    text = reader_card.card(run, model, {}, earlier=earlier)
    block = text.split("```")[1]
    lines = [x for x in block.splitlines() if x.strip()]
    assert lines[1].endswith("# stage 1") and lines[2].endswith("# stage 2") and "training.recover" in lines[3]
    assert "--seed 49" in lines[4] and "--siblings 4000" in lines[4] and lines[4].endswith("# stage 3")
    assert "# stage 1" in reader_card.card(run, model, {}).split("```")[1]  # without earlier stages: this run is the first
    assert "4000 same-article (sibling paragraph) negatives" in text
