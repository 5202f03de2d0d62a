"""qa: question answering over your own documents, every answer quoted from its source."""
from __future__ import annotations

import logging

from .answering import AnswerConfig, Partial, stream_answer
from .embedding import Embedder, HashingEmbedder, SentenceTransformerEmbedder
from .index import ChunkingConfig, Index, IndexReport, answer, build_index, load_index, retrieve
from .loaders import LoadError
from .retrieval import RetrievalConfig
from .store import IndexFormatError, IndexLockedError, IndexNotFoundError, ModelMismatchError
from .types import Answer, Citation, Document, Hit, Passage

logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"
__all__ = [
    "Answer", "AnswerConfig", "Citation", "Partial", "answer", "stream_answer", "ChunkingConfig", "Document", "Embedder", "HashingEmbedder", "Hit", "Index", "IndexFormatError",
    "IndexLockedError", "IndexNotFoundError", "IndexReport", "LoadError", "ModelMismatchError", "Passage",
    "RetrievalConfig", "SentenceTransformerEmbedder", "build_index", "load_index", "retrieve",
]
