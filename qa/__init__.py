"""qa: question answering over your own documents, every answer quoted from its source.

This module is the public API only; the stages live in sub-packages along the data path (see
docs/architecture.md): text -> embed -> store -> ingest / search -> answer -> the ``Index`` facade -> cli, web.
"""
from __future__ import annotations

import logging

from .answer.config import AnswerConfig, Partial
from .answer.pipeline import stream_answer
from .embed.base import Embedder
from .embed.hashing import HashingEmbedder
from .embed.torch import SentenceTransformerEmbedder
from .errors import IndexFormatError, IndexLockedError, IndexNotFoundError, LoadError, ModelMismatchError
from .index import ChunkingConfig, Index, IndexReport, build_index, load_index, retrieve
from .index import answer as answer  # binds after the qa.answer sub-package was imported: the function wins
from .search.fusion import RetrievalConfig
from .types import Answer, Citation, Document, Hit, Passage, ShortAnswer, SourceVerdict

logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"
__all__ = [
    "Answer", "AnswerConfig", "Citation", "Partial", "answer", "stream_answer", "ChunkingConfig", "Document", "Embedder", "HashingEmbedder", "Hit", "Index", "IndexFormatError",
    "IndexLockedError", "IndexNotFoundError", "IndexReport", "LoadError", "ModelMismatchError", "Passage",
    "RetrievalConfig", "SentenceTransformerEmbedder", "ShortAnswer", "SourceVerdict", "build_index", "load_index", "retrieve",
]
