"""Files and folders -> ``(path, doc_id)`` pairs: folders walked, hidden and unsupported files skipped."""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ...errors import LoadError
from .base import SUPPORTED_SUFFIXES, check_supported

logger = logging.getLogger(__name__)


def discover(sources: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """Expand files and folders into ``(path, doc_id)`` pairs, sorted, deduplicated by resolved path.

    Folders are walked recursively; hidden files and folders (name starts with ``.``) are skipped;
    files with an unsupported suffix inside folders are skipped (logged at debug level); symlinked
    folders are not followed (so symlink loops cannot hang), symlinked files are.

    ``doc_id`` for a file found in folder ``F`` is ``f"{F.name}/{relative posix path}"``; for a file
    given directly it is its file name. If two different files would get the same id, the later
    one gets a ``~2``, ``~3``... suffix (with a warning).

    Raises :class:`LoadError` for a source that does not exist, or for a file given directly whose
    type is not supported.
    """
    found: list[tuple[Path, str]] = []
    for source in sources:
        found.extend(_expand_source(Path(source).expanduser(), source))
    return sorted(_unique_ids(_dedupe_by_resolved_path(found)))


def _expand_source(path: Path, original: str | Path) -> list[tuple[Path, str]]:
    if path.is_dir():
        return list(_walk_folder(path))
    if path.is_file():
        check_supported(path)
        return [(path, path.name)]
    if os.path.lexists(path) and not path.is_symlink():
        raise LoadError(original, "not a regular file or folder")
    raise LoadError(original, "no such file or folder")


def _walk_folder(folder: Path) -> Iterator[tuple[Path, str]]:
    prefix = folder.name or folder.resolve().name

    def on_error(err: OSError) -> None:
        logger.warning("cannot read folder %s: %s", err.filename, err.strerror or err)

    for dirpath, dirnames, filenames in os.walk(folder, onerror=on_error, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if name.startswith("."):
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                logger.debug("skipping %s: unsupported file type", path)
                continue
            if not path.is_file():  # broken symlink, symlink loop, socket, ...
                logger.debug("skipping %s: not a regular file", path)
                continue
            yield path, f"{prefix}/{path.relative_to(folder).as_posix()}"


def _dedupe_by_resolved_path(pairs: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    seen: set[Path] = set()
    unique: list[tuple[Path, str]] = []
    for path, doc_id in pairs:
        key = path.resolve()
        if key in seen:
            logger.debug("skipping %s: same file as one already found", path)
            continue
        seen.add(key)
        unique.append((path, doc_id))
    return unique


def _unique_ids(pairs: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    used: set[str] = set()
    result: list[tuple[Path, str]] = []
    for path, doc_id in pairs:
        new_id, n = doc_id, 1
        while new_id in used:
            n += 1
            new_id = f"{doc_id}~{n}"
        if new_id != doc_id:
            logger.warning("document id %r is used twice; calling %s %r", doc_id, path, new_id)
        used.add(new_id)
        result.append((path, new_id))
    return result
