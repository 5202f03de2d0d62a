"""Answer settings, the streaming event, and what answering needs to read from an index."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..embed.base import Embedder
from ..search.fusion import RetrievalConfig
from ..store.snapshot import Snapshot
from .entail import Entailer
from .reader import Reader

MODES = ("quotes", "written")
NOT_FOUND = "I could not find an answer to this in your documents."


class IndexView(Protocol):
    """What answering reads from an index (``qa.Index`` is one; pass ``index.pinned()`` so that every read
    of one answer sees the same snapshot)."""

    @property
    def snapshot(self) -> Snapshot: ...

    @property
    def embedder(self) -> Embedder: ...

    @property
    def retrieval(self) -> RetrievalConfig: ...

    @property
    def reader(self) -> Reader | None: ...

    @property
    def entailer(self) -> Entailer | None: ...


@dataclass(frozen=True)
class AnswerConfig:
    """How answers are chosen. Sentence scores are log-odds that a sentence holds the answer (``qa.answer.scoring``);
    the defaults were chosen on a dev slice of SQuAD v1.1 (``scripts/fit_answering.py``)."""

    threshold: float = -0.6  # answerability log-odds below this: found=False (dev: 96.8% of SQuAD questions
    # answered, 96.1% of off-topic SciFact claims abstained). When the reader runs, its gate decides instead;
    # a ``threshold`` set to another value decides on answerability alone, as asked.
    coverage: float = 0.85  # add quotes (best first) until P(one of them holds the answer) reaches this
    max_chars: int = 420  # quoted characters, at most (a single longer best sentence is still quoted whole)
    max_quotes: int = 4
    min_probability: float = 0.02  # never quote a sentence less likely than this to hold the answer
    on_point: float = -4.0  # sentences scoring at least this may be compared for conflicts ...
    conflict_pool: int = 4  # ... the best this many of each document (three documents at most)
    sections: bool = True  # a quoted heading is replaced by the sentences of its section (``qa.answer.sections``)
    verdict_on_point: float = -5.0  # a yes/no question's sentences scoring below this are not judged: the model
    # reads an unrelated sentence against a claim as a contradiction ("The room costs €148 per night" against "I can
    # have a dog.", P 0.88), so a lease question got "No, according to" a travel plan. Yes/no dev per source (with
    # the personal set "household", whose other documents must say nothing): 77.9% with all judged, 78.7% from -5.0
    # to -4.5, 68.8% (news only) at -4.0
    embed_top: int = 12  # sentences embedded per question at most (the rest are ranked lexically) ...
    embed_first: int = 4  # ... in two passes: the lexically best few first; the rest only when the
    unsure_below: float = 1.0  # answerability after that first pass lies within [threshold - unsure_below,
    unsure_above: float = 2.0  # threshold + unsure_above] (dev: same abstentions as embedding 12 at once,
    # -0.2 points of gold-in-answer; the second pass runs for ~10% of questions)
    paraphrases: bool = True  # match question words no passage contains by close words ("hurt" ~ "wounded")
    related: int = 3  # closest passages listed when nothing answers
    read_top: int = 2  # passages the reader reads (the best ones; 5 cost the 50-client load test 40% more work)
    reader_focus: int = 192  # word pieces the reader reads of each passage: its best sentence and neighbours
    # (``qa.answer.focus``; 0: whole passages). With reader stage 6c (2026-12-01), 600 dev questions in the open
    # corpus, short-answer EM by (read_top, reader_focus): (3, 96) 43.2%, (3, 128) 45.5%, (3, 160) 46.7%, (3, 192)
    # 48.5%, (2, 192) 47.3% at 1.16x the word pieces of (3, 96) (235 -> 273 per question); with the gate refitted,
    # all 2,524 dev questions: EM 44.22% -> 46.12%, gold inside the quotes 81.38% -> 81.62% (the rule written
    # before: +1.5 / -0.5). The reader's gate is fitted on this very reading (``qa_tools.gate``; both recorded in
    # calibration.json's ``gate.reading``, and a reading other than that one is warned about: ``Reader.check_reading``)
    reader_weight: float = 0.3  # a sentence holding a reading's span counts as holding the answer with
    # P = 1 - (1 - P_sentence)(1 - reader_weight * P_reading), for the order of quotes and their coverage
    # (``compose.reread``; dev, 700 SQuAD v1.1 questions in the open corpus, 660 answered: gold inside the quotes
    # 546 -> 549, quoted characters 371.9 -> 359.0; 0.2 / 0.4 / 0.5 gave 547 / 546 / 544 at 364.9 / 351.0 / 340.2)
    reader: bool = True  # read the top passages with the trained reader (when its model is installed):
    # short answer, re-ranking, and its no-answer probability in the found/not-found decision (``qa.answer.gate``)
    short_model: bool = True  # show the reader's span as the short answer by the fitted decision over the reading
    # (``qa.answer.short``: margin, agreement of the two passages read, span length, its sentence's rank and
    # probability; dev-fitted, ``python -m qa_tools.short``); False: by the reader's margin threshold alone
    keep_best: bool = True  # when the short answer's sentence is not the best-scored one, quote the best one too
    # (as a conflict's two sides are: outside the coverage and character budget). Until 2026-12-02 a sure short
    # answer's sentence could cover the answer alone and push the best sentence out. Rule written first: +0.3 gold
    # inside the quotes on all 2,524 dev questions (open corpus), <= 10 more quoted characters. Same run: 81.54% ->
    # 82.13%, 320.9 -> 327.8 characters, EM 49.52% both; held out (400, read once after): 77.75% -> 78.25%, 308.0 -> 312.9
    broad_documents: int = 40  # a broad question over more documents than this (none named) reads a bounded set:
    # the best retrieved for its topic, or representatives of the collection's groups (``qa.answer.broad.scope``);
    # 0: every document in scope, however many
    broad_evidence: int = 2  # a description (who is / what happened) also quotes the best this many sentences the
    # factoid path finds for the question, when it finds an answer (``qa.answer.broad.answers.with_evidence``; dev1-9
    # broad questions 160 -> 162 of 255 right, none lost; 1 / 3: 161 / 163); 0: the topic's sentences alone
    learned_kinds: bool = True  # a question the broad patterns do not read may still be broad by the learned
    # fallback (qa.answer.broad.learned, its own threshold); False: the patterns alone
    short_rerank: bool = True  # with short_model: of the passages' readings, the one the fitted decision finds
    # likeliest is shown (not always the best margin's); False: the best margin's reading, or none
    compound: bool = True  # a message asking several things (``qa.text.compound``) is answered part by part
    entailment: bool = True  # yes/no verdicts per source, conflicts and claim checks by the trained entailment
    # model (when installed); without it, the word-list rules of ``qa.answer.conflicts`` / ``qa.answer.claims``
    verify: bool = True  # the entailment model checks the reader's best span as the answer against its own
    # sentence (``qa.answer.verify``), and the gate weighs the verdict (fitted on dev): held out, in the open
    # corpus, SQuAD 2.0 unanswerables abstained 29.3% vs 22.2%, its answerable questions answered 89.5% vs 88.7%
    entail_conflicts: bool = False  # conflicts by the entailment model instead of the word-list rules: off, as
    # it claims too many on the labelled pairs (dev precision 0.58 / recall 0.70 against the rules' 0.85 / 0.78)
    entail_pool: int = 2  # on-point sentences per document (three documents at most) the model compares for
    # conflicts, both directions; yes/no verdicts judge ``conflict_pool`` sentences per document
    depth: int | None = None  # retrieval candidates per retriever (default: the index's setting)


DEFAULT_CONFIG = AnswerConfig()


@dataclass(frozen=True)
class Partial:
    """A streaming event: ``delta`` is the new text, ``text`` the whole answer text so far."""

    text: str
    delta: str
