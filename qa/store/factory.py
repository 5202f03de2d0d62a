"""Which store an index lives in, from a URI (``--store``, ``QA_STORE_URI``, ``build_index(..., store=)``).

| URI | store |
|---|---|
| a folder path (``index``), or nothing | the index folder (``qa.store.disk``), the default |
| ``milvus:///abs/path/qa.db``, ``milvus://rel/qa.db`` or a path ending in ``.db`` | a Milvus Lite file |
| ``http://host:19530``, ``https://...``, ``tcp://...`` | a Milvus server (milvus-lite server, Standalone, Distributed, managed) |

A Milvus URI may end with ``?collection=NAME`` (the collections' prefix, default ``qa``) and
``&index=HNSW|IVF_SQ8|FLAT|AUTOINDEX`` (the dense index type, default ``AUTOINDEX``); a token for an
authenticated server comes from ``QA_MILVUS_TOKEN``.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .base import Store
from .disk import DiskStore

ENV = "QA_STORE_URI"
SERVER_SCHEMES = ("http", "https", "tcp", "grpc")


def is_milvus(uri: str | Path | None) -> bool:
    if uri is None:
        return False
    text = str(uri)
    scheme = urlsplit(text).scheme.lower()
    return scheme == "milvus" or scheme in SERVER_SCHEMES or text.split("?")[0].endswith(".db")


def open_store(uri: str | Path | None = None, *, default_folder: str | Path = "index") -> Store:
    """The store ``uri`` names (``QA_STORE_URI`` when None; the folder ``default_folder`` when neither is set)."""
    if uri is None:
        uri = os.environ.get(ENV) or None
    if uri is None or not is_milvus(uri):
        return DiskStore(Path(uri) if uri is not None else Path(default_folder))
    from .milvus import MilvusStore

    text = str(uri)
    parts = urlsplit(text)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    collection = query.get("collection", "qa")
    index_type = query.get("index", "AUTOINDEX")
    if not collection.replace("_", "").isalnum():
        raise ValueError(f"{text}: collection name {collection!r} must be letters, digits and underscores")
    scheme = parts.scheme.lower()
    if scheme in SERVER_SCHEMES:
        address = f"{scheme}://{parts.netloc}{parts.path}"
    elif scheme == "milvus":
        address = text[len("milvus://"):].split("?")[0]
    else:
        address = text.split("?")[0]
    if scheme not in SERVER_SCHEMES:
        if not address:
            raise ValueError(f"{text}: no Milvus Lite file named (e.g. milvus:///data/qa.db)")
        address = str(Path(address).expanduser().resolve())
        if not address.endswith(".db"):
            raise ValueError(f"{text}: a Milvus Lite file name must end in .db")
    return MilvusStore(address, collection, index_type=index_type, uri=text)
