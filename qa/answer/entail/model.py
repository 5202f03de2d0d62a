"""The entailment cross-encoder qa trains itself, run as int8 ONNX on onnxruntime.

``Entailer(folder)`` is light; ``warm_up()`` loads the graph (checked against ``graph.json``) and the
calibration (``calibration.json``: a temperature and the decision thresholds chosen on the dev split; see the
model card). ``judge(pairs)`` returns one :class:`Judgement` per (premise, hypothesis) pair; results are cached
per pair, as the same quote/claim pairs come back within a conversation.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...embed.onnx import default_threads
from ..graph import ModelUnavailableError, load_graph, load_json
from .pairs import batch, encode

logger = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "nli"
LABELS = ("entailment", "neutral", "contradiction")
CALIBRATION_KEYS = ("labels", "temperature", "entail_threshold", "contradict_threshold")


class EntailerUnavailableError(ModelUnavailableError):
    """The entailment model's files are missing or do not match what the export recorded."""


@dataclass(frozen=True)
class Judgement:
    """Probabilities that the premise entails / does not address / contradicts the hypothesis."""

    entailment: float
    neutral: float
    contradiction: float
    entails: bool  # entailment above the calibrated threshold
    contradicts: bool  # contradiction above the calibrated threshold


class Entailer:
    """Judges premise/hypothesis pairs. Thread-safe after ``warm_up()``."""

    def __init__(self, folder: Path | None = None, threads: int | None = None, cache_size: int = 4096) -> None:
        self.folder = Path(folder or MODEL_DIR)
        self.threads = threads or default_threads()
        self.cache_size = cache_size
        self._session: Any = None
        self._table: np.ndarray | None = None
        self._calibration: dict[str, Any] = {}
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return (self.folder / "model.onnx").is_file() and (self.folder / "graph.json").is_file()

    def warm_up(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is None:
                if not self.available:
                    raise EntailerUnavailableError(f"no entailment model in {self.folder}")
                cal = load_json(self.folder / "calibration.json", CALIBRATION_KEYS, EntailerUnavailableError)
                if tuple(cal["labels"]) != LABELS:
                    raise EntailerUnavailableError(f"{self.folder / 'calibration.json'}: labels must be {list(LABELS)}")
                self._calibration = cal
                self._session, self._table, _ = load_graph(self.folder, self.threads, EntailerUnavailableError)
                logger.info("entailment model loaded from %s", self.folder)

    def calibration(self, key: str, default: float) -> float:
        """A number fitted on the dev split (``calibration.json``), e.g. ``conflict_threshold``."""
        self.warm_up()
        return float(self._calibration.get(key, default))

    def logits(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """Raw logits [n, 3] (entailment, neutral, contradiction), batched by length."""
        self.warm_up()
        assert self._table is not None
        encoded = [encode(p, h) for p, h in pairs]
        out = np.zeros((len(pairs), 3), dtype=np.float32)
        order = sorted(range(len(pairs)), key=lambda i: len(encoded[i][0]))
        for lo in range(0, len(order), batch_size):
            idx = order[lo:lo + batch_size]
            b = batch([encoded[i] for i in idx])
            feeds = {"inputs_embeds": self._table[b["input_ids"]], "attention_mask": b["attention_mask"],
                     "token_type_ids": b["token_type_ids"]}
            out[idx] = self._session.run(["logits"], feeds)[0]
        return out

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Calibrated probabilities [n, 3]; cached per pair."""
        self.warm_up()
        with self._lock:
            known = {pair: self._cache[pair] for pair in set(pairs) if pair in self._cache}
        todo = [pair for pair in dict.fromkeys(pairs) if pair not in known]
        if todo:
            z = self.logits(todo) / float(self._calibration["temperature"])
            z = np.exp(z - z.max(axis=1, keepdims=True))
            known.update(zip(todo, z / z.sum(axis=1, keepdims=True), strict=True))
            with self._lock:
                self._cache.update((pair, known[pair]) for pair in todo)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return np.array([known[pair] for pair in pairs]).reshape(len(pairs), 3)

    def judge(self, pairs: Sequence[tuple[str, str]]) -> list[Judgement]:
        if not pairs:
            return []
        probs = self.probabilities(pairs)
        te, tc = float(self._calibration["entail_threshold"]), float(self._calibration["contradict_threshold"])
        return [Judgement(float(p[0]), float(p[1]), float(p[2]), bool(p[0] >= te and p[0] >= p[2]),
                          bool(p[2] >= tc and p[2] > p[0])) for p in probs]

    def entails(self, premise: str, hypothesis: str) -> Judgement:
        return self.judge([(premise, hypothesis)])[0]
