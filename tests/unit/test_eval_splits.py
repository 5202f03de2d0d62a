"""The open-corpus evaluation's SQuAD v1.1 split: held-out questions never come from an article any fitted part
of the answer path saw, and a limited run draws from every article."""
from __future__ import annotations

import json
from pathlib import Path

from qa_tools.answer_eval import entailment_fitted_articles, sample, squad_split


def _questions(articles: int, per: int) -> list[dict[str, str]]:
    return [{"question": f"q{a}-{i}", "doc_id": f"Article_{a}#{i}"} for a in range(articles) for i in range(per)]


def test_the_test_split_leaves_out_the_articles_the_entailment_model_was_fitted_on() -> None:
    fitted = entailment_fitted_articles()
    assert fitted and all(isinstance(a, str) for a in fitted)
    rows = [json.loads(x) for x in (Path(__file__).resolve().parents[1] / "data" / "nli_product.jsonl").read_text(
        encoding="utf-8").splitlines() if x.strip()]
    trained = {r["source"].split(":", 1)[1] for r in rows if r["split"] == "train" and r["source"].startswith("squad1:")}
    assert trained <= fitted  # every article a train pair came from
    qs = [{"question": "q", "doc_id": f"{a}#0"} for a in ["Dev_article", *sorted(fitted), "Clean_article"]]
    test = {q["doc_id"].split("#")[0] for q in squad_split(qs, "test")}
    assert test == {"Clean_article"}  # (articles i % 5 == 0 are dev)


def test_a_small_file_of_pairs_names_its_articles(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"split": "train", "source": "squad1:Kelmar"}, {"split": "dev", "source": "squad1:Arlen"},
        {"split": "heldout", "source": "squad1:Varn"}, {"split": "train", "source": "own:harbour"}]) + "\n",
        encoding="utf-8")
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"split": "train", "source": "squad1:Brask"}) + "\n", encoding="utf-8")
    assert entailment_fitted_articles.__wrapped__((path,)) == frozenset({"Kelmar", "Arlen"})
    assert entailment_fitted_articles.__wrapped__((path, more, tmp_path / "absent.jsonl")) == {"Kelmar", "Arlen", "Brask"}


def test_a_limited_sample_spans_the_articles_and_keeps_their_order() -> None:
    qs = _questions(20, 50)
    got = sample(qs, 100)
    assert len(got) == 100 and got == sorted(got, key=qs.index)
    assert len({q["doc_id"].split("#")[0] for q in got}) >= 15  # not the first two articles
    assert sample(qs, 100) == got  # seeded
    assert sample(qs, None) == qs and sample(qs, 5000) == qs


def test_the_squad2_articles_the_reader_trains_or_is_calibrated_on_are_never_held_out(tmp_path: Path) -> None:
    from qa_tools.answer_eval import fitted_articles
    from qa_tools.reading import FILES, squad2_fitted_articles

    path = tmp_path / FILES["squad2-devhalf"]
    path.parent.mkdir(parents=True)
    titles = ["Calibrated", "Held_one", "Trained_two", "Held_three", "Trained_four"]
    path.write_text(json.dumps({"data": [{"title": t, "paragraphs": []} for t in titles]}), encoding="utf-8")
    assert squad2_fitted_articles(tmp_path) == frozenset({"Calibrated", "Trained_two", "Trained_four"})
    every = fitted_articles(tmp_path)
    assert {"Calibrated", "Trained_two"} <= every and entailment_fitted_articles() <= every
    qs = [{"question": "q", "doc_id": f"{a}#0"} for a in ["Dev", "Trained_two", "Held_one", "Calibrated", "Kept"]]
    assert [q["doc_id"] for q in squad_split(qs, "test", every)] == ["Held_one#0", "Kept#0"]


def test_the_readers_cached_examples_never_hold_out_an_article_it_trained_on(tmp_path: Path) -> None:
    from qa_tools.reading import load_split

    rows = [{"source": "squad2-devhalf", "article": "Warsaw", "split": "train", "kind": "gold"},
            {"source": "squad2-devhalf", "article": "Complexity", "split": "dev", "kind": "gold"},
            {"source": "squad1", "article": "Warsaw", "split": "heldout", "kind": "gold"},
            {"source": "squad1", "article": "Complexity", "split": "heldout", "kind": "gold"},
            {"source": "squad1", "article": "Kept", "split": "heldout", "kind": "gold"},
            {"source": "squad1", "article": "Warsaw", "split": "dev", "kind": "gold"}]
    path = tmp_path / "examples.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert [r["article"] for r in load_split("heldout", path) if r["source"] == "squad1"] == ["Kept"]
    assert [r["article"] for r in load_split("dev", path) if r["source"] == "squad1"] == ["Warsaw"]  # dev as it was
