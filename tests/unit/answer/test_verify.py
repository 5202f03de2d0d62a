"""The reader's span checked by the entailment model (qa.answer.verify) and the gate that weighs it."""
from __future__ import annotations

import json
import math
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import qa
from qa.answer.reader import Reader, Reading
from qa.answer.reader.model import MODEL_DIR
from qa.answer.verify import FLOOR, holding_sentence, verify

TEXT = ("The lighthouse on Karst Point was built in 1872 by the harbour board. It is 31 metres tall. "
        "The keeper, Anna Holm, lived there until 1931.")


class FakeEntailer:
    """Entails a claim whose longer words the premise all holds, else contradicts; records what it was asked."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        self.seen.extend(pairs)
        return np.array([[0.9, 0.08, 0.02] if all(w in premise for w in claim.rstrip(".").split() if len(w) > 3)
                         else [0.0, 0.2, 0.8] for premise, claim in pairs])


def _reading(text: str) -> Reading:
    start = TEXT.index(text)
    return Reading("karst", start, start + len(text), text, 1.0, 0.8, 0)


def test_the_sentence_holding_the_span_is_judged_against_the_claim() -> None:
    ent = FakeEntailer()
    v = verify(ent, "When was the lighthouse built?", _reading("1872"), TEXT)  # type: ignore[arg-type]
    assert ent.seen == [("The lighthouse on Karst Point was built in 1872 by the harbour board.",
                         "The lighthouse was built in 1872.")]
    assert v.entailment == pytest.approx(0.9) and v.contradiction == pytest.approx(0.02)
    assert v.features() == pytest.approx((math.log(0.9), math.log(0.02)))


def test_a_contradicted_reading_and_floored_features() -> None:
    v = verify(FakeEntailer(), "Until when did the keeper live there?", _reading("1931"), TEXT)  # type: ignore[arg-type]
    assert v.sentence == "The keeper, Anna Holm, lived there until 1931."
    assert v.entailment == pytest.approx(0.9)
    bad = verify(FakeEntailer(), "When was the lighthouse built?", _reading("31"), TEXT)  # type: ignore[arg-type]
    assert bad.sentence == "It is 31 metres tall."
    assert bad.features()[0] == pytest.approx(math.log(FLOOR)) and bad.contradiction == pytest.approx(0.8)


def test_holding_sentence_far_into_a_long_text() -> None:
    text = "Filler sentence number one. " * 200 + TEXT
    start = text.index("Anna Holm")
    assert holding_sentence(text, start, start + 9) == "The keeper, Anna Holm, lived there until 1931."


def _reader_with(tmp_path: Path, verified: bool) -> Reader:
    folder = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, folder)
    cal = json.loads((folder / "calibration.json").read_text())
    base = {"weights": [0.5, 0.1, 0.2], "threshold": 0.25, "margin_floor": -20.0, "answerability_floor": -30.0}
    cal["gate"] = base
    cal.pop("gate_verified", None)
    if verified:
        cal["gate_verified"] = {**base, "weights": [0.5, 0.1, 0.2, 0.3, -0.4]}
    (folder / "calibration.json").write_text(json.dumps(cal))
    return Reader(folder)


def test_the_gate_weighs_the_verification_when_fitted_with_it(tmp_path: Path) -> None:
    reader = _reader_with(tmp_path, verified=True)
    assert reader.verifies
    assert reader.gate(2.0, 1.0) == pytest.approx(0.5 + 0.2 + 0.2 - 0.25)
    assert reader.gate(2.0, 1.0, (-0.1, -3.0)) == pytest.approx(0.5 + 0.2 + 0.2 - 0.03 + 1.2 - 0.25)
    assert reader.gate(2.0, -99.0) == pytest.approx(0.5 + 0.2 - 4.0 - 0.25)  # the margin is floored


def test_without_a_verified_gate_nothing_is_verified(tmp_path: Path, corpus_dir: Path) -> None:
    reader = _reader_with(tmp_path, verified=False)
    assert not reader.verifies
    index = qa.build_index([corpus_dir], tmp_path / "index", embedder=qa.HashingEmbedder(128))
    view = index.pinned()
    view.reader = reader
    from qa.answer.evidence import gather

    ev = gather(view, "How do bees communicate?")
    assert ev.readings and ev.verification is None


def test_the_shipped_gate_was_fitted_with_the_shipped_entailment_model() -> None:
    """Retraining the entailment model changes its probabilities: the verified gate must be refitted with it
    (``python -m qa_tools.gate``), which records the model it was fitted with."""
    import hashlib

    from qa.answer.entail.model import MODEL_DIR as NLI_DIR

    gate = json.loads((MODEL_DIR / "calibration.json").read_text())["gate_verified"]
    assert gate["entailment_model_sha256"] == hashlib.sha256((NLI_DIR / "model.onnx").read_bytes()).hexdigest()
    assert len(gate["weights"]) == len(gate["features"]) == 5
