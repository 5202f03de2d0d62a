"""The checkpoint average: a weighted mean of float tensors, equal tensors kept, mismatches refused."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from training.soup import average


def _write(path: Path, **tensors: np.ndarray) -> Path:
    save_file(tensors, str(path))
    return path


def test_mean_of_two_and_frozen_table_kept(tmp_path: Path) -> None:
    table = np.arange(6, dtype=np.float32).reshape(2, 3)
    a = _write(tmp_path / "a.safetensors", w=np.array([1.0, 3.0], dtype=np.float32), table=table)
    b = _write(tmp_path / "b.safetensors", w=np.array([3.0, 5.0], dtype=np.float32), table=table.copy())
    soup = average([a, b])
    assert soup["w"].dtype == np.float32
    np.testing.assert_allclose(soup["w"], [2.0, 4.0])
    np.testing.assert_array_equal(soup["table"], table)
    np.testing.assert_allclose(average([a, b], [3, 1])["w"], [1.5, 3.5])


def test_main_writes_a_loadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from training import soup

    a = _write(tmp_path / "a.safetensors", w=np.zeros(4, dtype=np.float32))
    b = _write(tmp_path / "b.safetensors", w=np.ones(4, dtype=np.float32))
    out = tmp_path / "s" / "soup.safetensors"
    monkeypatch.setattr("sys.argv", ["soup", str(a), str(b), "--out", str(out)])
    soup.main()
    np.testing.assert_allclose(load_file(str(out))["w"], 0.5)
    assert not out.with_suffix(".tmp").exists()


def test_mismatches_are_refused(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.safetensors", w=np.zeros(2, dtype=np.float32))
    b = _write(tmp_path / "b.safetensors", v=np.zeros(2, dtype=np.float32))
    c = _write(tmp_path / "c.safetensors", w=np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="names differ"):
        average([a, b])
    with pytest.raises(ValueError, match="shapes differ"):
        average([a, c])
    with pytest.raises(ValueError, match="at least two"):
        average([a])
    with pytest.raises(ValueError, match="weights"):
        average([a, a], [1.0])
