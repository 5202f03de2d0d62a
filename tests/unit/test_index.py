"""Index plumbing with the fast hashing embedder: offsets, incremental updates, refusal, integrity."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import qa
from qa.store.disk import read_snapshot

from tests.conftest import CORPUS, CountingEmbedder


def _passages(idx: qa.Index) -> set[tuple[str, str]]:
    snap = idx.snapshot
    return {(snap.passages.doc_ids[i], snap.passage_text(i)) for i in range(len(snap.passages))}


def test_build_search_and_exact_offsets(corpus_dir: Path, tmp_path: Path, fake_embedder: CountingEmbedder) -> None:
    idx = qa.build_index(corpus_dir, tmp_path / "index", embedder=fake_embedder, chunk_size=20)
    assert idx.last_report.added == sorted(f"corpus/{n}" for n in CORPUS)
    assert len(idx) > 3
    snap = idx.snapshot
    for i in range(len(snap.passages)):  # every stored passage is verbatim at its offsets
        doc = idx.document(snap.passages.doc_ids[i])
        assert doc.text[int(snap.passages.starts[i]) : int(snap.passages.ends[i])] == snap.passage_text(i)
    hits = idx.search("how many eggs does the queen lay", k=3)
    assert hits[0].doc_id == "corpus/bees.md"
    assert hits[0].title == "Honey Bees"
    for h in hits:
        assert idx.document(h.doc_id).text[h.start : h.end] == h.text
        assert h.source and Path(h.source).exists()
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_documents_objects_and_filter(tmp_path: Path, fake_embedder: CountingEmbedder) -> None:
    docs = [qa.Document("a", "Alpha", "The alpha report covers apples and pears."),
            qa.Document("b", "Beta", "The beta report covers apples and bananas.")]
    idx = qa.build_index(docs, tmp_path / "i", embedder=fake_embedder)
    assert {h.doc_id for h in idx.search("apples", k=5)} == {"a", "b"}
    assert {h.doc_id for h in idx.search("apples", k=5, doc_ids=["b"])} == {"b"}
    with pytest.raises(KeyError, match="nope"):
        idx.search("apples", doc_ids=["nope"])
    with pytest.raises(ValueError, match="empty"):
        idx.search("   ")


def test_rerun_on_unchanged_folder_embeds_nothing(corpus_dir: Path, tmp_path: Path) -> None:
    first = CountingEmbedder()
    qa.build_index(corpus_dir, tmp_path / "index", embedder=first)
    gen = json.loads((tmp_path / "index" / "manifest.json").read_text())["generation"]
    again = CountingEmbedder()
    idx = qa.build_index(corpus_dir, tmp_path / "index", embedder=again)
    assert again.embedded == []
    assert idx.last_report.unchanged and not (idx.last_report.added or idx.last_report.updated)
    assert json.loads((tmp_path / "index" / "manifest.json").read_text())["generation"] == gen  # nothing rewritten


def test_incremental_add_change_delete(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    qa.build_index(corpus_dir, index_dir, embedder=CountingEmbedder(), chunk_size=15)
    (corpus_dir / "new.txt").write_text("Volcanoes\n\nMount Etna is an active volcano on Sicily.", encoding="utf-8")
    (corpus_dir / "rivers.txt").write_text("Great Rivers\n\nThe Danube flows through ten countries.", encoding="utf-8")
    (corpus_dir / "bees.md").unlink()
    emb = CountingEmbedder()
    idx = qa.build_index(corpus_dir, index_dir, embedder=emb)
    r = idx.last_report
    assert (r.added, r.updated, r.removed, r.unchanged) == (["corpus/new.txt"], ["corpus/rivers.txt"],
                                                            ["corpus/bees.md"], ["corpus/solar.txt"])
    # only the passages of the new and changed files were embedded
    assert emb.embedded and all(("Volcanoes" in t) or ("Great Rivers" in t) for t in emb.embedded)
    fresh = qa.build_index(corpus_dir, tmp_path / "fresh", embedder=CountingEmbedder(), chunk_size=15)
    assert _passages(idx) == _passages(fresh)  # exactly the passages a clean build has
    reloaded = qa.load_index(index_dir, embedder=CountingEmbedder())
    assert _passages(reloaded) == _passages(fresh)
    np.testing.assert_allclose(np.sort(reloaded.snapshot.vectors, axis=0), np.sort(fresh.snapshot.vectors, axis=0), atol=1e-6)
    assert not any("Nile" in t for _, t in _passages(reloaded))
    assert reloaded.search("Danube countries", k=1)[0].doc_id == "corpus/rivers.txt"


def test_adding_a_file_keeps_other_sources(corpus_dir: Path, tmp_path: Path, fake_embedder: CountingEmbedder) -> None:
    index_dir = tmp_path / "index"
    qa.build_index(corpus_dir, index_dir, embedder=fake_embedder)
    extra = tmp_path / "extra.md"
    extra.write_text("# Extra\n\nOctopuses have three hearts.", encoding="utf-8")
    idx = qa.build_index([extra], index_dir, embedder=fake_embedder)
    assert {sd.document.id for sd in idx.documents()} == {*(f"corpus/{n}" for n in CORPUS), "extra.md"}
    idx.remove(["extra.md"])
    assert "extra.md" not in {sd.document.id for sd in qa.load_index(index_dir, embedder=fake_embedder).documents()}


def test_same_text_is_embedded_once(tmp_path: Path) -> None:
    emb = CountingEmbedder()
    docs = [qa.Document(f"d{i}", "Same", "Identical body text in every copy.") for i in range(5)]
    idx = qa.build_index(docs, tmp_path / "i", embedder=emb)
    assert len(emb.embedded) == 1 and len(idx) == 5
    assert len(idx.search("identical body", k=5)) == 1  # duplicates collapse in results


def test_bad_files_are_skipped_and_the_rest_indexed(corpus_dir: Path, tmp_path: Path, fake_embedder: CountingEmbedder) -> None:
    (corpus_dir / "empty.txt").write_bytes(b"")
    (corpus_dir / "junk.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    idx = qa.build_index(corpus_dir, tmp_path / "index", embedder=fake_embedder)
    failed = dict(idx.last_report.failed)
    assert set(Path(p).name for p in failed) == {"empty.txt", "junk.pdf"}
    assert len(idx.last_report.added) == 3


def test_model_mismatch_is_refused(corpus_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    qa.build_index(corpus_dir, index_dir, embedder=qa.HashingEmbedder(64))
    with pytest.raises(qa.ModelMismatchError, match="rebuild"):
        qa.load_index(index_dir, embedder=qa.HashingEmbedder(32))
    # building with another model rebuilds everything instead of mixing vectors
    emb = CountingEmbedder(32)
    idx = qa.build_index(corpus_dir, index_dir, embedder=emb)
    assert idx.last_report.rebuilt and len(emb.embedded) == len(idx)
    assert qa.load_index(index_dir, embedder=qa.HashingEmbedder(32)).snapshot.vectors.shape[1] == 32


def test_other_format_version_and_damage_are_refused(corpus_dir: Path, tmp_path: Path, fake_embedder: CountingEmbedder) -> None:
    index_dir = tmp_path / "index"
    qa.build_index(corpus_dir, index_dir, embedder=fake_embedder)
    manifest = json.loads((index_dir / "manifest.json").read_text())
    vec = index_dir / manifest["files"]["vectors"]["path"]
    data = bytearray(vec.read_bytes())
    data[-5] ^= 0xFF
    vec.write_bytes(bytes(data))
    with pytest.raises(qa.IndexFormatError, match="altered"):
        qa.load_index(index_dir, embedder=fake_embedder)
    vec.write_bytes(bytes(data[:-100]))
    with pytest.raises(qa.IndexFormatError, match="truncated"):
        qa.load_index(index_dir, embedder=fake_embedder)
    manifest["format_version"] = 999
    (index_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(qa.IndexFormatError, match="format version 999"):
        qa.load_index(index_dir, embedder=fake_embedder)
    with pytest.raises(qa.IndexNotFoundError):
        qa.load_index(tmp_path / "nothing-here")


def test_crash_while_writing_keeps_the_previous_index(corpus_dir: Path, tmp_path: Path, monkeypatch) -> None:
    index_dir = tmp_path / "index"
    before = _passages(qa.build_index(corpus_dir, index_dir, embedder=CountingEmbedder()))
    (corpus_dir / "new.txt").write_text("Glaciers\n\nGlaciers are slow rivers of ice.", encoding="utf-8")

    from qa.store.ann import DenseIndex

    def boom(self, path):  # the FAISS write dies half-way through the new generation
        Path(path).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(DenseIndex, "save", boom)
    with pytest.raises(OSError):
        qa.build_index(corpus_dir, index_dir, embedder=CountingEmbedder())
    monkeypatch.undo()
    assert _passages(qa.load_index(index_dir, embedder=CountingEmbedder())) == before
    after = qa.build_index(corpus_dir, index_dir, embedder=CountingEmbedder())  # the retry completes the job
    assert "corpus/new.txt" in after.last_report.added
    leftovers = [p.name for p in index_dir.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []
    assert sorted(p.name.split(".")[0] for p in index_dir.iterdir() if not p.name.startswith(".")) == \
        ["bm25", "dense", "documents", "manifest", "passages", "vectors"]


def test_faiss_matches_brute_force(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    docs = [qa.Document(f"d{i}", f"Doc {i}", " ".join(rng.choice(["alpha", "beta", "gamma", "delta", "eps", "zeta",
            "eta", "theta", "iota", "kappa"], size=12))) for i in range(300)]
    emb = qa.HashingEmbedder(64)
    idx = qa.build_index(docs, tmp_path / "i", embedder=emb)
    snap = idx.snapshot
    queries = emb.encode_queries(["alpha beta gamma", "theta iota", "zeta zeta eps"])
    scores, ids = snap.dense.search(queries, 10)
    brute = queries @ snap.vectors.T
    for q in range(len(queries)):
        expected = np.sort(brute[q])[::-1][:10]
        np.testing.assert_allclose(scores[q], expected, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(brute[q][ids[q]], scores[q], rtol=1e-5, atol=1e-5)


def test_writers_are_serialised(corpus_dir: Path, tmp_path: Path) -> None:
    from qa.store.disk import write_lock

    index_dir = tmp_path / "index"
    with write_lock(index_dir):
        with pytest.raises(qa.IndexLockedError, match=f"pid {os.getpid()}"):
            with write_lock(index_dir, timeout=0.3):
                pass
    with write_lock(index_dir, timeout=0.3):  # released afterwards
        pass


def test_retrieve_convenience_reloads_after_update(corpus_dir: Path, tmp_path: Path, monkeypatch) -> None:
    import qa.index as qi

    monkeypatch.setattr(qi, "embedder_from_manifest", lambda info: qa.HashingEmbedder(int(info["dim"])))
    index_dir = tmp_path / "index"
    qa.build_index(corpus_dir, index_dir, embedder=qa.HashingEmbedder())
    assert qa.retrieve("Nile longest river", k=1, index_dir=index_dir)[0].doc_id == "corpus/rivers.txt"
    (corpus_dir / "tea.txt").write_text("Tea\n\nGreen tea comes from Camellia sinensis leaves.", encoding="utf-8")
    qa.build_index(corpus_dir, index_dir, embedder=qa.HashingEmbedder())
    assert qa.retrieve("Camellia sinensis green tea", k=1, index_dir=index_dir)[0].doc_id == "corpus/tea.txt"
    assert read_snapshot(index_dir).manifest["counts"]["documents"] == 4


def test_check_reports_a_sound_index_and_damage(corpus_dir: Path, tmp_path: Path, fake_embedder: CountingEmbedder) -> None:
    from qa.store.disk import check_index

    index_dir = tmp_path / "index"
    qa.build_index(corpus_dir, index_dir, embedder=fake_embedder)
    assert check_index(index_dir) == []
    manifest = json.loads((index_dir / "manifest.json").read_text())
    passages = index_dir / manifest["files"]["passages"]["path"]
    passages.write_text(passages.read_text().replace('"corpus/bees.md"', '"corpus/bees.mX"'))
    problems = check_index(index_dir)
    assert problems and "passages" in problems[0]
    (index_dir / "manifest.json").write_text("{not json")
    assert "unreadable manifest" in check_index(index_dir)[0]
