"""The reader: a small transformer trained by qa (``training/reader``) that finds the short answer in a
passage, or says the passage does not answer. ``windows`` cuts question + passage into model inputs and
decodes spans; ``model`` runs the shipped int8 ONNX graph."""
from __future__ import annotations

from .model import Reader, ReaderUnavailableError, Reading

__all__ = ["Reader", "ReaderUnavailableError", "Reading"]
