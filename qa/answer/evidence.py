"""Evidence for one query: retrieve the top passages, score their sentences, and judge answerability."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np

from ..embed.words import word_vectors
from ..search.retrieval import collapse, rank, rows_for_documents, to_hit
from ..text.questions import is_yes_no
from ..types import Hit
from .candidates import Sentence, candidates, question_terms
from .config import DEFAULT_CONFIG, AnswerConfig, IndexView
from .fitted import answerability as answerability_model
from .focus import focus
from .reader import Reading
from .scoring import score_sentences
from .verify import Verification, verify

# Answerability: a logistic model over the evidence (qa/answer/data/answerability.json, fitted on the SQuAD dev
# slice against off-topic and other-article questions). ``AnswerConfig.threshold`` is on its log-odds.
ANSWERABILITY_FEATURES = ("best_sentence_score", "max_dense", "max_lexical", "max_context", "max_passage_dense")


@dataclass(frozen=True)
class Evidence:
    """What retrieval and sentence scoring found for one query."""

    query: str
    hits: list[Hit]
    sentences: list[Sentence]  # scored, best first
    query_vector: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, np.float32))
    readings: tuple[Reading, ...] = ()  # the reader's best span per passage, best first (when it ran)
    gate: float | None = None  # log-odds that the documents answer, from the reader and ``answerability``
    verification: Verification | None = None  # the entailment model on the best reading's claim (when it ran)

    @property
    def best(self) -> float:
        return self.sentences[0].score if self.sentences else float("-inf")

    @property
    def answerability(self) -> float:
        """Log-odds that the documents answer the query (see ``ANSWERABILITY_FEATURES``)."""
        if not self.sentences:
            return float("-inf")
        s = self.sentences
        x = np.array([s[0].score, max(v.dense for v in s), max(v.lexical for v in s), max(v.context for v in s),
                      max(v.passage_dense for v in s)])
        return answerability_model(ANSWERABILITY_FEATURES).log_odds(x)

    def answered(self, config: AnswerConfig) -> bool:
        if not self.sentences:
            return False
        if self.gate is not None and config.threshold == DEFAULT_CONFIG.threshold:
            return self.gate >= 0.0  # the reader's gate; an explicitly set ``threshold`` decides on its own
        return self.answerability >= config.threshold


def gather(index: IndexView, query: str, *, k: int = 5, doc_ids: Collection[str] | None = None,
           config: AnswerConfig = DEFAULT_CONFIG, query_vector: np.ndarray | None = None) -> Evidence:
    """Retrieve the top ``k`` passages for ``query`` and score their sentences."""
    if not query or not query.strip():
        raise ValueError("the question is empty")
    snap, embedder = index.snapshot, index.embedder
    retrieval = index.retrieval
    qv = embedder.encode_queries([query])[0] if query_vector is None else np.asarray(query_vector, np.float32)
    rows = rows_for_documents(snap, doc_ids)
    depth = max(config.depth or retrieval.depth, 3 * k)
    ranked = rank(snap, embedder, query, depth, retrieval, rows=rows, query_vector=qv)
    hits = [to_hit(snap, s) for s in collapse(snap, ranked, k)]
    cands = candidates(snap, hits, question_terms(query), query, word_vectors(embedder) if config.paraphrases else None)
    first = min(config.embed_first, config.embed_top)
    ev = Evidence(query, hits, score_sentences(embedder, qv, cands, query, first), qv)
    if config.embed_top > first and len(cands) > first:
        a = ev.answerability
        if config.threshold - config.unsure_below <= a <= config.threshold + config.unsure_above:
            # unsure: embed more sentences (the first pass's vectors come from the cache)
            ev = Evidence(query, hits, score_sentences(embedder, qv, cands, query, config.embed_top), qv)
    return read(index, ev, config)


def read(index: IndexView, ev: Evidence, config: AnswerConfig = DEFAULT_CONFIG) -> Evidence:
    """Let the reader read the hits (when it is installed and enabled): its spans, and the combined gate. With
    ``config.reader_focus`` it reads only the best sentences of each (``qa.answer.focus``); the gate was fitted on
    this same reading (``qa_tools.gate``). With ``config.verify`` and the entailment model installed, the best
    reading's claim is checked against its sentence (``qa.answer.verify``) and the gate weighs that too."""
    reader = index.reader
    if not config.reader or reader is None or not reader.available or not ev.hits or is_yes_no(ev.query):
        return ev  # no span answers yes or no: a yes/no question is answered (or not) on the evidence alone
    reader.check_reading(config.read_top, config.reader_focus)
    hits = [focus(h, ev.sentences, config.reader_focus) for h in ev.hits[: config.read_top]]
    readings = tuple(reader.read(ev.query, hits))
    margin = readings[0].margin if readings else float("-inf")
    checked = None
    entailer = index.entailer
    if (config.verify and config.entailment and readings and readings[0].text.strip() and entailer is not None
            and entailer.available and reader.verifies):
        best = readings[0]
        checked = verify(entailer, ev.query, best, index.snapshot.documents[best.doc_id].document.text)
    gate = reader.gate(ev.answerability, margin, checked.features() if checked else None) if ev.sentences else None
    return replace(ev, readings=readings, gate=gate, verification=checked)


def warm(index: IndexView, wait: bool = True) -> None:
    """Load what answering needs before the first question: the model, and the word-vector table (built in
    the background the first time on a machine, ~10 s; ``wait=False`` returns without waiting for it)."""
    index.embedder.encode_queries(["warm up"])
    if index.reader is not None and index.reader.available:
        index.reader.warm_up()
    table = word_vectors(index.embedder)
    if wait:
        table.wait()
