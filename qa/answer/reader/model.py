"""The extractive reader qa trains itself (``training/reader``), run as int8 ONNX on onnxruntime.

``Reader(folder)`` is light; ``warm_up()`` loads the graph, the bundled model's word-embedding table (checked
against the sha256 the export recorded: the graph takes embeddings, so another table is refused) and the
calibration. ``read(question, hits)`` returns, per passage, its best answer span (verbatim document offsets)
with the calibrated probability that the passage answers the question.
"""
from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...embed.onnx import default_threads
from ...text.numbers import whole_date
from ...types import Hit
from ..graph import ModelUnavailableError, load_graph, load_json
from ..short import FEATURES as SHORT_FEATURES
from .windows import Window, batch, best_span, encode_context, windows

logger = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "reader"
CALIBRATION_KEYS = ("margin_threshold", "logistic")


class ReaderUnavailableError(ModelUnavailableError):
    """The reader's files are missing or do not match what the export recorded."""


@dataclass(frozen=True)
class Reading:
    """The reader's best span in one passage: ``document.text[start:end] == text``."""

    doc_id: str
    start: int
    end: int
    text: str
    margin: float  # best span score - no-answer score
    probability: float  # calibrated P(this passage answers the question)
    rank: int  # the passage's rank among the hits read


class Reader:
    """Reads passages for a question. Thread-safe after ``warm_up()`` (onnxruntime sessions are)."""

    def __init__(self, folder: Path | None = None, threads: int | None = None) -> None:
        self.folder = Path(folder or MODEL_DIR)
        self.threads = threads or default_threads()
        self._session: Any = None
        self._table: np.ndarray | None = None
        self._calibration: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._warned_reading = False
        self.whole_dates = True  # a span ending on a month widened to its day and year (``qa.text.numbers``)

    @property
    def available(self) -> bool:
        return (self.folder / "model.onnx").is_file() and (self.folder / "graph.json").is_file()

    @property
    def threshold(self) -> float:
        """The margin above which a passage counts as answering (chosen on the dev split; see the model card)."""
        self.warm_up()
        return float(self._calibration["margin_threshold"])

    def probability(self, margin: float) -> float:
        self.warm_up()
        a, b = float(self._calibration["logistic"]["a"]), float(self._calibration["logistic"]["b"])
        z = a * margin + b
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    @property
    def verifies(self) -> bool:
        """Whether the gate was also fitted with the entailment model's check of the best reading
        (``gate_verified`` in calibration.json; ``qa.answer.verify``)."""
        self.warm_up()
        return bool(self._calibration.get("gate_verified"))

    def gate(self, answerability: float, margin: float, verified: tuple[float, float] | None = None) -> float | None:
        """Log-odds that the documents answer (>= 0: answer), from the evidence's ``answerability``, the best
        reader margin and, when given, the entailment model's (log P(entailment), log P(contradiction)) of the
        best reading's claim against its sentence: a logistic fitted on the dev split (``gate`` or
        ``gate_verified`` in calibration.json); None before it is."""
        self.warm_up()
        g = self._calibration.get("gate_verified" if verified is not None else "gate")
        if not g:
            return None
        w = g["weights"]
        margin = max(margin, g["margin_floor"])
        answerability = max(answerability, g["answerability_floor"])
        z = w[0] + w[1] * answerability + w[2] * margin
        if verified is not None:
            z += w[3] * verified[0] + w[4] * verified[1]
        return float(z - g["threshold"])

    def short_answer(self, x: Sequence[float]) -> float | None:
        """Log-odds (>= 0: show it) that the best reading's span is the exact short answer, from its
        ``qa.answer.short.FEATURES`` ``x``: a logistic fitted on the dev split (``short`` in calibration.json,
        ``python -m qa_tools.short``); None before it is (the margin threshold alone decides then)."""
        self.warm_up()
        s = self._calibration.get("short")
        if not s:
            return None
        return float(s["intercept"] + float(np.dot(s["weights"], x)) - s["threshold"])

    def check_reading(self, read_top: int, focus: int) -> bool:
        """Whether the gate was fitted on this reading (``read_top`` passages, each focused to ``focus`` word
        pieces, as ``gate.reading`` in calibration.json records); on a mismatch a warning is logged once, since
        the reader's margins then differ from those the gate weighs."""
        self.warm_up()
        fitted = (self._calibration.get("gate") or {}).get("reading")
        if not fitted or (fitted.get("read_top"), fitted.get("reader_focus")) == (read_top, focus):
            return True
        if not self._warned_reading:
            self._warned_reading = True
            logger.warning("the reader's gate was fitted reading %s passages focused to %s word pieces, not %s / %s "
                           "(read_top / reader_focus): its found / not-found decision is not calibrated for this "
                           "reading (refit: python -m qa_tools.gate)", fitted.get("read_top"),
                           fitted.get("reader_focus"), read_top, focus)
        return False

    def warm_up(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is None:
                self._load()

    def _load(self) -> None:
        if not self.available:
            raise ReaderUnavailableError(f"no reader model in {self.folder}")
        self._calibration = load_json(self.folder / "calibration.json", CALIBRATION_KEYS, ReaderUnavailableError)
        _check_short(self.folder / "calibration.json", self._calibration.get("short"))
        self._session, self._table, _ = load_graph(self.folder, self.threads, ReaderUnavailableError)
        logger.info("reader loaded from %s", self.folder)

    def run(self, b: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits for a padded batch (``windows.batch``)."""
        self.warm_up()
        assert self._table is not None
        feeds = {"inputs_embeds": self._table[b["input_ids"]], "attention_mask": b["attention_mask"],
                 "token_type_ids": b["token_type_ids"]}
        start, end = self._session.run(["start_logits", "end_logits"], feeds)
        return start, end

    def read(self, question: str, hits: Sequence[Hit], batch_size: int = 16) -> list[Reading]:
        """The best span of each hit (best first), with offsets into the hit's document."""
        self.warm_up()
        items: list[tuple[int, Window]] = []
        for r, hit in enumerate(hits):
            items.extend((r, w) for w in windows(question, hit.text, context_tokens=encode_context(hit.text)))
        order = sorted(range(len(items)), key=lambda k: len(items[k][1].input_ids))
        best: dict[int, tuple[float, int, int]] = {}
        nulls: dict[int, float] = {}
        for lo in range(0, len(order), batch_size):
            chunk = [items[k] for k in order[lo:lo + batch_size]]
            start, end = self.run(batch([w for _, w in chunk]))
            for (r, w), s, e in zip(chunk, start, end, strict=True):
                nulls[r] = min(nulls.get(r, math.inf), float(s[0] + e[0]))
                span = best_span(w, s, e)
                if span is not None and (r not in best or span.score > best[r][0]):
                    best[r] = (span.score, span.start, span.end)
        out = []
        for r, (score, s0, e0) in best.items():
            hit = hits[r]
            if self.whole_dates:  # "December" of "moved to 4 December": the whole date
                s0, e0 = whole_date(hit.text, s0, e0)
            margin = score - nulls[r]
            out.append(Reading(hit.doc_id, hit.start + s0, hit.start + e0, hit.text[s0:e0], margin,
                               self.probability(margin), r))
        return sorted(out, key=lambda x: -x.margin)


def _check_short(path: Path, entry: dict[str, Any] | None) -> None:
    """The ``short`` entry, when present, must be fitted on the features the code computes, in its order."""
    if entry is None:
        return
    names = entry.get("features")
    weights = entry.get("weights")
    if list(names or ()) != list(SHORT_FEATURES) or not isinstance(weights, list) or len(weights) != len(SHORT_FEATURES):
        raise ReaderUnavailableError(f"{path}: the 'short' entry was fitted on features {names}, but the code computes "
                                     f"{list(SHORT_FEATURES)}; refit with python -m qa_tools.short")
    values = [*weights, entry.get("intercept"), entry.get("threshold")]
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
        raise ReaderUnavailableError(f"{path}: the 'short' entry holds a missing or non-finite number")

