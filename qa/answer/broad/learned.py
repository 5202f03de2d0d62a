"""The learned fallback of the kind classifier: a question the word patterns (``kinds``) do not read is given
a broad kind by a softmax regression over its vector from the bundled embedder, when it is sure enough.

The patterns read the phrasings they were written for; "what was going on in China in the run-up to the
plague" or "how the plague's death toll in Asia compared with Europe's" fall to the factoid path, which finds
no short answer and says "not in your documents". The regression was fitted on questions of other data
(``python -m qa_tools.kind_model``: SQuAD 2.0 / SQuADShifts / TyDi factoids, the broad set's dev splits and
probes; its threshold by a rule on left-out dev splits and SQuAD v1.1 factoids) and is stored in
``qa/answer/data/broad_kind_model.json``, checked on load. It applies only to vectors of the embedder it was
fitted with (``embedder``); any other embedder leaves the patterns alone.

What a fallback kind asks about is the question's own words (``topic_of``): the handlers weigh its content
words by rarity and need only some of them (``describe.matches``). A list needs the noun it lists, which only
the patterns find, so a fallback "list" stays a factoid.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ...text.questions import is_yes_no
from .kinds import compared_sides
from .phrasing import Kind, clean_topic, length_of, normalise, patterns, without_documents

logger = logging.getLogger(__name__)

LABELS = ("factoid", "summary", "entity", "event", "compare", "list")
MODEL_FILE = Path(__file__).resolve().parents[1] / "data" / "broad_kind_model.json"
ANSWERED = frozenset({"summary", "entity", "event", "compare"})  # the fallback kinds a handler can answer


def softmax(z: np.ndarray) -> np.ndarray:
    """Per row of logits ``z`` (or for one vector of them), the probabilities."""
    p = np.exp(z - z.max(-1, keepdims=True))
    return p / p.sum(-1, keepdims=True)


class KindModelError(ValueError):
    """The model file is missing a field or its shapes do not fit."""


@dataclass(frozen=True)
class KindModel:
    embedder: str
    weights: np.ndarray  # (dim, classes)
    bias: np.ndarray  # (classes,)
    threshold: float

    def probabilities(self, vector: np.ndarray) -> np.ndarray:
        return softmax(np.asarray(vector, np.float64) @ self.weights + self.bias)

    def kind(self, vector: np.ndarray) -> tuple[str, float]:
        """The likeliest label of ``vector`` and its probability."""
        p = self.probabilities(vector)
        k = int(p.argmax())
        return LABELS[k], float(p[k])


def load(path: Path = MODEL_FILE) -> KindModel:
    """The model of ``path``, checked: its labels are ``LABELS``, one weight row of ``dim`` per label."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        labels, dim = tuple(raw["labels"]), int(raw["dim"])
        weights = np.asarray(raw["weights"], np.float64)
        bias = np.asarray(raw["bias"], np.float64)
        threshold, embedder = float(raw["threshold"]), str(raw["embedder"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise KindModelError(f"{path}: {err}") from None
    if labels != LABELS or weights.shape != (len(LABELS), dim) or bias.shape != (len(LABELS),) or not 0 < threshold < 1:
        raise KindModelError(f"{path}: labels {labels}, weights {weights.shape}, bias {bias.shape}, threshold "
                             f"{threshold} do not fit {LABELS} x {dim}")
    return KindModel(embedder, weights.T.copy(), bias, threshold)


@lru_cache(maxsize=1)
def shipped() -> KindModel | None:
    """The shipped model (None, logged, when its file is absent)."""
    if not MODEL_FILE.exists():
        logger.warning("no learned kind model at %s: broad questions are recognised by their patterns alone", MODEL_FILE)
        return None
    return load(MODEL_FILE)


_OPENER = re.compile(
    r"^(?:(?:so|ok|okay|and|but|now|hey|right),? )*(?:(?:can|could|would) you |i(?:'d| would) like (?:you )?to |"
    r"i want (?:you )?to |let me know |tell me |help me understand |give me )?"
    r"(?:(?:how|what|who|where|when|why|which)(?:'s| (?:is|are|was|were|did|do|does|has|have|had|will|would|can|could)"
    r"(?: (?:going on|happening|up|the (?:story|deal) (?:with|about|behind)))?)?\b)?\s*")
_FILLER = re.compile(r"(?:,|\s)+(?:(?:give|tell|fill|walk|run|catch) (?:me|us)\b.*|please|pls|exactly|overall picture|"
                     r"(?:in|at) a glance|in a nutshell|side by side(?: please)?)$")


def topic_of(question: str) -> str:
    """What a question the patterns did not read asks about: each clause's words without its opening question
    phrase or request and without closing fillers ("fill me in", "side by side please"), the clauses that keep
    more than a pronoun joined; documents it names left out."""
    q = normalise(question)
    parts = [x.strip() for x in _CLAUSES.split(q) if x.strip()]
    kept = []
    for part in parts:
        topic = _FILLER.sub("", _OPENER.sub("", part, count=1)).strip(" ,")
        topic = _KIND_OF.sub("", _REQUEST.sub("", topic, count=1))
        if topic and not _PRONOUNS.fullmatch(topic):
            kept.append(topic)
    return without_documents(clean_topic(" ".join(kept)), patterns())


_CLAUSES = re.compile(r"\s+[-–—]+\s+|\s*[;?]\s+|:\s+|\.\s+|\.\.\.\s*|,? and (?=(?:how|what|who|where|when|why|which)\b)")
_REQUEST = re.compile(r"^(?:give|tell|fill|walk|run|catch|take|bring) (?:me|us)(?: (?:in|up|through|over|on))*"
                      r"(?: (?:on|about|with))?\b\s*")
_KIND_OF = re.compile(r"^(?:kind|sort|type|types|kinds) of\s+")
_PRONOUNS = re.compile(r"(?:(?:he|she|it|in|they|him|her|them|that|this|these|those|one|exactly|really|actually|then)\b\s*)+")


_WH = re.compile(r"\b(?:what|who|whom|whose|how|which|where|when|why)\b")


def asks(question: str) -> bool:
    """Whether ``question`` may be a broad one: not a yes/no question, and asked as a question (a question mark,
    a question word) or a request (a request verb opens one of its clauses: "catch me up on ..."). A statement
    ("Articles published in open access format are less likely to be cited") is not, whatever its vector is
    near: it stays on the factoid path."""
    if is_yes_no(question):
        return False  # "Did anyone die in the collapse?": the yes/no path says what each source answers
    q = normalise(question)
    verbs = patterns().request_verbs
    return "?" in question or _WH.search(q) is not None or any(
        part.split()[0] in verbs for part in _CLAUSES.split(q) if part.strip())


def fallback(question: str, vector: np.ndarray, embedder: str, model: KindModel | None = None) -> Kind | None:
    """The broad kind of a question the patterns read as a factoid, from its ``vector`` (computed by the
    embedder named ``embedder``), or None: a factoid, a label below the model's threshold, a fallback
    "list", an embedder the model was not fitted with, or a statement that asks nothing (``asks``)."""
    model = model if model is not None else shipped()
    if model is None or embedder != model.embedder or len(vector) != model.weights.shape[0] or not asks(question):
        return None
    label, p = model.kind(vector)
    if label not in ANSWERED or p < model.threshold:
        return None
    topic = topic_of(question)
    logger.debug("learned kind %s (%.2f) for %r, topic %r", label, p, question, topic)
    if label == "summary":
        return Kind("summary", topic, length_of(normalise(question), patterns()))
    if not topic:
        return None
    if label == "compare":
        sides = compared_sides(normalise(question))[0]
        if not sides:
            sides, topic = _connected_sides(topic)
        return Kind("compare", topic, sides=sides)
    return Kind(label, topic)


_CONNECTOR = re.compile(r"\s+(?:(?:as )?compared? (?:with|to)|versus|vs\.?|as against|set against)\s+")


def _connected_sides(topic: str) -> tuple[tuple[str, ...], str]:
    """"the plague's death toll in asia compared with europe's" -> (("asia", "europe"), "the plague death
    toll"; possessives dropped): a short second side is set against as many last words of the first, the rest is what is
    compared; ((), topic) when no connector joins two sides."""
    parts = _CONNECTOR.split(topic, maxsplit=1)
    if len(parts) != 2:
        return (), topic
    a, b = (re.sub(r"['’]s\b", "", x).split() for x in parts)
    if not a or not b:
        return (), topic
    if len(b) >= len(a):
        return (" ".join(a), " ".join(b)), ""
    head = [w for w in a[:-len(b)] if w not in ("in", "for", "of", "at", "on")]
    while head and head[-1] in ("in", "for", "of", "at", "on", "the"):
        head.pop()
    return (" ".join(a[-len(b):]), " ".join(b)), " ".join(head)
