"""The fitted models are data files checked on load: features by name and order, shapes, finite numbers."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.answer.evidence import ANSWERABILITY_FEATURES
from qa.answer.fitted import ANSWERABILITY, SENTENCE_MODEL, FittedModelError, answerability, sentence_model
from qa.answer.scoring import FEATURES, sentence_logits
from tests.conftest import changed_copy


def test_shipped_models_match_the_features_the_code_computes() -> None:
    m = sentence_model(FEATURES)
    assert m.features == FEATURES and m.w1.shape == (len(FEATURES), len(m.b1)) and m.w2.shape == m.b1.shape
    a = answerability(ANSWERABILITY_FEATURES)
    assert a.weights.shape == (len(ANSWERABILITY_FEATURES),)
    doc = json.loads(SENTENCE_MODEL.read_text(encoding="utf-8"))
    assert "SQuAD" in doc["fitted_on"] and "fit_answering" in doc["fitted_by"]


def test_sentence_logits_are_the_network_written_out() -> None:
    m = sentence_model(FEATURES)
    x = np.random.default_rng(0).normal(size=(7, len(FEATURES)))
    expected = np.maximum(0.0, x @ m.w1 + m.b1) @ m.w2 + m.b2
    assert np.array_equal(sentence_logits(x), expected)
    assert sentence_logits(np.zeros((0, len(FEATURES)))).shape == (0,)


def test_answerability_is_its_logistic_model() -> None:
    a = answerability(ANSWERABILITY_FEATURES)
    x = np.array([1.0, 0.5, 0.4, 0.6, 0.7])
    assert a.log_odds(x) == pytest.approx(a.intercept + float(a.weights @ x))


def test_features_in_another_order_are_refused(tmp_path: Path) -> None:
    shuffled = [*FEATURES[1:], FEATURES[0]]
    path = changed_copy(SENTENCE_MODEL, tmp_path, features=shuffled)
    with pytest.raises(FittedModelError, match="refit"):
        sentence_model(FEATURES, path)


def test_a_wrong_shape_or_a_non_finite_weight_is_refused(tmp_path: Path) -> None:
    doc = json.loads(SENTENCE_MODEL.read_text(encoding="utf-8"))
    path = changed_copy(SENTENCE_MODEL, tmp_path, W2=doc["W2"][:-1])
    with pytest.raises(FittedModelError, match="'W2' has shape"):
        sentence_model(FEATURES, path)
    weights = json.loads(ANSWERABILITY.read_text(encoding="utf-8"))["weights"]
    path = changed_copy(ANSWERABILITY, tmp_path, weights=[float("nan"), *weights[1:]])
    with pytest.raises(FittedModelError, match="non-finite"):
        answerability(ANSWERABILITY_FEATURES, path)


def test_a_file_without_its_provenance_is_refused(tmp_path: Path) -> None:
    doc = json.loads(ANSWERABILITY.read_text(encoding="utf-8"))
    del doc["fitted_on"]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FittedModelError, match="fitted_on"):
        answerability(ANSWERABILITY_FEATURES, path)
