"""The Milvus store on a real Milvus Lite file (in-process, model-free): the same index API as the index
folder, the same hits, incremental updates and removals, BM25 scores equal to bm25s's, model check, bad
input and the repair of an interrupted write. The server mode and Ray run in tests/integration."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus", reason="pymilvus is not installed (pip install -r requirements-scale.txt)")
pytest.importorskip("milvus_lite", reason="milvus-lite is not installed (pip install -r requirements-scale.txt)")

import qa  # noqa: E402
from qa.embed.hashing import HashingEmbedder  # noqa: E402
from qa.errors import IndexNotFoundError, ModelMismatchError  # noqa: E402
from qa.store.bm25 import BM25Index  # noqa: E402
from qa.store.disk import DiskStore  # noqa: E402
from qa.store.factory import is_milvus, open_store  # noqa: E402
from qa.store.milvus import MilvusStore  # noqa: E402
from qa.store.milvus_schema import split_utf8  # noqa: E402
from qa.types import Document  # noqa: E402
from tests.conftest import CORPUS  # noqa: E402

QUESTIONS = ["how long do solar panels last", "how many eggs does the queen lay", "which river is the longest",
             "what are panels made of", "how do bees tell where food is", "Amazon water basin"]
EMB = HashingEmbedder(128)
TOLERANCE = 1e-4  # fused scores of the two backends agree to float32 rounding


def hits_agree(a: list[qa.Hit], b: list[qa.Hit]) -> None:
    """The same hits, in the same order up to ties: equal scores (within TOLERANCE) and, where the scores
    differ, the same passage (two passages with one score may come in either order: the index folder
    breaks ties by position, Milvus by primary key)."""
    assert [round(h.score / TOLERANCE) for h in a] == [round(h.score / TOLERANCE) for h in b]
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        tied = any(abs(x.score - h.score) < TOLERANCE for j, h in enumerate(a) if j != i)
        if not tied:
            assert (x.doc_id, x.start, x.end, x.text) == (y.doc_id, y.start, y.end, y.text)


@pytest.fixture
def lite(tmp_path: Path) -> str:
    return f"milvus://{tmp_path / 'qa.db'}"


def build_both(corpus_dir: Path, tmp_path: Path, lite: str, **kwargs: object) -> tuple[qa.Index, qa.Index]:
    disk = qa.build_index(corpus_dir, tmp_path / "folder", embedder=EMB, chunk_size=24, **kwargs)  # type: ignore[arg-type]
    milvus = qa.build_index(corpus_dir, tmp_path / "unused", embedder=EMB, chunk_size=24, store=lite, **kwargs)  # type: ignore[arg-type]
    return disk, milvus


def test_uris_choose_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(open_store(None, default_folder=tmp_path), DiskStore)
    assert isinstance(open_store(str(tmp_path / "idx")), DiskStore)
    s = open_store(f"milvus://{tmp_path}/qa.db?collection=docs_1&index=FLAT")
    assert isinstance(s, MilvusStore) and s.address == str(tmp_path / "qa.db") and s.prefix == "docs_1"
    assert s.index_type == "FLAT"
    server = open_store("http://127.0.0.1:19530")
    assert isinstance(server, MilvusStore) and server.address == "http://127.0.0.1:19530" and server.prefix == "qa"
    assert is_milvus("data/qa.db") and not is_milvus("index")
    with pytest.raises(ValueError, match="collection name"):
        open_store("http://127.0.0.1:19530?collection=a-b;drop")
    with pytest.raises(ValueError, match="end in .db"):
        open_store(f"milvus://{tmp_path}/qa.sqlite")
    monkeypatch.setenv("QA_STORE_URI", f"milvus://{tmp_path}/env.db")
    assert isinstance(qa.index.resolve_store(tmp_path / "folder"), MilvusStore)  # the env var selects it


def test_same_hits_and_answers_as_the_index_folder(corpus_dir: Path, tmp_path: Path, lite: str) -> None:
    disk, milvus = build_both(corpus_dir, tmp_path, lite)
    assert len(milvus) == len(disk) and milvus.manifest["counts"] == disk.manifest["counts"]
    for q in QUESTIONS:
        for fusion in ("convex", "rrf", "dense", "sparse"):
            hits_agree(disk.search(q, 4, fusion=fusion), milvus.search(q, 4, fusion=fusion))
    for q in QUESTIONS[:3]:
        a, b = disk.ask(q), milvus.ask(q)
        assert (a.found, a.text, [c.quote for c in a.citations]) == (b.found, b.text, [c.quote for c in b.citations])
    for h in milvus.search("queen eggs", 3):  # verbatim offsets into the stored text
        assert milvus.document(h.doc_id).text[h.start : h.end] == h.text
    only = milvus.search("river", 5, doc_ids=["corpus/bees.md"])
    assert only and {h.doc_id for h in only} == {"corpus/bees.md"}
    with pytest.raises(KeyError, match="no such document"):
        milvus.search("river", doc_ids=["nope"])
    assert sorted(sd.document.id for sd in milvus.documents()) == sorted(sd.document.id for sd in disk.documents())
    assert milvus.documents()[0].document.text  # listed with their texts
    assert milvus.store.check() == []


def test_bm25_scores_equal_bm25s(corpus_dir: Path, tmp_path: Path, lite: str) -> None:
    disk, milvus = build_both(corpus_dir, tmp_path, lite)
    texts = [disk.snapshot.passage_text(i) for i in range(len(disk))]
    reference = BM25Index.build(texts)
    for q in QUESTIONS:
        rows, scores = milvus.snapshot.sparse.top(q, 50)
        got = {milvus.snapshot.passage_text(int(r)): float(s) for r, s in zip(rows, scores, strict=True)}
        want = {texts[i]: float(s) for i, s in enumerate(reference.scores(q)) if s > 0}
        assert got.keys() == want.keys()
        for t, s in want.items():
            assert got[t] == pytest.approx(s, rel=1e-5)
    assert milvus.snapshot.sparse.idf(["queen", "zzz"]) == pytest.approx(disk.snapshot.sparse.idf(["queen", "zzz"]))


def test_incremental_updates_and_removals_follow_the_index_folder(corpus_dir: Path, tmp_path: Path, lite: str) -> None:
    disk, milvus = build_both(corpus_dir, tmp_path, lite)
    again = qa.build_index(corpus_dir, tmp_path / "unused", embedder=EMB, store=lite)
    assert again.last_report is not None and again.last_report.unchanged and not again.last_report.embedded
    (corpus_dir / "bees.md").write_text(CORPUS["bees.md"] + "\n\nDrones do not sting. They cannot.", encoding="utf-8")
    (corpus_dir / "rivers.txt").unlink()
    (corpus_dir / "moon.txt").write_text("The Moon\n\nThe Moon orbits the Earth every 27 days.", encoding="utf-8")
    disk = qa.build_index(corpus_dir, tmp_path / "folder", embedder=EMB)
    milvus = qa.build_index(corpus_dir, tmp_path / "unused", embedder=EMB, store=lite)
    r = milvus.last_report
    assert r is not None and (r.added, r.updated, r.removed) == (["corpus/moon.txt"], ["corpus/bees.md"],
                                                                 ["corpus/rivers.txt"])
    assert r.reused >= 2 and r.embedded < len(milvus)  # unchanged passages of bees.md kept their vectors
    assert milvus.manifest["counts"] == disk.manifest["counts"]
    for q in [*QUESTIONS, "do drones sting", "moon orbit"]:
        hits_agree(disk.search(q, 4), milvus.search(q, 4))
    milvus.remove(["corpus/moon.txt"])
    disk.remove(["corpus/moon.txt"])
    assert "corpus/moon.txt" not in {h.doc_id for h in milvus.search("moon orbit", 5)}
    hits_agree(disk.search("moon orbit", 4), milvus.search("moon orbit", 4))
    with pytest.raises(KeyError, match="no such document"):
        milvus.remove(["corpus/moon.txt"])
    assert milvus.store.check() == []
    # a second replica (another client of the same store) sees the writes of the first
    other = qa.load_index(store=lite)
    assert len(other) == len(milvus) and other.search("queen eggs", 1)[0].doc_id == "corpus/bees.md"


def test_documents_given_whole_and_a_large_text(tmp_path: Path, lite: str) -> None:
    big = "Ünïcode words and more words. " * 6000  # ~180 KB: stored in several text parts
    docs = [Document("big", "Big", big + "The needle is here."), Document("small", "Small", "A short one.")]
    idx = qa.build_index(docs, tmp_path / "x", embedder=EMB, store=lite)
    hit = idx.search("needle", 1)[0]
    assert hit.doc_id == "big" and hit.text in idx.document("big").text and idx.document("big").text == docs[0].text
    assert all(len(p.encode()) <= 60_000 for p in split_utf8("é" * 50_000))
    assert "".join(split_utf8("é€𝄞" * 30_000)) == "é€𝄞" * 30_000


def test_model_mismatch_and_missing_index(tmp_path: Path, lite: str, corpus_dir: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="no qa index"):
        qa.load_index(store=lite)
    qa.build_index(corpus_dir, tmp_path / "x", embedder=EMB, store=lite)
    with pytest.raises(ModelMismatchError, match="was built with"):
        qa.load_index(store=lite, embedder=HashingEmbedder(64))
    # another model re-embeds everything from the stored texts (as the index folder does)
    idx = qa.build_index(corpus_dir, tmp_path / "x", embedder=HashingEmbedder(64), store=lite)
    assert idx.last_report is not None and idx.last_report.rebuilt and idx.embedder.dim == 64
    assert idx.search("queen eggs", 1)[0].doc_id == "corpus/bees.md" and idx.store.check() == []


def test_an_interrupted_write_is_repaired_by_the_next(corpus_dir: Path, tmp_path: Path, lite: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    idx = qa.build_index(corpus_dir, tmp_path / "x", embedder=EMB, chunk_size=24, store=lite)
    before = [(h.doc_id, h.start) for h in idx.search("queen eggs", 3)]
    (corpus_dir / "bees.md").write_text("Bees\n\nA different text about wasps and hornets entirely.", encoding="utf-8")
    store = idx.store
    assert isinstance(store, MilvusStore)

    def die(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("killed after writing the new passages, before the switch")

    monkeypatch.setattr(store, "current_hashes", die)
    with pytest.raises(KeyboardInterrupt):
        idx.update([corpus_dir])
    monkeypatch.undo()
    # readers still see the old version only (the new passages are not current), and check says why
    reader = qa.load_index(store=lite)
    assert [(h.doc_id, h.start) for h in reader.search("queen eggs", 3)] == before
    assert any("did not finish" in p for p in store.check())
    again = qa.build_index(corpus_dir, tmp_path / "x", embedder=EMB, store=lite)
    assert again.last_report is not None and again.last_report.updated == ["corpus/bees.md"]
    assert again.store.check() == []
    assert again.search("wasps hornets", 1)[0].doc_id == "corpus/bees.md"
    disk = qa.build_index(corpus_dir, tmp_path / "folder", embedder=EMB, chunk_size=24)
    for q in QUESTIONS:
        hits_agree(disk.search(q, 4), again.search(q, 4))


def test_missing_package_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import builtins

    real = builtins.__import__

    def no_pymilvus(name: str, *args: object, **kwargs: object) -> object:
        if name == "pymilvus":
            raise ImportError("No module named 'pymilvus'")
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pymilvus)
    with pytest.raises(qa.errors.StoreUnavailableError, match="pip install -r requirements-scale.txt"):
        qa.load_index(store=f"milvus://{tmp_path}/qa.db")


def test_cli_uses_the_store(corpus_dir: Path, tmp_path: Path, lite: str, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.cli import main

    qa.build_index(corpus_dir, tmp_path / "x", embedder=EMB, store=lite)
    assert main(["search", "queen eggs", "--store", lite, "--json", "-k", "1"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["doc_id"] == "corpus/bees.md"
    monkeypatch.setenv("QA_STORE_URI", lite)
    assert main(["check"]) == 0 and "index is sound" in capsys.readouterr().out
    assert main(["list", "--json"]) == 0 and len(json.loads(capsys.readouterr().out)) == 3
    assert main(["remove", "corpus/rivers.txt"]) == 0
    assert "1 removed" in capsys.readouterr().out
    assert main(["search", "x", "--store", "http://127.0.0.1:9?collection=a-b"]) == 2
    assert "collection name" in capsys.readouterr().err


def test_vectors_are_stored_not_recomputed(corpus_dir: Path, tmp_path: Path, lite: str) -> None:
    disk, milvus = build_both(corpus_dir, tmp_path, lite)
    store = milvus.store
    assert isinstance(store, MilvusStore)
    keys = list(disk.snapshot.passages.keys)
    stored = store.known_vectors(keys)
    for i, k in enumerate(keys):
        assert np.allclose(stored[k], disk.snapshot.vectors[i], atol=1e-6)
