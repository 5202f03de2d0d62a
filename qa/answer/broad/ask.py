"""One broad question being answered (``Ask``) and what every kind of broad answer shares."""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ...types import Answer, Citation
from ..config import AnswerConfig, IndexView
from .pool import dense_vectors
from .render import answer_of, inline


@dataclass(frozen=True)
class Ask:
    """One broad question being answered."""

    index: IndexView
    question: str
    query: str
    config: AnswerConfig
    vector: Callable[[], np.ndarray] = field(compare=False, repr=False)  # the embedder's vector of ``query``,
    # computed once per question (``broad_answer`` shares it with every step that needs it)
    notes: tuple[str, ...] = ()
    unnamed: str = ""  # the question without the words that name its documents ("What does the document say about
    # pets?" for "What does the lease say about pets?"); empty when it names none

    def model_vector(self) -> np.ndarray:
        """The embedder's vector of ``query``."""
        return self.vector()

    def text_of(self, doc_id: str) -> str:
        return self.index.snapshot.documents[doc_id].document.text

    def done(self, text: str, citations: Sequence[Citation], conflict: bool = False) -> Answer:
        return answer_of(self.question, self.query, with_notes(text, self.notes), citations, notes=self.notes,
                         conflict=conflict)


def with_notes(text: str, notes: Sequence[str]) -> str:
    return "\n\n".join([*(f"_{n}_" for n in notes), text])


def topic_shown(topic: str, question: str) -> str:
    """The topic as the question writes it (its capitals kept)."""
    low = question.lower().replace("’", "'")
    i = low.find(topic)
    return inline(question[i : i + len(topic)]) if i >= 0 else topic


def query_vector(index: IndexView, text: str) -> np.ndarray:
    return dense_vectors(index, [text])[0]


def plain(text: str) -> str:
    """Lower case without accents ("Temüjin" and "Temujin" are one name)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
