"""The shipped entailment model (real, int8 ONNX) and what qa does with it: plain pairs, yes/no verdicts per
source on the sample articles (every decided source quoted verbatim), and the claim check keeping an entailed
sentence and dropping a contradicted one."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import qa
from qa.answer.claims import check
from qa.answer.entail import LABELS, Entailer
from qa.embed.words import word_vectors

from tests.unit.answer.grounding import assert_grounded

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def entailer() -> Entailer:
    e = Entailer()
    if not e.available:
        pytest.fail("the entailment model must ship in qa/models/nli")
    return e


def test_clear_pairs(entailer: Entailer) -> None:
    """What qa relies on: an entailed claim is entailed, an unrelated detail is not. (Contradiction is the
    model's weak class, 34-57% recall on held-out product-like pairs: qa does not act on it alone.)"""
    premise = "The bakery on Mill Street closed in 1998 after forty years."
    probs = entailer.probabilities([(premise, "The bakery closed in 1998."), (premise, "The bakery sold wedding cakes.")])
    assert probs.shape == (2, 3) and np.allclose(probs.sum(1), 1.0, atol=1e-5)
    assert LABELS[int(probs[0].argmax())] == "entailment"
    assert probs[1, 0] < entailer.calibration("yesno_contrast_threshold", 0.5) < probs[0, 0]
    again = entailer.probabilities([(premise, "The bakery closed in 1998.")])  # cached per pair: the same numbers
    assert np.allclose(again[0], probs[0])


def _yes_no(folder: Path, embedder: qa.Embedder, texts: dict[str, tuple[str, str]], question: str
            ) -> tuple[qa.Answer, dict[str, qa.SourceVerdict]]:
    """Ask ``question`` of the documents ``texts`` (id -> (title, text)): the answer, found and verbatim, and its
    verdicts by document."""
    idx = qa.build_index([qa.Document(d, title, text) for d, (title, text) in texts.items()], folder / "index",
                         embedder=embedder)
    ans = idx.ask(question)
    assert ans.found
    assert_grounded(idx, ans)
    return ans, {v.doc_id: v for v in ans.verdicts}


def test_yes_no_question_gets_verdicts_with_their_quotes(tmp_path_factory: pytest.TempPathFactory,
                                                         real_embedder: qa.Embedder) -> None:
    ans, by_doc = _yes_no(tmp_path_factory.mktemp("yn"), real_embedder, {
        "a.txt": ("Harbour report", "Fire broke out at the grain store on Monday night. The harbour master was "
                  "treated in hospital for smoke inhalation after he helped firefighters."),
        "b.txt": ("Council notes", "The council met on Thursday to approve the new budget for parks. Members also "
                  "discussed the summer festival.")}, "Was the harbour master treated in hospital?")
    assert by_doc["a.txt"].verdict == "yes" and by_doc["a.txt"].citation is not None
    cited = ans.citations[by_doc["a.txt"].citation - 1]
    assert "treated in hospital" in cited.quote and ans.text.startswith("**Yes**")
    assert by_doc.get("b.txt") is None or by_doc["b.txt"].verdict != "yes"


def test_an_intent_is_no_yes(tmp_path_factory: pytest.TempPathFactory, real_embedder: qa.Embedder) -> None:
    """The model reads "the purpose of which was to sink the ferry" as entailing "the ferry was sunk"; the frame
    rule (``qa.text.frames``) keeps that sentence from making a "yes", and a source that states it still says yes."""
    ans, by_doc = _yes_no(tmp_path_factory.mktemp("yn-intent"), real_embedder, {
        "a.txt": ("Coast guard", "Divers placed a charge under the ferry, the purpose of which was to sink the ferry "
                  "before dawn. The divers were arrested on the quay an hour later."),
        "b.txt": ("Harbour news", "Divers sank the ferry before dawn with a charge placed under its hull. The port "
                  "was closed for the day.")}, "Was the ferry sunk before dawn?")
    assert by_doc.get("a.txt") is None or by_doc["a.txt"].verdict != "yes"
    assert "**Yes**, according to *Coast guard*" not in ans.text


def test_a_yes_no_question_the_sources_disagree_on_gets_both_and_a_verdict(
        tmp_path_factory: pytest.TempPathFactory, real_embedder: qa.Embedder) -> None:
    ans, by_doc = _yes_no(tmp_path_factory.mktemp("yn-conflict"), real_embedder, {
        "a.txt": ("Harbour report", "Fire broke out at the grain store on Monday night. 12 workers were hurt in the "
                  "fire at the grain store and were treated by paramedics."),
        "b.txt": ("Radio bulletin", "A fire destroyed the grain store on Monday. 20 workers were hurt in the fire at "
                  "the grain store, the fire service said.")}, "Were 12 workers hurt in the fire?")
    assert ans.conflict
    assert ans.text.startswith("**The sources disagree on this:**")
    assert by_doc["a.txt"].verdict == "yes" and by_doc["a.txt"].citation is not None
    assert "12 workers" in ans.citations[by_doc["a.txt"].citation - 1].quote
    assert by_doc["b.txt"].verdict != "yes"
    assert "**Yes**, according to *Harbour report*" in ans.text


def test_claim_check_uses_the_model(real_embedder: qa.Embedder, entailer: Entailer) -> None:
    quotes = ["The museum reopened in March 2021 after a two-year renovation funded by the city."]
    text = "The museum reopened in March 2021 [1]. The museum was closed for good in 2021 [1]."
    res = check(text, quotes, real_embedder.encode_queries, word_vectors(real_embedder), entailer)
    assert [s.status for s in res.sentences] == ["supported", "removed"]
