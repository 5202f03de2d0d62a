"""One BLAS thread on the question path.

A question's numpy work is small (a few matrix products of a few hundred rows). OpenBLAS still splits it
over both cores and then leaves its worker threads spinning for a while, where they fight onnxruntime's
threads (which spin too, see ``qa.embedding_onnx.spin_setting``) for the two cores. Measured on MultiHop-RAG
(200 questions, BENCHMARKS.md): answers p50 73-76 ms with both spinning, 43-45 ms with numpy's BLAS held to
one thread while answering.

``question_threads()`` holds OpenBLAS to one thread while any question is being answered and gives the
previous count back when the last one is done. The count is process-wide (other threads' numpy work runs
with one thread meanwhile; ingest hardly uses numpy's BLAS: FAISS has its own). It is set with
``openblas_set_num_threads_local`` (OpenBLAS >= 0.3.27): the plain ``openblas_set_num_threads`` called from
a worker thread (Gradio answers in worker threads) was seen to leave the count unchanged. Without a
suitable OpenBLAS it does nothing.
"""
from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()
_LIBS: list[tuple[ctypes.CDLL, Any]] | None = None  # (library handle, its threadpoolctl controller)
_active = 0  # questions in flight
_saved: list[int] = []  # the counts to give back when the last one is done


def _openblas_libs() -> list[tuple[ctypes.CDLL, Any]]:
    """The loaded OpenBLAS libraries that have ``openblas_set_num_threads_local`` (found once)."""
    global _LIBS
    with _LOCK:
        if _LIBS is None:
            _LIBS = []
            try:
                from threadpoolctl import ThreadpoolController

                for lib in ThreadpoolController().select(internal_api="openblas").lib_controllers:
                    handle = ctypes.CDLL(lib.filepath)
                    if hasattr(handle, "openblas_set_num_threads_local"):
                        handle.openblas_set_num_threads_local.restype = ctypes.c_int
                        handle.openblas_set_num_threads_local.argtypes = [ctypes.c_int]
                        _LIBS.append((handle, lib))
            except Exception as e:  # noqa: BLE001 - without it, questions just run with BLAS as it is
                logger.debug("cannot hold BLAS to one thread on the question path (%s: %s)", type(e).__name__, e)
        return _LIBS


@contextmanager
def question_threads() -> Iterator[None]:
    """Within: OpenBLAS uses one thread (nestable, safe across threads)."""
    global _active, _saved
    libs = [handle for handle, _ in _openblas_libs()]
    with _LOCK:
        if _active == 0:
            _saved = [lib.openblas_set_num_threads_local(1) for lib in libs]
        _active += 1
    try:
        yield
    finally:
        with _LOCK:
            _active -= 1
            if _active == 0:
                for lib, n in zip(libs, _saved, strict=True):
                    lib.openblas_set_num_threads_local(n)


def blas_threads() -> int:
    """OpenBLAS's thread count now (the largest over the loaded libraries that ``question_threads`` sets;
    0 when there is none)."""
    return max((lib.num_threads for _, lib in _openblas_libs()), default=0)
