"""Fitted models as data: the sentence scorer and the answerability model, read from ``qa/answer/data/*.json``.

Each file names its features in order, what it was fitted on and by which script (``scripts/fit_answering.py``
writes them). Loading checks that the features are the ones the code computes, in the same order, and that
every array has the shape the features imply and holds finite numbers: a stale or hand-edited file fails
loudly instead of scoring with shifted weights.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
SENTENCE_MODEL = DATA / "sentence_model.json"
ANSWERABILITY = DATA / "answerability.json"


class FittedModelError(ValueError):
    """A fitted-model file does not match the code that reads it."""


@dataclass(frozen=True)
class SentenceModel:
    """logit = relu(x @ w1 + b1) @ w2 + b2 over ``features``."""

    features: tuple[str, ...]
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Log-odds per row of ``x`` (one row per sentence, columns in ``features`` order)."""
        if not len(x):
            return np.zeros(0)
        return np.asarray(np.maximum(0.0, x @ self.w1 + self.b1) @ self.w2 + self.b2)


@dataclass(frozen=True)
class Answerability:
    """log_odds = intercept + weights @ x over ``features``."""

    features: tuple[str, ...]
    intercept: float
    weights: np.ndarray

    def log_odds(self, x: np.ndarray) -> float:
        return float(self.intercept + self.weights @ x)


def _read(path: Path, expected: Sequence[str]) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise FittedModelError(f"{path}: cannot be read ({e})") from None
    for key in ("features", "fitted_on", "fitted_by"):
        if key not in doc:
            raise FittedModelError(f"{path}: no {key!r} entry")
    if tuple(doc["features"]) != tuple(expected):
        raise FittedModelError(f"{path}: fitted on features {doc['features']}, but the code computes {list(expected)}; "
                               "refit with scripts/fit_answering.py")
    return dict(doc)


def _array(path: Path, doc: dict[str, Any], key: str, shape: tuple[int, ...]) -> np.ndarray:
    a = np.asarray(doc.get(key), dtype=np.float64)
    if a.shape != shape or not np.isfinite(a).all():
        raise FittedModelError(f"{path}: {key!r} has shape {a.shape} (expected {shape}) or non-finite values")
    return a


@lru_cache(maxsize=4)
def _sentence_model(path: Path, features: tuple[str, ...]) -> SentenceModel:
    doc = _read(path, features)
    hidden = len(doc.get("B1") or ())
    w1 = _array(path, doc, "W1", (len(features), hidden))
    return SentenceModel(features, w1, _array(path, doc, "B1", (hidden,)), _array(path, doc, "W2", (hidden,)),
                         float(_array(path, doc, "B2", ())))


def sentence_model(features: Sequence[str], path: Path = SENTENCE_MODEL) -> SentenceModel:
    """The sentence scorer, checked against ``features`` (read once per process: it never changes)."""
    return _sentence_model(path, tuple(features))


@lru_cache(maxsize=4)
def _answerability(path: Path, features: tuple[str, ...]) -> Answerability:
    doc = _read(path, features)
    return Answerability(features, float(_array(path, doc, "intercept", ())),
                         _array(path, doc, "weights", (len(features),)))


def answerability(features: Sequence[str], path: Path = ANSWERABILITY) -> Answerability:
    """The answerability model, checked against ``features``."""
    return _answerability(path, tuple(features))
