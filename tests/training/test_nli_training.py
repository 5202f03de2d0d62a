"""Smoke training of the entailment model: a few steps on a handful of pairs, the loss falls, the export loads
in qa's Entailer and gives probabilities; the data split rules are checked on their own."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

PAIRS = [("A man is playing a guitar on stage.", "A man is playing music.", "entailment"),
         ("A man is playing a guitar on stage.", "A woman is sleeping at home.", "contradiction"),
         ("A man is playing a guitar on stage.", "The man is a famous singer.", "neutral"),
         ("Two dogs run across a snowy field.", "Animals are outside.", "entailment"),
         ("Two dogs run across a snowy field.", "The dogs are asleep indoors.", "contradiction"),
         ("Two dogs run across a snowy field.", "The dogs are chasing a ball.", "neutral")]


def _data(root: Path) -> Path:
    nli = root / "nli"
    (nli / "snli-test-tokenized").mkdir(parents=True)
    rows = "".join(json.dumps({"premise": p, "hypothesis": h, "label": y}) + "\n" for p, h, y in PAIRS)
    (nli / "mnli_dev_matched.jsonl").write_text(rows)
    (nli / "snli_dev.jsonl").write_text(rows)
    test = nli / "snli-test-tokenized"
    test.joinpath("s1.test").write_text("".join(p.replace(".", " .") + "\n" for p, _, _ in PAIRS))
    test.joinpath("s2.test").write_text("".join(h.replace(".", " .") + "\n" for _, h, _ in PAIRS))
    test.joinpath("labels.test").write_text("".join(y + "\n" for _, _, y in PAIRS))
    return root


def test_split_by_premise_and_detokenize(tmp_path: Path) -> None:
    from training.nli.data import detokenize, load

    every = load(_data(tmp_path))
    # the hand-written intent / attempt pairs are an evaluation set: never in the train split
    assert {r["split"] for r in every if r["set"] == "implicatives"} == {"dev", "heldout"}
    rows = [r for r in every if r["set"] not in ("product", "implicatives")]
    assert {r["set"] for r in rows} == {"mnli", "snli", "snli-test"}
    for premise in {r["premise"] for r in rows if r["set"] != "snli-test"}:
        assert len({r["split"] for r in rows if r["premise"] == premise and r["set"] != "snli-test"}) == 1
    assert all(r["split"] == "heldout" for r in rows if r["set"] == "snli-test")
    assert detokenize("He does n't know , he said . ( yes )") == "He doesn't know, he said. (yes)"


@pytest.mark.slow
def test_the_extra_product_pairs_join_the_training_set_only_when_asked(tmp_path: Path) -> None:
    from training.nli.data import PRODUCT_MORE, load, manifest

    data = _data(tmp_path)
    plain, more = load(data), load(data, more_product=True)
    extra = [r for r in more if r not in plain]
    n = sum(1 for line in PRODUCT_MORE.read_text(encoding="utf-8").splitlines() if line.strip())
    assert len(extra) == n and all(r["set"] == "product" and r["split"] == "train" for r in extra)
    assert "tests/data/nli_product_more.jsonl" in manifest(data, more_product=True)
    assert "tests/data/nli_product_more.jsonl" not in manifest(data)


def test_smoke_training_loss_falls_and_export_loads(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from training.nli import export, train

    from qa.answer.entail import Entailer

    args = train.parser().parse_args(["--data", str(_data(tmp_path)), "--out", str(tmp_path / "run"), "--epochs", "10",
                                      "--batch-size", "6", "--lr", "2e-4", "--warmup", "0.1", "--eval-every", "100",
                                      "--eval-size", "6", "--product-weight", "0"])
    state = train.train(args)
    losses = state["losses"]
    assert len(losses) >= 10
    assert np.mean(losses[-3:]) < 0.9 * np.mean(losses[:3])
    out = tmp_path / "model"
    model = export.export(tmp_path / "run" / "final.safetensors", out)
    assert model.stat().st_size < 25e6
    (out / "calibration.json").write_text(json.dumps({"labels": ["entailment", "neutral", "contradiction"],
                                                      "temperature": 1.0, "entail_threshold": 0.5,
                                                      "contradict_threshold": 0.5}))
    probs = Entailer(out).probabilities([(p, h) for p, h, _ in PAIRS])
    assert probs.shape == (6, 3) and np.allclose(probs.sum(1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_the_encoder_can_start_from_another_models_weights(tmp_path: Path) -> None:
    """``--init-encoder``: the reader's encoder tensors land in the entailment model's encoder; its head stays new."""
    pytest.importorskip("torch")
    import torch
    from safetensors.torch import save_file

    from training.common import start_encoder_from
    from training.nli.model import NLI
    from training.reader.model import Reader

    reader = Reader.from_base()
    with torch.no_grad():
        reader.encoder.encoder.layer[0].attention.self.query.weight.add_(1.0)
    save_file({k: v.contiguous() for k, v in reader.state_dict().items()}, str(tmp_path / "reader.safetensors"))
    nli = NLI.from_base()
    head = nli.head.weight.detach().clone()
    start_encoder_from(nli, tmp_path / "reader.safetensors")
    assert torch.equal(nli.encoder.encoder.layer[0].attention.self.query.weight,
                       reader.encoder.encoder.layer[0].attention.self.query.weight)
    assert torch.equal(nli.head.weight, head)
