"""The web app's settings: flags, environment variables, defaults (no Gradio here)."""
from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from ..ingest.loaders.limits import MIB, Limits
from ..store.factory import ENV as STORE_ENV
from ..store.factory import is_milvus
from .appdb import DB_FILE
from .render import DEFAULT_MAX_UPLOAD_MB


@dataclass
class AppConfig:
    host: str = "127.0.0.1"
    port: int = 7860
    documents_dir: Path = Path("documents")
    index_dir: Path = Path("index")
    upload_dir: Path = Path("uploads")
    feedback_dir: Path = Path("feedback")
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    auth: list[tuple[str, str]] | None = None
    limits: Limits = field(default_factory=Limits.from_env)  # what one document may cost (QA_MAX_* variables)
    upload_wait_seconds: float = 20.0  # an upload request waits this long for its files, then says where they are
    db: Path | None = None  # the chats and collections database (None: <index_dir>/qa.sqlite3; unused when shared)
    store: str | None = None  # a Milvus URI (--store, QA_STORE_URI): the index every replica shares; None: index_dir

    @property
    def shared(self) -> bool:
        """Whether the index lives in a Milvus store (shared by every app replica) rather than in ``index_dir``."""
        return is_milvus(self.store)

    @property
    def store_collection(self) -> str:
        """The Milvus collection name (prefix) the store URI names (``?collection=``, default ``qa``)."""
        return parse_qs(urlsplit(self.store or "").query).get("collection", ["qa"])[-1]

    @property
    def store_uri(self) -> str:
        """What ``qa.build_index`` / ``qa.load_index`` get as ``store=``: the Milvus URI, or the index folder."""
        return str(self.store) if self.shared else str(self.index_dir)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * MIB)

    @property
    def db_path(self) -> Path:
        return self.db if self.db is not None else self.index_dir / DB_FILE


def _env(*names: str, default: str) -> str:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return default


def parse_args(argv: Sequence[str] | None = None) -> AppConfig:
    p = argparse.ArgumentParser(prog="python app.py", description="qa web chat: answers quoted from your documents.")
    p.add_argument("--host", default=_env("GRADIO_SERVER_NAME", "QA_HOST", default="127.0.0.1"),
                   help="address to bind (default 127.0.0.1: this machine only; env GRADIO_SERVER_NAME)")
    p.add_argument("--port", type=int, default=int(_env("GRADIO_SERVER_PORT", "QA_PORT", default="7860")),
                   help="port (default 7860; env GRADIO_SERVER_PORT)")
    p.add_argument("--documents", default=_env("QA_DOCUMENTS_DIR", default="documents"),
                   help="folder indexed on first start (default documents; env QA_DOCUMENTS_DIR)")
    p.add_argument("--index-dir", default=_env("QA_INDEX_DIR", default="index"),
                   help="index folder (default index; env QA_INDEX_DIR)")
    p.add_argument("--store", default=_env(STORE_ENV, default=""),
                   help="a Milvus URI to serve instead of the index folder, e.g. http://127.0.0.1:19530 or "
                        "'http://host:19530?collection=docs' (several app replicas can share it; env QA_STORE_URI)")
    p.add_argument("--uploads", default=_env("QA_UPLOAD_DIR", default="uploads"),
                   help="where uploaded files are kept (default uploads; env QA_UPLOAD_DIR)")
    p.add_argument("--feedback", default=_env("QA_FEEDBACK_DIR", default="feedback"),
                   help="where ratings and evaluation cases are saved (default feedback; env QA_FEEDBACK_DIR)")
    p.add_argument("--db", default=_env("QA_DB", default=""),
                   help="the saved chats and collections (SQLite; default <index-dir>/qa.sqlite3; env QA_DB; "
                        "with a Milvus --store they live in the store and this is not used)")
    p.add_argument("--max-upload-mb", type=float,
                   default=float(_env("QA_MAX_UPLOAD_MB", default=str(DEFAULT_MAX_UPLOAD_MB))),
                   help="largest file accepted for upload, in MiB (default 25; env QA_MAX_UPLOAD_MB)")
    p.add_argument("-v", "--verbose", action="store_true", help="log details")
    args = p.parse_args(argv)
    store = args.store.strip() or None
    index_dir = Path(args.index_dir).expanduser()
    if store is not None and not is_milvus(store):  # --store FOLDER: the index folder, as for python -m qa
        index_dir, store = Path(store).expanduser(), None
    return AppConfig(
        host=args.host, port=args.port, documents_dir=Path(args.documents).expanduser(),
        index_dir=index_dir, upload_dir=Path(args.uploads).expanduser(), store=store,
        feedback_dir=Path(args.feedback).expanduser(), max_upload_mb=args.max_upload_mb,
        auth=parse_auth(os.environ.get("QA_AUTH")), db=Path(args.db).expanduser() if args.db else None,
    )


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """QA_AUTH: ``user:password``, or the path of a file of such lines (blank lines and # comments
    skipped). None when unset. Raises ValueError on a malformed entry."""
    if not value or not value.strip():
        return None
    value = value.strip()
    path = Path(value).expanduser()
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else [value]
    pairs = []
    for i, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user or not password:
            where = f"{path}, line {i}" if path.is_file() else "QA_AUTH"
            raise ValueError(f"{where}: expected user:password")
        pairs.append((user, password))
    if not pairs:
        raise ValueError(f"{path}: no user:password lines")
    return pairs
