"""Uploaded files: where Gradio stored them, and names that fit the file system."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any


MAX_NAME_BYTES = 240  # file systems allow 255 bytes per name; 120 characters of CJK text are 360


def fit_name(name: str, limit: int = MAX_NAME_BYTES) -> str:
    """``name`` with its stem shortened (at a character boundary) to fit ``limit`` UTF-8 bytes, suffix kept."""
    if len(name.encode("utf-8", "surrogatepass")) <= limit:
        return name
    stem, suffix = os.path.splitext(name)
    budget = limit - len(suffix.encode("utf-8", "surrogatepass"))
    return stem.encode("utf-8", "surrogatepass")[:budget].decode("utf-8", "ignore").rstrip(" .") + suffix


def upload_name_and_path(f: Any) -> tuple[str, Path]:
    """(the name the person's file had, where Gradio stored it)."""
    if isinstance(f, (str, Path)):
        return Path(f).name, Path(f)
    path = Path(getattr(f, "path", None) or getattr(f, "name", None) or f["path"])
    original = getattr(f, "orig_name", None) or (f.get("orig_name") if isinstance(f, dict) else None) or path.name
    return str(original), path
