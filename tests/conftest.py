from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import qa  # noqa: E402
from qa.embed.hashing import HashingEmbedder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "documents"


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting how many texts it was asked to embed."""

    def __init__(self, dim: int = 128) -> None:
        super().__init__(dim)
        self.embedded: list[str] = []

    def encode_documents(self, texts, progress=None) -> np.ndarray:  # type: ignore[override]
        self.embedded.extend(texts)
        return super().encode_documents(texts, progress)


class QueryCountingEmbedder(CountingEmbedder):
    """... and the queries it was asked to embed (``queries``: how often a question was embedded)."""

    def __init__(self, dim: int = 128) -> None:
        super().__init__(dim)
        self.queries: list[str] = []

    def encode_queries(self, texts) -> np.ndarray:  # type: ignore[override]
        self.queries.extend(texts)
        return super().encode_queries(texts)


def changed_copy(src: Path, tmp_path: Path, **changes: object) -> Path:
    """A copy of the JSON data file ``src`` in ``tmp_path`` (same name) with ``changes`` to its top-level keys:
    for the tests that a broken data file is refused, naming itself."""
    doc = json.loads(src.read_text(encoding="utf-8"))
    doc.update(changes)
    out = tmp_path / src.name
    out.write_text(json.dumps(doc), encoding="utf-8")
    return out


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that loads the real embedding model is ``slow``: those using the ``real_embedder`` fixture
    (directly or through another fixture) and those that start the app (its subprocess loads the model)."""
    for item in items:
        if "real_embedder" in getattr(item, "fixturenames", ()) or item.get_closest_marker("app"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def fake_embedder() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> qa.SentenceTransformerEmbedder:
    return qa.SentenceTransformerEmbedder()


CORPUS = {
    "solar.txt": "Solar Power Basics\n\nSolar panels convert sunlight into electricity using photovoltaic cells. "
    "Most home panels are made of silicon. A typical panel lasts about 25 years before its output drops noticeably.\n\n"
    "Inverters turn the direct current from panels into alternating current for the home.",
    "bees.md": "# Honey Bees\n\nHoney bees live in colonies ruled by a single queen. Worker bees collect nectar and pollen "
    "from flowers. The queen can lay up to 2,000 eggs per day in spring.\n\nBees communicate the location of food with "
    "a waggle dance.",
    "rivers.txt": "Great Rivers\n\nThe Nile is often called the longest river in the world at about 6,650 km. The Amazon "
    "carries more water than any other river. Its basin covers roughly seven million square kilometres.",
}


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
