"""The public API stays where it was: every name of ``qa.__all__``, the one-call functions, the CLI's
subcommands and ``python app.py``."""
from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import qa

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ["Answer", "AnswerConfig", "Citation", "Partial", "answer", "stream_answer", "ChunkingConfig", "Document",
          "Embedder", "HashingEmbedder", "Hit", "Index", "IndexFormatError", "IndexLockedError", "IndexNotFoundError",
          "IndexReport", "LoadError", "ModelMismatchError", "Passage", "RetrievalConfig", "SentenceTransformerEmbedder",
          "ShortAnswer", "SourceVerdict", "build_index", "load_index", "retrieve"]


def test_every_public_name_is_there() -> None:
    assert sorted(qa.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(qa, name) is not None, name


def test_qa_answer_is_the_one_call_function_not_the_package() -> None:
    # qa/answer/ is also a sub-package; the attribute must stay the function of the README
    assert inspect.isfunction(qa.answer) and list(inspect.signature(qa.answer).parameters)[:2] == ["question", "index_dir"]
    assert list(inspect.signature(qa.retrieve).parameters)[:3] == ["question", "k", "index_dir"]
    from qa.answer import stream_answer

    assert stream_answer is qa.stream_answer


def test_cli_subcommands_and_app_entry_point() -> None:
    out = subprocess.run([sys.executable, "-m", "qa", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    for command in ("index", "search", "ask", "list", "remove", "check", "eval"):
        assert command in out.stdout
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    assert "from qa.web.ui import main" in app and len(app.splitlines()) <= 10
