"""A Milvus client that recovers from a server restart, shared by the store (``qa.store.milvus``) and the web
app's records (``qa.web.milvus_records``).

A restarted Milvus server (``milvus-lite server`` on the same data dir, Standalone after a crash) keeps the
collections but holds them *released*: every search, get or query fails with "collection not loaded" (code 101)
until someone loads them again. A client connected before the restart also sees its connection drop once.
``ReloadingClient`` wraps ``pymilvus.MilvusClient``: a data call (``RETRIED``) that fails for one of those two
reasons loads the collection it named and the owner's collections again (a WARNING says so) and is run once
more; every call retried is an upsert, a delete, a read or a flush, so running it twice does no harm. Any other
error (a wrong schema, bad input) is raised as it came, at once. A server that is really down fails the second
try too: that is a ``StoreUnavailableError`` naming the store, not pymilvus's exception.

A query iterator is retried when it is opened, not when a later page fails (its position would be lost): a
restart in the middle of a walk over a whole collection is an error, and the walk is run again by its caller.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import StoreUnavailableError

logger = logging.getLogger(__name__)

NOT_LOADED = 101  # Milvus's (and Milvus Lite's) CollectionNotLoaded
CONNECT_FAILED = 2  # pymilvus: the channel could not be (re)opened
# each channel its own connection: gRPC otherwise shares one per address between channels, with its reconnect
# back-off, so the new channel pymilvus opens when a call fails would wait out the old one's back-off (seconds after
# the server is back, growing up to two minutes the longer it was down) instead of connecting at once
GRPC_OPTIONS = {"grpc.use_local_subchannel_pool": 1}
# the calls run again after a reload: idempotent ones only (no insert, create or drop)
RETRIED = frozenset({"get", "query", "search", "hybrid_search", "upsert", "delete", "query_iterator", "flush",
                     "has_collection", "get_load_state", "list_collections", "describe_collection"})


def _code(error: BaseException) -> Any:
    code = getattr(error, "code", None)
    try:
        return code() if callable(code) else code  # grpc.RpcError.code() is a method, MilvusException.code a property
    except Exception:  # noqa: BLE001 - some other error's code(): not one of ours
        return None


def not_loaded(error: BaseException) -> bool:
    """Did the call fail because its collection is released (a restarted server holds every collection so)?"""
    text = str(error).lower()
    return (_code(error) == NOT_LOADED or type(error).__name__ == "CollectionNotLoadedError"
            or "not loaded" in text or "state 'released'" in text)


def disconnected(error: BaseException) -> bool:
    """Did the call fail because the server could not be reached (down, restarting, the connection dropped)?"""
    code = _code(error)
    return (code == CONNECT_FAILED or getattr(code, "name", "") == "UNAVAILABLE"
            or type(error).__name__ in ("MilvusUnavailableException", "ConnectError")
            or "fail connecting to server" in str(error).lower())


def recoverable(error: BaseException) -> bool:
    """Worth one more try after loading the collections again (nothing else is: wrong schema, bad input...)."""
    return not_loaded(error) or disconnected(error)


def brief(error: BaseException) -> str:
    """The error in one line: its type and pymilvus's message, without the wrapping ``<MilvusException: ...>``."""
    message = getattr(error, "message", None)
    return f"{type(error).__name__}: {message if isinstance(message, str) and message else error}"


class QuietRecovered(logging.Filter):
    """On pymilvus's loggers: drops its report (with traceback) of a call that failed on a released collection,
    which ``ReloadingClient`` loads again and logs itself, and cuts its reports of a lost connection to their
    first line (the caller gets a ``StoreUnavailableError`` naming the store; the traceback is pymilvus's own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        first = record.getMessage().split("\n", 1)[0]
        if "code=101," in first or "state 'released'" in first:
            return False
        if "Fail connecting to server" in first or "UNAVAILABLE" in first or "recovery failed" in first:
            record.msg, record.args, record.exc_info, record.exc_text = first, None, None, None
        return True


def quiet_pymilvus() -> None:
    """Install ``QuietRecovered`` on the pymilvus loggers that report failed calls (once)."""
    for name in ("pymilvus.decorators", "pymilvus.client.connection_manager"):
        quiet = logging.getLogger(name)
        if not any(isinstance(f, QuietRecovered) for f in quiet.filters):
            quiet.addFilter(QuietRecovered())


def load_collections(client: Any, names: Iterable[str]) -> list[str]:
    """Load those of ``names`` that exist and are not loaded; returns them (``client``: a pymilvus client)."""
    loaded = []
    for name in dict.fromkeys(names):
        if client.has_collection(name) and "Loaded" not in str(client.get_load_state(name).get("state", "")):
            client.load_collection(name)
            loaded.append(name)
    return loaded


class ReloadingClient:
    """``client`` (a ``pymilvus.MilvusClient``) whose data calls recover once from released collections and a
    dropped connection (see the module's docstring). ``where`` names the store in errors and logs;
    ``collections()`` lists the collections to load again besides the one the failed call named."""

    def __init__(self, client: Any, where: str, collections: Callable[[], Iterable[str]] | None = None) -> None:
        self.raw = client
        self.where = where
        self._collections = collections or (lambda: ())
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "raw":  # not the client's (and no recursion before __init__ ran)
            raise AttributeError(name)
        attr = getattr(self.raw, name)
        if name not in RETRIED or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.call(name, *args, **kwargs)

        return call

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``raw.method(*args, **kwargs)``, run once more after a reload when it failed for a recoverable reason."""
        try:
            return getattr(self.raw, method)(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - sorted below: only a released collection or lost connection retries
            if not recoverable(e):
                raise
            first = e
        named = args[0] if args and isinstance(args[0], str) else kwargs.get("collection_name")
        try:
            self.reload([named] if isinstance(named, str) else [], first)
            return getattr(self.raw, method)(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - still unreachable: say where; anything else as it came
            if disconnected(e):
                raise StoreUnavailableError(f"{self.where}: the Milvus server cannot be reached ({brief(e)})") from None
            raise

    def reload(self, names: list[str], cause: BaseException) -> None:
        """Load the collections again (one thread at a time: the others then find them loaded)."""
        with self._lock:
            loaded = load_collections(self.raw, [*names, *self._collections()])
        if loaded:
            logger.warning("%s: %s; loaded %s again (the server restarted?), retrying", self.where, brief(cause),
                           ", ".join(loaded))
        else:
            logger.warning("%s: %s; retrying once", self.where, brief(cause))


__all__ = ["GRPC_OPTIONS", "RETRIED", "QuietRecovered", "ReloadingClient", "brief", "disconnected", "load_collections",
           "not_loaded", "quiet_pymilvus", "recoverable"]
