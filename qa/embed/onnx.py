"""The fast embedding path: the bundled all-MiniLM-L6-v2 exported to ONNX, int8-quantized, run by onnxruntime.

The export happens locally, once per weights (nothing is downloaded): the torch model is traced to ONNX
(``torch.onnx.export``), its BERT sub-graphs are fused by onnxruntime's transformer optimizer (Attention,
SkipLayerNormalization, BiasGelu), and the weight MatMuls (and the fused attention's QKV projection) get
dynamic int8 quantization with per-channel scales. The result is cached in
``~/.cache/qa/onnx/<weights hash>-<recipe>/model.onnx`` (``QA_CACHE_DIR`` moves ``~/.cache/qa``).

Concurrency and failure: the export runs under an exclusive ``flock`` on the cache folder and the model
file is written to a temp name and ``os.replace``d into place, so two processes exporting at once never see
a half-written model. ``onnx_or_torch`` (what ``default_embedder`` uses) falls back to the torch embedder
with a logged warning when the export or onnxruntime fails.

Tokenisation is the model's own ``tokenizer.json`` (truncation at the model's ``max_seq_length``, 256
word pieces), followed by mean pooling over the attention mask and L2 normalisation, as
sentence-transformers does. An index built with this embedder records backend ``onnx-int8`` and a
fingerprint naming the weights hash and the quantization recipe, so it is never read with torch vectors
(or the other way round) without a rebuild.
"""
from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..paths import cache_dir
from .base import DEFAULT_MODEL, Embedder, Progress, bundled_model_dir, count_word_pieces, normalize, weights_hash
from .torch import SentenceTransformerEmbedder

logger = logging.getLogger(__name__)

# Bump when the export/optimisation/quantisation steps change: it is part of the fingerprint and cache path.
RECIPE = "fused-dq8pc-v1"
OPSET = 17
MODEL_FILE = "model.onnx"
META_FILE = "export.json"


def cache_root() -> Path:
    """Where exported models are kept: ``<cache_dir>/onnx``."""
    return cache_dir() / "onnx"


def default_threads() -> int:
    """onnxruntime intra-op threads: ``QA_ONNX_THREADS``, else 2 (or fewer cores if the machine has fewer)."""
    env = os.environ.get("QA_ONNX_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(2, os.cpu_count() or 1))


def spin_setting() -> str:
    """onnxruntime's ``allow_spinning``: ``QA_ONNX_SPIN`` (0 or 1), default 1."""
    return "0" if os.environ.get("QA_ONNX_SPIN", "1").strip().lower() in {"0", "false", "no", "off"} else "1"


class ExportError(RuntimeError):
    """The ONNX model could not be exported or quantized."""


# ------------------------------------------------------------------------------------------- export


def _model_config(model_dir: Path) -> dict:
    return json.loads((model_dir / "config.json").read_text(encoding="utf-8"))


def max_seq_length(model_dir: Path, default: int = 256) -> int:
    """sentence-transformers' truncation length for this model (``sentence_bert_config.json``)."""
    try:
        cfg = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(cfg.get("max_seq_length") or default)
    except (OSError, ValueError):
        return default


def _export_fp32(model_dir: Path, out: Path) -> None:
    """Trace the transformer (token embeddings out; pooling is done in numpy) to ONNX with dynamic axes."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class _Encoder(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    ids = torch.ones(2, 16, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    import warnings

    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Encoder(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(out),
            input_names=names, output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]},
            opset_version=OPSET, do_constant_folding=True, dynamo=False,
        )


def _optimize_and_quantize(fp32: Path, out: Path, model_dir: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    cfg = _model_config(model_dir)
    fused = fp32.with_name("fused.onnx")
    opt = optimize_model(str(fp32), model_type="bert", num_heads=int(cfg["num_attention_heads"]),
                         hidden_size=int(cfg["hidden_size"]), opt_level=1, use_gpu=False)
    opt.save_model_to_file(str(fused))
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))  # the quantizer logs hundreds of lines on the root logger
    try:
        quantize_dynamic(str(fused), str(out), per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul", "Attention"],
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.setLevel(level)


def export_model(model_dir: Path | None = None, cache: Path | None = None) -> Path:
    """The int8 ONNX model for ``model_dir`` (default: the bundled model), exported on first use.

    Safe against concurrent first use: an exclusive lock serialises exporters, the file appears atomically
    (temp + ``os.replace``), and a process that waited for the lock finds the finished file."""
    model_dir = Path(model_dir or bundled_model_dir())
    folder = (cache or cache_root()) / f"{weights_hash(str(model_dir))}-{RECIPE}"
    final = folder / MODEL_FILE
    if final.is_file():
        return final
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process may be exporting: wait for it
        if final.is_file():
            return final
        t0 = time.perf_counter()
        logger.info("exporting %s to ONNX int8 (once) in %s", model_dir, folder)
        work = Path(tempfile.mkdtemp(prefix=".tmp-export-", dir=folder))
        try:
            fp32 = work / "fp32.onnx"
            _export_fp32(model_dir, fp32)
            tmp = work / MODEL_FILE
            _optimize_and_quantize(fp32, tmp, model_dir)
            _check_model(tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            meta = {"model_dir": str(model_dir), "weights": weights_hash(str(model_dir)), "recipe": RECIPE,
                    "opset": OPSET, "seconds": round(time.perf_counter() - t0, 1)}
            (work / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
            os.replace(work / META_FILE, folder / META_FILE)
            os.replace(tmp, final)  # the commit point
        except Exception as e:
            raise ExportError(f"could not export {model_dir} to ONNX: {type(e).__name__}: {e}") from e
        finally:
            shutil.rmtree(work, ignore_errors=True)
        logger.info("ONNX export done in %.1fs: %s", time.perf_counter() - t0, final)
        return final
    finally:
        os.close(fd)


def _check_model(path: Path) -> None:
    """The exported model loads and produces finite (batch, sequence, hidden) output."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ids = np.array([[101, 7592, 2088, 102]], dtype=np.int64)
    out = sess.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)})[0]
    if out.shape[:2] != ids.shape or not np.isfinite(out).all():
        raise ExportError(f"exported model gives output of shape {out.shape} / non-finite values")


# ------------------------------------------------------------------------------------------- embedder

def open_session(path: Path, threads: int, *, mem_pattern: bool = False) -> Any:
    """An onnxruntime session on ``path`` with ``threads`` intra-op threads (its embedder keeps it).

    Its memory arena is kept, without onnxruntime's memory pattern (``mem_pattern=False``): the second run of
    an input shape would otherwise ask the arena for the whole run's tensors as one block, which fits in none
    of the arena's free chunks, so the arena grows by another power of two (three runs of 32 x 256 word
    pieces in a fresh process: +438 MiB with it, +298 MiB without). Without it the tensors are allocated one
    by one from the chunks the first run left; the vectors are the same bits. ``working_set_order`` is the
    other half."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.enable_mem_pattern = mem_pattern
    # Threads busy-wait between ops (onnxruntime's default): ingest ~6% faster, answers ~15% faster. It
    # slowed answers down only while OpenBLAS's threads spun too, which qa.threads prevents on the
    # question path; see BENCHMARKS.md. QA_ONNX_SPIN=0 turns it off.
    so.add_session_config_entry("session.intra_op.allow_spinning", spin_setting())
    so.log_severity_level = 3
    logger.info("loading ONNX model %s (%d threads)", path, threads)
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


# One onnxruntime call costs about as much as this many extra (padding) word pieces, measured on 2 cores.
CALL_OVERHEAD_TOKENS = 24


def plan_batches(lengths: Sequence[int], max_batch: int, overhead: int = CALL_OVERHEAD_TOKENS) -> list[tuple[int, int]]:
    """Cut ``lengths`` (sorted longest first) into consecutive batches of at most ``max_batch`` that minimise
    the padded word pieces computed plus ``overhead`` per call: exact dynamic programming, O(n * max_batch).
    Returns ``(start, end)`` index pairs."""
    n = len(lengths)
    best = [0.0] + [math.inf] * n  # best[j]: the cheapest cost of the first j texts
    cut = [0] * (n + 1)  # where that cheapest plan's last batch starts
    for j in range(1, n + 1):
        for i in range(max(0, j - max_batch), j):
            cost = best[i] + lengths[i] * (j - i) + overhead  # lengths[i] is the longest of i..j-1
            if cost < best[j]:
                best[j], cut[j] = cost, i
    groups, j = [], n
    while j > 0:
        groups.append((cut[j], j))
        j = cut[j]
    return groups[::-1]


# Working memory of one run of the int8 model per padded word piece is about (width + this) * 43 bytes
# (measured in a fresh process, 2 threads: 32 x 256 word pieces +294 MiB, 32 x 128 +127 MiB, 32 x 64 +56 MiB).
WIDTH_EQUIVALENT = 600


def working_set_order(groups: Sequence[tuple[int, int]], lengths: Sequence[int]) -> list[tuple[int, int]]:
    """The batches of ``plan_batches`` (``lengths`` sorted longest first) in the order to run them: the one
    that needs the most working memory first, ties in plan order. onnxruntime's arena grows by powers of two
    and never merges its regions, so a run larger than every earlier one adds a region rather than reusing
    the free ones (a batch of 25 passages of 256 word pieces and then one of 32 left +380 MiB; 32 first,
    +300 MiB). Which texts share a batch is unchanged, so every vector is the same."""
    def need(group: tuple[int, int]) -> int:
        width = lengths[group[0]]  # the longest of the batch: what it is padded to
        return (group[1] - group[0]) * width * (width + WIDTH_EQUIVALENT)

    return sorted(groups, key=lambda g: -need(g))


class OnnxEmbedder(Embedder):
    """all-MiniLM-L6-v2, int8-quantized, on onnxruntime. Same pooling and normalisation as the torch path;
    vectors have cosine >= ~0.99 to the torch ones (see BENCHMARKS.md), but an index records which one built it."""

    backend = "onnx-int8"
    dim = 384
    # How batches are fed (see ``open_session`` and ``working_set_order``); the defaults hold the arena to one
    # run's working memory. benchmarks/bench_encoder.py sets them back to measure what they saved.
    mem_pattern = False
    largest_first = True

    def __init__(self, model_dir: str | Path | None = None, name: str = DEFAULT_MODEL, batch_size: int = 32,
                 threads: int | None = None, cache: Path | None = None) -> None:
        self.model_dir = Path(model_dir or bundled_model_dir())
        self.name = name
        self.batch_size = batch_size
        self.threads = threads or default_threads()
        self.cache = cache
        self.max_tokens = max_seq_length(self.model_dir)
        self._model_path: Path | None = None
        self._session: Any = None  # opened by warm_up (or the first encode), then owned by this embedder
        self._encode_tok: Any = None
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        return f"{self.name}@{self.backend}-{weights_hash(str(self.model_dir))}-{RECIPE}"

    def warm_up(self) -> None:
        """Export (first use on a machine only) and load the model now rather than on the first ``encode``."""
        self._sess()
        self._tokenizer()

    def prepare(self) -> OnnxEmbedder:
        """``warm_up``, returning the embedder."""
        self.warm_up()
        return self

    def _sess(self) -> Any:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    if self._model_path is None:
                        self._model_path = export_model(self.model_dir, self.cache)
                    self._session = open_session(self._model_path, self.threads, mem_pattern=self.mem_pattern)
        return self._session

    def _tokenizer(self) -> Any:
        if self._encode_tok is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tok.enable_truncation(self.max_tokens)
            tok.no_padding()  # batches are padded here, after grouping by length
            self._encode_tok = tok
        return self._encode_tok

    def _run(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean-pooled (not yet normalised) vectors of one batch of token-id lists, padded to the longest."""
        n, width = len(ids), max(len(x) for x in ids)
        input_ids = np.zeros((n, width), np.int64)
        mask = np.zeros((n, width), np.int64)
        for i, x in enumerate(ids):
            input_ids[i, : len(x)] = x
            mask[i, : len(x)] = 1
        hidden = self._sess().run(None, {"input_ids": input_ids, "attention_mask": mask,
                                         "token_type_ids": np.zeros_like(input_ids)})[0]
        m = mask[:, :, None].astype(np.float32)
        # in place: the same products as ``hidden * m`` without a second (n, width, 384) array (12 MiB at 32 x 256)
        hidden = np.multiply(hidden, m, out=hidden if hidden.flags.writeable else None)
        return hidden.sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._run([e.ids for e in self._tokenizer().encode_batch(texts)])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Each query alone. Activations are quantized with one scale per batch, so in a batch a query's
        vector would depend on the other queries beside it; alone it is exactly the vector the same question
        gets when asked in the app (evaluations encode many queries at once)."""
        texts = list(texts)
        if len(texts) <= 1:
            return self._encode_sorted(texts, None)
        return np.concatenate([self._encode_sorted([t], None) for t in texts])

    def _encode_sorted(self, texts: list[str], progress: Progress | None) -> np.ndarray:
        """Tokenize once, sort by word pieces, and cut the sorted list into the batches that cost least
        (``plan_batches``): a question's few candidate sentences of very different lengths are no longer
        padded to the longest, and passages are grouped by their exact length rather than by characters.
        The batch needing the most memory runs first (``working_set_order``)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self._tokenizer().encode_batch(texts)]
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        lengths = [len(ids[i]) for i in order]
        groups = plan_batches(lengths, self.batch_size)
        for a, b in working_set_order(groups, lengths) if self.largest_first else groups:
            idx = order[a:b]
            out[idx] = self._run([ids[i] for i in idx])
            if progress:
                progress(len(idx))
        return normalize(out)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, from the model's own tokenizer (no special tokens, no truncation)."""
        return count_word_pieces(self.model_dir, texts)


def onnx_or_torch(**kwargs) -> Embedder:
    """The ONNX int8 embedder, ready to use; the torch embedder (with a warning) if it cannot be had."""
    try:
        return OnnxEmbedder(**kwargs).prepare()
    except Exception as e:  # noqa: BLE001 - any failure of the fast path falls back to the reference path
        logger.warning("ONNX embedder unavailable (%s: %s); falling back to the torch embedder", type(e).__name__, e)
        return SentenceTransformerEmbedder()
