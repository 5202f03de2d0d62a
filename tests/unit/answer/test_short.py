"""The short-answer decision: its features, its fitted entry checked on load, and the off switch."""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from qa.answer.candidates import Sentence
from qa.answer.compose import short_answer
from qa.answer.config import DEFAULT_CONFIG
from qa.answer.evidence import Evidence
from qa.answer.reader import Reader, ReaderUnavailableError, Reading
from qa.answer.reader.model import MODEL_DIR
from qa.answer.short import FEATURES, MARGIN_CLIP, features

TEXT = "The bridge was opened in 1932 by the mayor. It crosses the Vell at Harrow. Traffic was heavy."


def _sentences() -> list[Sentence]:
    a = Sentence("d", "T", None, None, 0, 43, TEXT[:43], 0, 0, score=2.0)
    b = Sentence("d", "T", None, None, 44, 74, TEXT[44:74], 0, 1, score=-1.0)
    assert a.text.endswith("mayor.") and b.text.endswith("Harrow.")
    return [a, b]


def _reading(text: str, margin: float, doc_id: str = "d", rank: int = 0) -> Reading:
    start = TEXT.index(text)
    return Reading(doc_id, start, start + len(text), text, margin, 0.5, rank)


def test_features_follow_their_names() -> None:
    sents = _sentences()
    one = features([_reading("1932", 3.0), _reading("1932", 1.0, "e", 1)], sents[0], sents)
    assert len(one) == len(FEATURES)
    got = dict(zip(FEATURES, one, strict=True))
    assert got["margin"] == 3.0 and got["second_margin"] == 1.0
    assert got["second_agrees"] == 1.0 and got["log_span_words"] == 0.0
    assert got["holder_is_best"] == 1.0 and got["holder_probability"] == pytest.approx(1 / (1 + math.exp(-2.0)))
    # another span in the second passage, a longer span held by a lower sentence, no second reading
    other = dict(zip(FEATURES, features([_reading("the Vell at Harrow", 40.0)], sents[1], sents), strict=True))
    assert other["second_agrees"] == 0.0 and other["holder_is_best"] == 0.0
    assert other["log_span_words"] == pytest.approx(math.log(4))
    assert other["margin"] == MARGIN_CLIP[1] and other["second_margin"] == MARGIN_CLIP[0]


class _Reader:
    threshold = 1.0

    def __init__(self, decision: float | None) -> None:
        self.decision = decision

    def short_answer(self, x: list[float]) -> float | None:
        assert len(x) == len(FEATURES)
        return self.decision


def _evidence(margin: float) -> Evidence:
    return Evidence("when was the bridge opened?", [], _sentences(), readings=(_reading("1932", margin),))


@pytest.mark.parametrize(("decision", "margin", "shown"), [
    (None, 2.0, True), (None, 0.5, False),  # no fitted decision: the margin threshold alone
    (0.3, 0.5, True), (-0.3, 2.0, False),  # the fitted decision overrides the threshold both ways
])
def test_the_fitted_decision_chooses_when_there_is_one(decision: float | None, margin: float, shown: bool) -> None:
    index: Any = SimpleNamespace(reader=_Reader(decision))
    reading, holder = short_answer(index, _evidence(margin))
    assert (reading is not None) == shown
    if shown:
        assert reading is not None and holder is not None and holder.text.startswith("The bridge")


def test_short_model_off_falls_back_to_the_margin() -> None:
    from dataclasses import replace

    index: Any = SimpleNamespace(reader=_Reader(-5.0))
    reading, _ = short_answer(index, _evidence(2.0), replace(DEFAULT_CONFIG, short_model=False))
    assert reading is not None


def _with_short(tmp_path: Path, entry: dict[str, Any]) -> Path:
    folder = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, folder)
    cal = json.loads((folder / "calibration.json").read_text())
    cal["short"] = entry
    (folder / "calibration.json").write_text(json.dumps(cal))
    return folder


def test_the_shipped_entry_matches_the_code() -> None:
    cal = json.loads((MODEL_DIR / "calibration.json").read_text())
    assert cal["short"]["features"] == list(FEATURES)
    x = [2.0, 1.0, 0.0, 1.0, 0.9, 2.0]
    z = cal["short"]["intercept"] + sum(w * v for w, v in zip(cal["short"]["weights"], x, strict=True))
    assert Reader().short_answer(x) == pytest.approx(z - cal["short"]["threshold"])


def test_a_stale_or_broken_entry_is_refused(tmp_path: Path) -> None:
    good = {"features": list(FEATURES), "intercept": 0.1, "weights": [0.5] * len(FEATURES), "threshold": 0.0}
    assert Reader(_with_short(tmp_path / "a", good)).short_answer([0.0] * len(FEATURES)) == pytest.approx(0.1)
    stale = {**good, "features": list(reversed(FEATURES))}
    with pytest.raises(ReaderUnavailableError, match="refit with python -m qa_tools.short"):
        Reader(_with_short(tmp_path / "b", stale)).warm_up()
    broken = {**good, "threshold": None}
    with pytest.raises(ReaderUnavailableError, match="non-finite"):
        Reader(_with_short(tmp_path / "c", broken)).warm_up()


class _ByHolder(_Reader):
    """A fitted decision that trusts a span held by the best-scored sentence (feature 3) most."""

    def short_answer(self, x: list[float]) -> float | None:
        return 1.0 if x[FEATURES.index("holder_is_best")] else 0.2


def test_the_likeliest_reading_is_shown_not_always_the_best_margins() -> None:
    from dataclasses import replace

    ev = Evidence("where does it cross the river?", [], _sentences(),
                  readings=(_reading("Harrow", 0.4), _reading("1932", 0.1, "d", 1)))
    index: Any = SimpleNamespace(reader=_ByHolder(None))
    reading, holder = short_answer(index, ev)
    assert reading is not None and reading.text == "1932" and holder is not None and holder.text.startswith("The bridge")
    reading, _ = short_answer(index, ev, replace(DEFAULT_CONFIG, short_rerank=False))
    assert reading is not None and reading.text == "Harrow"  # the best margin's reading, as before
