"""The learned fallback of the kind classifier: its shipped file is checked on load, it is consulted only for
vectors of the embedder it was fitted with, and a fallback kind carries the question's own words as its topic."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import qa
from qa.answer.broad import learned
from qa.answer.broad.learned import LABELS, MODEL_FILE, KindModel, KindModelError, fallback, load, topic_of
from tests.conftest import QueryCountingEmbedder, changed_copy


def _model(label: str, p: float, dim: int = 4, threshold: float = 0.5) -> KindModel:
    """A model that gives every vector ``label`` with probability about ``p``."""
    others = (1 - p) / (len(LABELS) - 1)
    bias = np.log([p if x == label else others for x in LABELS])
    return KindModel("test-embedder", np.zeros((dim, len(LABELS))), bias, threshold)


def test_the_shipped_model_loads_and_fits_the_bundled_embedder() -> None:
    model = load(MODEL_FILE)
    raw = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert model.embedder == "sentence-transformers/all-MiniLM-L6-v2"
    assert model.weights.shape == (384, len(LABELS))
    assert 0 < model.threshold < 1
    # the figures that chose it are kept beside it, and no held-out question was fitted on
    assert raw["leave_one_split_out"]["with_fallback_right"] >= raw["leave_one_split_out"]["patterns_right"]
    assert "tests/data/broad_questions.jsonl" in raw["fitted_on"]["data_sha256"]


@pytest.mark.parametrize("change", [{"labels": ["factoid", "summary"]}, {"weights": [[0.0]]}, {"threshold": 1.5},
                                    {"bias": "x"}])
def test_a_broken_model_file_is_refused_naming_itself(tmp_path: Path, change: dict[str, object]) -> None:
    with pytest.raises(KindModelError, match="broad_kind_model.json"):
        load(changed_copy(MODEL_FILE, tmp_path, **change))


def test_only_the_embedder_it_was_fitted_with_is_read() -> None:
    model = _model("event", 0.9)
    assert fallback("what was going on in China before the plague", np.ones(4), "another-embedder", model) is None
    assert fallback("what was going on in China before the plague", np.ones(3), "test-embedder", model) is None
    kind = fallback("what was going on in China before the plague", np.ones(4), "test-embedder", model)
    assert kind is not None and kind.kind == "event" and kind.topic == "in china before the plague"


def test_below_its_threshold_a_factoid_or_a_list_stays_a_factoid() -> None:
    assert fallback("what was going on in China", np.ones(4), "test-embedder", _model("event", 0.3)) is None
    assert fallback("what was going on in China", np.ones(4), "test-embedder", _model("factoid", 0.9)) is None
    # a list needs the noun it lists, which only the patterns find
    assert fallback("which cities did it reach", np.ones(4), "test-embedder", _model("list", 0.9)) is None


def test_a_fallback_comparison_sets_two_sides_against_each_other() -> None:
    kind = fallback("I'd like to know how the plague's death toll in Asia compared with Europe's", np.ones(4),
                    "test-embedder", _model("compare", 0.9))
    assert kind is not None and kind.kind == "compare"
    assert kind.sides == ("asia", "europe") and kind.topic == "the plague death toll"


def test_a_fallback_summary_keeps_its_length_and_may_have_no_topic() -> None:
    kind = fallback("the fourth article - what is it arguing, in a nutshell", np.ones(4), "test-embedder",
                    _model("summary", 0.9))
    assert kind is not None and kind.kind == "summary" and kind.length == "gist"


@pytest.mark.parametrize(("question", "topic"), [
    ("Alameda Research - what was it, and how was it tied up with FTX? fill me in", "alameda research it tied up with ftx"),
    ("that general Simonov who got killed - who was he exactly", "that general simonov who got killed"),
    ("catch me up on the whole Sam Bankman-Fried thing", "the whole sam bankman-fried thing"),
    ("what kind of company is Coinbase", "company is coinbase"),
])
def test_the_topic_is_the_question_without_its_opening_and_fillers(question: str, topic: str) -> None:
    assert topic_of(question) == topic


def test_the_index_falls_back_only_when_the_patterns_read_no_kind(corpus_dir: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    index = qa.build_index(corpus_dir, tmp_path / "idx", embedder=qa.HashingEmbedder())
    plain = index.ask("what was going on with the honey bees in the run-up to spring")
    monkeypatch.setattr(learned, "shipped", lambda: KindModel(index.embedder.name, np.zeros((index.embedder.dim, len(LABELS))),
                                                              np.log([0.02, 0.02, 0.02, 0.9, 0.02, 0.02]), 0.5))
    broad = index.ask("what was going on with the honey bees in the run-up to spring")
    assert broad.found and broad.text.startswith("**What happened**") and "honey bees" in broad.text.lower()
    assert not plain.text.startswith("**What happened**")
    assert broad.text != plain.text
    # a question the patterns read keeps its kind whatever the model says
    assert index.ask("List the places mentioned.").text == index.ask("List the places mentioned.",
                                                                      learned_kinds=False).text


def test_the_fit_separates_what_it_is_given_and_never_reads_held_out_questions() -> None:
    from qa_tools.kind_model import broad_examples, fit_softmax, probabilities

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(len(LABELS), 8))
    y = np.repeat(np.arange(len(LABELS)), 30)
    x = centres[y] + 0.1 * rng.normal(size=(len(y), 8))
    w, b = fit_softmax(x, y, np.ones(len(y)), len(LABELS), l2=1e-4)
    assert (probabilities(x, w, b).argmax(1) == y).mean() > 0.95
    questions, kinds, splits = broad_examples(leave_out="dev9")
    assert "heldout" not in splits and "dev9" not in splits and set(kinds) <= set(LABELS)


def test_the_query_is_embedded_once_and_only_when_needed(corpus_dir: Path, tmp_path: Path) -> None:
    embedder = QueryCountingEmbedder()
    index = qa.build_index(corpus_dir, tmp_path / "idx", embedder=embedder)
    embedder.queries.clear()
    index.ask("How many eggs can the queen lay per day?")  # a factoid: the fallback and retrieval share one vector
    assert embedder.queries == ["How many eggs can the queen lay per day?"]
    embedder.queries.clear()
    index.ask("List the places mentioned.")  # a broad question its patterns read: no query vector at all
    assert embedder.queries == []


def test_a_statement_that_asks_nothing_stays_a_factoid_whatever_its_vector() -> None:
    claim = "Articles published in open access format are less likely to be cited than traditional journals."
    assert fallback(claim, np.ones(4), "test-embedder", _model("compare", 0.95)) is None
    asked = "Travis Kelce admits the NFL is overdoing it... run me through the main beats of that one"
    kind = fallback(asked, np.ones(4), "test-embedder", _model("summary", 0.95))
    assert kind is not None and kind.kind == "summary"


def test_a_yes_no_question_keeps_its_own_path() -> None:
    assert fallback("Did anyone die as a result of the collapse?", np.ones(4), "test-embedder", _model("event", 0.95)) is None
