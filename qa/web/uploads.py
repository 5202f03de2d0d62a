"""Uploaded files: where Gradio stored them, and names that fit the file system."""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from ..ingest.queue import FileStatus, IndexFiles, IngestQueue
from .render import UploadRejected, check_upload, inside, md_text, safe_name


# Run by the page once loaded (``launch(js=...)``): the browser shows and sends a file's name before the server sees
# it, and Gradio's own refusals (a type it does not accept, a file too large) put that raw name in a toast and leave
# the dropzone covered by an "Error" overlay. So: (1) a file chosen or dropped on the upload box whose name holds
# control, format (direction overrides such as U+202E, zero-width) or line/paragraph separator characters is renamed
# before Gradio reads it (those characters removed, as the server removes them from the name it stores); (2) when the
# upload box shows an error, its overlay is cleared at once (the toast still says why), so the next file can be
# dropped; (3) Gradio's "maximum allowed size of 25.0 Mb" toast says MiB, the unit it means and the label shows. A drop cannot be edited, so it is stopped and dispatched again (marked) with the renamed files.
UPLOAD_NAMES_JS = """() => {
  if (window.__qaUploadNames) return;
  window.__qaUploadNames = true;
  const UNSAFE = /[\\p{C}\\p{Zl}\\p{Zp}]/gu;
  const clean = (name) => name.replace(UNSAFE, '') || 'unnamed';
  const renamed = (files) => {
    if (!files.some((f) => clean(f.name) !== f.name)) return null;
    const dt = new DataTransfer();
    files.forEach((f) => dt.items.add(clean(f.name) === f.name ? f
      : new File([f], clean(f.name), {type: f.type, lastModified: f.lastModified})));
    return dt;
  };
  const inBox = (el) => !!(el && el.closest && el.closest('#qa-upload'));
  document.addEventListener('change', (e) => {
    const input = e.target;
    if (!inBox(input) || !(input instanceof HTMLInputElement) || input.type !== 'file') return;
    const dt = renamed(Array.from(input.files || []));
    if (dt) input.files = dt.files;
  }, true);
  document.addEventListener('drop', (e) => {
    if (e.qaRenamed || !inBox(e.target) || !e.dataTransfer) return;
    const dt = renamed(Array.from(e.dataTransfer.files || []));
    if (!dt) return;
    e.preventDefault();
    e.stopPropagation();
    const again = new DragEvent('drop', {bubbles: true, cancelable: true, composed: true, dataTransfer: dt});
    again.qaRenamed = true;
    e.target.dispatchEvent(again);
  }, true);
  const recover = () => {
    const box = document.getElementById('qa-upload');
    const error = box && box.querySelector('[data-testid=status-tracker] .error');
    const clear = error && box.querySelector('[data-testid=status-tracker] .clear-status button');
    if (clear) clear.click();
    document.querySelectorAll('[data-testid=toast-body]').forEach((toast) => {
      const walk = document.createTreeWalker(toast, NodeFilter.SHOW_TEXT);
      for (let t = walk.nextNode(); t; t = walk.nextNode()) {
        if (/allowed size of [\\d.]+ Mb\\b/.test(t.data)) t.data = t.data.replace(/ Mb\\b/, ' MiB');
      }
    });
  };
  new MutationObserver(recover).observe(document.body, {childList: true, subtree: true});
}"""

INCOMING = ".incoming"  # uploads received but not yet indexed (moved into uploads/ by the writer)
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


def gradio_cache_dir() -> Path:
    """Where Gradio keeps uploaded files (``GRADIO_TEMP_DIR``, else ``<temp>/gradio``)."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()


def discard_gradio_copy(path: Path) -> None:
    """Delete Gradio's cached copy of an upload (and its folder, once empty), so that no route serves it any
    more. Only ever a file inside Gradio's cache: a path from anywhere else is left alone."""
    try:
        resolved = path.resolve()
        resolved.relative_to(gradio_cache_dir())
    except (ValueError, OSError):
        return
    resolved.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        resolved.parent.rmdir()


class UploadDesk:
    """Uploads, from Gradio's copy to the index: received (checked, copied into ``uploads/.incoming``, Gradio's
    copy deleted), queued, moved into ``uploads/`` and indexed by the one background writer
    (:class:`~qa.ingest.queue.IngestQueue`); a refused file is deleted at once. :meth:`recover` queues what a
    crash left behind."""

    def __init__(self, upload_dir: Path, index_files: IndexFiles) -> None:
        self.upload_dir = upload_dir
        self.queue = IngestQueue(index_files, on_refused=self._delete)

    @property
    def incoming(self) -> Path:
        return self.upload_dir / INCOMING

    def receive(self, original: str, path: Path, max_bytes: int) -> Path:
        """Check one uploaded file and copy it into ``.incoming``; Gradio's copy is deleted either way.
        Raises UploadRejected (its message names the file and the reason)."""
        try:
            name = fit_name(check_upload(original, path.stat().st_size, max_bytes))
            folder = self.incoming / uuid.uuid4().hex
            dest = folder / name
            if not (inside(self.upload_dir, dest) and inside(self.upload_dir, self.upload_dir / name)):
                raise UploadRejected(f"{name}: refused (unsafe name)")  # e.g. a symlink planted in uploads/
            for attempt in range(3):  # the writer removes an empty .incoming: it may vanish under mkdir
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    break
                except FileNotFoundError:
                    if attempt == 2:
                        raise
            shutil.copyfile(path, dest)
            return dest
        except OSError as e:
            raise UploadRejected(f"{safe_name(original)}: could not be saved ({e.strerror or 'file error'})") from None
        finally:
            discard_gradio_copy(path)

    def into_place(self, path: Path) -> Path:
        """Move a received file from ``.incoming`` into ``uploads/`` (runs in the writer: no upload of the same name
        is being read meanwhile)."""
        if path.parent == self.upload_dir:
            return path
        dest = self.upload_dir / path.name
        if not inside(self.upload_dir, dest):  # a symlink planted meanwhile: never replaced, never written through
            raise UploadRejected(f"{path.name}: refused (unsafe name)")
        os.replace(path, dest)
        self._tidy(path.parent)
        return dest

    def _tidy(self, folder: Path) -> None:
        """Remove a received file's folder, and ``.incoming`` itself, once empty."""
        for empty in (folder, self.incoming):
            if empty != self.upload_dir and inside(self.upload_dir, empty):
                with contextlib.suppress(OSError):
                    empty.rmdir()

    def leftovers(self, indexed_sources: set[str]) -> list[Path]:
        """Files a crash left unindexed: everything in ``.incoming``, and files in ``uploads/`` the index lacks."""
        if not self.upload_dir.is_dir():
            return []
        found = sorted(p for p in self.incoming.glob("*/*") if p.is_file()) if self.incoming.is_dir() else []
        found += sorted(p for p in self.upload_dir.iterdir()
                        if p.is_file() and str(p.resolve()) not in indexed_sources)
        return found

    def _delete(self, path: Path) -> None:
        if inside(self.upload_dir, path):
            path.unlink(missing_ok=True)
            self._tidy(path.parent)


def status_lines(statuses: list[FileStatus], names: list[str], passages: dict[str, int]) -> list[str]:
    """The Markdown line of each of ``names`` for the upload's reply: added (with its passages), refused and
    why, or still queued / indexing."""
    by_name = {s.name: s for s in statuses}
    lines = []
    for name in names:
        s = by_name.get(name)
        shown = md_text(name)
        if s is None or s.state == "refused":
            lines.append(f"✗ {shown}: {md_text(s.detail if s else 'was not indexed')}")
        elif s.state == "done" and s.detail.startswith("already"):
            lines.append(f"✓ **{shown}** is already indexed (unchanged).")
        elif s.state == "done":
            n = passages.get(name, 0)
            verb = "Added" if s.detail == "added" else "Updated"
            lines.append(f"✓ {verb} **{shown}** ({n} passage{'s' * (n != 1)}): you can ask about it now.")
        else:
            detail = f" ({md_text(s.detail)})" if s.detail else ""
            lines.append(f"… **{shown}** is {s.state}{detail}: it appears in the list when done, "
                         "and you can keep asking meanwhile.")
    return lines


_ICONS = {"queued": "⏳", "indexing": "…", "done": "✓", "refused": "✗"}


def statuses_markdown(statuses: list[FileStatus], limit: int = 20) -> str:
    """The Documents tab's list of recent uploads and where each is."""
    return "\n\n".join(f"{_ICONS.get(s.state, '')} {md_text(s.name)}: {s.state}"
                        + (f" ({md_text(s.detail)})" if s.detail else "") for s in statuses[:limit])
