"""Average checkpoints fine-tuned from the same weights (a uniform "model soup", Wortsman et al. 2022).

Two runs that continue from one checkpoint on different draws of the data stay in one basin of the loss; the mean
of their weights often generalises better than either, at no training cost. Every tensor is averaged except
those that are equal in all inputs (the frozen word-embedding table), which are kept as they are. Each input must
hold the same tensor names and shapes. ``python -m training.soup A.safetensors B.safetensors --out S.safetensors``
(``--weights 0.5 0.5`` to weight them; uniform by default).
"""
from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


def average(paths: Sequence[Path], weights: Sequence[float] | None = None) -> dict[str, np.ndarray]:
    """The weighted mean of the float tensors of ``paths`` (weights default to uniform and are normalised)."""
    from safetensors.numpy import load_file

    if len(paths) < 2:
        raise ValueError("a soup needs at least two checkpoints")
    w = np.asarray(weights if weights is not None else [1.0] * len(paths), dtype=np.float64)
    if len(w) != len(paths) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights {list(w)} do not fit {len(paths)} checkpoints (one non-negative weight each)")
    w = w / w.sum()
    tensors = [load_file(str(p)) for p in paths]
    names = set(tensors[0])
    for p, t in zip(paths[1:], tensors[1:], strict=True):
        if set(t) != names:
            raise ValueError(f"{p}: tensor names differ from {paths[0]}: {sorted(set(t) ^ names)[:5]}")
    out: dict[str, np.ndarray] = {}
    for name in sorted(names):
        values = [t[name] for t in tensors]
        if any(v.shape != values[0].shape for v in values):
            raise ValueError(f"{name}: shapes differ across checkpoints: {[v.shape for v in values]}")
        if not np.issubdtype(values[0].dtype, np.floating) or all(np.array_equal(values[0], v) for v in values[1:]):
            out[name] = values[0]
            continue
        out[name] = sum(wi * v.astype(np.float64) for wi, v in zip(w, values, strict=True)).astype(values[0].dtype)
    return out


def main() -> None:
    from safetensors.numpy import save_file

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", type=Path, nargs="+", help="safetensors files of one model, same start")
    ap.add_argument("--weights", type=float, nargs="*", default=None, help="one per checkpoint (default uniform)")
    ap.add_argument("--out", type=Path, required=True, help="the .safetensors file to write")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    soup = average(args.checkpoints, args.weights)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    save_file(soup, str(tmp))
    os.replace(tmp, args.out)
    logger.info("wrote %s: the mean of %d checkpoints, %d tensors", args.out, len(args.checkpoints), len(soup))


if __name__ == "__main__":
    main()
