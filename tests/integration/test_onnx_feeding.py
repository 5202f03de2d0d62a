"""How the int8 encoder is fed (issue 13), on the real model: the memory-saving feeding (no onnxruntime memory
pattern, the batch needing the most memory first, word pieces counted in slices) gives exactly the vectors of
the feeding it replaced, and indexing a large text adds less than the README's bound to a process that has
indexed before (as the running app has)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.embed import base as embed_base
from qa.embed.onnx import OnnxEmbedder

ROOT = Path(__file__).resolve().parents[2]
RSS_BOUND_MIB = 576  # README "Memory bound", tests/integration/test_upload_limits.py RSS_BOUND

_WORDS = ("harbour keeper lantern ferry island storm beacon tide north south cliff signal rope anchor gull winter "
          "summer morning evening ledger visitor painted older newer quiet bright narrow wide stone council "
          "fishermen village records measured reported repaired engineer survey coastline weather station "
          "homocysteine mitochondrial transcription inflammation cohort randomized significantly associated").split()


def prose(n_chars: int, seed: int = 11) -> str:
    """Seeded sentences of 6-30 words in paragraphs of 4-9 sentences: passages fill up to 256 word pieces."""
    rng = np.random.default_rng(seed)
    paragraphs, size = [], 0
    while size < n_chars:
        sentences = [" ".join(rng.choice(_WORDS, int(rng.integers(6, 31)))).capitalize() + "."
                     for _ in range(int(rng.integers(4, 10)))]
        paragraphs.append(" ".join(sentences))
        size += len(paragraphs[-1]) + 2
    return "\n\n".join(paragraphs)


class _OldFeeding(OnnxEmbedder):
    mem_pattern = True
    largest_first = False


@pytest.mark.slow
def test_the_new_feeding_gives_the_same_vectors_as_the_old_one(monkeypatch):
    text = prose(120_000)
    passages = text.split("\n\n") + ["bees", "What is the capital of France?"]
    new = OnnxEmbedder().prepare().encode_documents(passages)
    monkeypatch.setattr(embed_base, "COUNT_SLICE", 1 << 30)
    old = _OldFeeding().prepare().encode_documents(passages)
    assert len(passages) > 64 and new.shape == (len(passages), 384)
    np.testing.assert_array_equal(new, old)  # the same bits: the same texts share each batch, only the order moved
    assert OnnxEmbedder().count_tokens(passages) == _OldFeeding().count_tokens(passages)


_INDEX_LARGE_TEXT = """
import shutil, sys, tempfile
from pathlib import Path
import qa
from qa.embed.onnx import OnnxEmbedder
from qa.ingest.loaders import load_file

def status(key):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key)) / 1024

emb = OnnxEmbedder().prepare()
emb.encode_queries(["warm up"])
work = Path(tempfile.mkdtemp())
qa.build_index([qa.Document("one", "One", "The lighthouse was painted red in 1911.")], work / "a", embedder=emb)
doc = load_file(sys.argv[1])
before = status("VmRSS")
Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
idx = qa.build_index([doc], work / "b", embedder=emb)
print(len(idx.snapshot.passages), status("VmHWM") - before)
shutil.rmtree(work)
"""


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc to reset the peak RSS")
def test_indexing_a_large_text_stays_under_the_memory_bound(tmp_path):
    """1 MB of generated prose (597 passages of up to 256 word pieces: many batches of 32 x ~250) in a process
    that indexed one sentence first. Measured 2026-11-29: +353 to +359 MiB; the old feeding +430 MiB."""
    path = tmp_path / "large.txt"
    path.write_text(prose(1_000_000), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", _INDEX_LARGE_TEXT, str(path)], capture_output=True, text=True,
                         check=True, cwd=ROOT, timeout=850).stdout.split()
    passages, added_mib = int(out[-2]), float(out[-1])
    print(f"large.txt: {passages} passages, +{added_mib:.0f} MiB")
    assert passages > 500
    assert added_mib < RSS_BOUND_MIB, added_mib
