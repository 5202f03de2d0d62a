"""Entailment: does a premise (a quote) entail, contradict or not address a hypothesis (a claim)?

A 3-way cross-encoder qa trains itself (``training/nli``), shipped as int8 ONNX in ``qa/models/nli``.
"""
from .model import LABELS, Entailer, EntailerUnavailableError, Judgement

__all__ = ["LABELS", "Entailer", "EntailerUnavailableError", "Judgement"]
