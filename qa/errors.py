"""The error family qa raises: a file that cannot be loaded, and the problems an index folder can have."""
from __future__ import annotations

from pathlib import Path
from typing import Any


class LoadError(Exception):
    """A file that cannot be loaded. ``str(err) == f"{path}: {reason}"``."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:  # keep picklable (e.g. across process pools)
        return (type(self), (self.path, self.reason))


class IndexError_(Exception):  # noqa: N801 - the trailing underscore keeps it apart from the builtin IndexError
    """Base class for problems with an index folder."""


class IndexNotFoundError(IndexError_, FileNotFoundError):
    """The folder holds no qa index (no manifest)."""


class IndexFormatError(IndexError_):
    """The folder is not a readable qa index of this format (corrupt, truncated, tampered, other version)."""


class ModelMismatchError(IndexError_):
    """The index was built by another embedding model than the one asked to read it."""


class IndexLockedError(IndexError_):
    """Another writer held the index's lock for too long."""


class StoreUnavailableError(IndexError_):
    """The chosen store cannot be used here: its client package is not installed, or its server cannot be
    reached (the message names the package or the address)."""


__all__ = ["IndexError_", "IndexFormatError", "IndexLockedError", "IndexNotFoundError", "LoadError",
           "ModelMismatchError", "StoreUnavailableError"]
