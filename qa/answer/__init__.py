"""Answers from evidence: follow-ups made stand-alone, sentences scored, quotes chosen and cited, conflicts
stated, and (optionally) a written answer whose every sentence is checked.

Modules, in the order a question meets them: ``followup`` -> ``candidates`` -> ``scoring`` -> ``evidence``
-> ``conflicts`` -> ``compose`` (quotes mode) or ``written`` + ``llm`` + ``claims`` (written mode);
``pipeline`` runs them. ``qa.answer`` the *package* is reached with ``from qa.answer import ...``; the
attribute ``qa.answer`` is the one-call function of the public API (``qa.index.answer``).
"""
from __future__ import annotations

from .config import DEFAULT_CONFIG, AnswerConfig, IndexView, Partial
from .pipeline import answer, stream_answer, written_available

__all__ = ["DEFAULT_CONFIG", "AnswerConfig", "IndexView", "Partial", "answer", "stream_answer", "written_available"]
