"""An ASGI middleware guarding the two ways files reach the app through Gradio:

* the raw upload route (``POST .../gradio_api/upload``) is restricted to the file types the app can index: Gradio
  stores whatever is posted there and answers with the stored paths; this lets it, then deletes every stored file of
  another type and answers 415 instead (the client never learns a path);
* an event or API call (``/queue/join``, ``/call/...``, ``/run/...``) may name a file only by a path Gradio's upload
  route gave out: a file data object whose path is anywhere else (``/etc/passwd``, a relative path, a URL, a missing
  file) is refused with a plain 400 before Gradio sees it. Gradio's own refusal names the absolute path it resolved,
  which reveals the server's working folder; this one names no path.
"""
from __future__ import annotations

import contextlib
import json
import logging
import unicodedata
from collections.abc import Awaitable, Callable, Collection, Iterator, MutableMapping
from pathlib import Path
from typing import Any

from .uploads import gradio_cache_dir

logger = logging.getLogger("qa.app")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_JSON_BYTES = 16 * 1024 * 1024  # an event's or API call's JSON body (questions, settings, file references)
FORGED_PATH = ("This request names a file that was not uploaded to this app. Upload the file first "
               "(POST /gradio_api/upload) and send the path it returns.")
TOO_LARGE = f"This request is too large (more than {MAX_JSON_BYTES // (1024 * 1024)} MiB of JSON)."


class UploadTypeGuard:
    """Wraps the app: uploads of a type outside ``allowed`` (lower-case suffixes) are deleted and refused, and file
    references outside Gradio's upload cache are refused."""

    def __init__(self, app: ASGIApp, allowed: Collection[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope.get("type") != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
        elif path.rstrip("/").endswith("/upload"):
            await self._upload(scope, receive, send)
        elif _content_type(scope).startswith("multipart/"):
            await self.app(scope, receive, send)  # a form (e.g. /login): no file references to check
        else:
            await self._event(scope, receive, send)

    # ------------------------------------------------------------------------------ events and API calls
    async def _event(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the whole body (at most MAX_JSON_BYTES), refuse it if it names a file outside Gradio's upload
        cache, else replay it to the app unchanged."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message.get("type") != "http.request":
                break  # the client went away: let the app see it
            size += len(message.get("body", b""))
            if size > MAX_JSON_BYTES:
                await _plain(send, 413, TOO_LARGE)
                return
            if not message.get("more_body"):
                break
        body = b"".join(m.get("body", b"") for m in messages if m.get("type") == "http.request")
        if _forged_file(body):
            logger.warning("refused a request to %s naming a file outside the upload cache", scope.get("path"))
            await _plain(send, 400, FORGED_PATH)
            return
        replay = iter(messages)

        async def replayed() -> Message:
            message = next(replay, None)
            return message if message is not None else await receive()

        await self.app(scope, replayed, send)

    # ------------------------------------------------------------------------------ the raw upload route
    async def _upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        # Gradio moves the files into place in background tasks that finish before this call returns
        await self.app(scope, receive, hold)
        refused = self._refuse(held)
        if not refused:
            for message in held:
                await send(message)
            return
        allowed = ", ".join(sorted(s.lstrip(".") for s in self.allowed))
        await _plain(send, 415, f"This type of file cannot be indexed ({', '.join(sorted(refused))}); "
                                f"allowed: {allowed}")

    def _refuse(self, held: list[Message]) -> set[str]:
        """Delete the stored files of a disallowed type; returns their suffixes (empty: nothing refused)."""
        start = next((m for m in held if m.get("type") == "http.response.start"), None)
        if start is None or start.get("status") != 200:
            return set()
        body = b"".join(m.get("body", b"") for m in held if m.get("type") == "http.response.body")
        try:
            stored = json.loads(body)
        except ValueError:
            return set()
        if not isinstance(stored, list):
            return set()
        refused: set[str] = set()
        for item in stored:
            p = Path(str(item))
            if p.suffix.lower() in self.allowed:
                continue
            refused.add(f"'{shown_suffix(p.suffix)}'" if p.suffix else "no file extension")
            with contextlib.suppress(OSError):
                p.unlink(missing_ok=True)
                p.parent.rmdir()
        if refused:
            logger.warning("refused %d upload(s) of a type that cannot be indexed on the raw upload route",
                           len(refused))
        return refused


def shown_suffix(suffix: str) -> str:
    """A file suffix fit for a message: lower case, no control or direction characters, at most 12 characters."""
    clean = "".join(c for c in suffix.lower() if unicodedata.category(c)[0] != "C")
    return clean[:12] + ("…" if len(clean) > 12 else "")


def _content_type(scope: Scope) -> str:
    for key, value in scope.get("headers") or ():
        if key.lower() == b"content-type":
            return bytes(value).decode("latin-1").lower()
    return ""


def _file_paths(value: Any) -> Iterator[Any]:
    """The ``path`` of every dict holding one (Gradio's file data objects) anywhere in a JSON value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "path" in item:
                yield item["path"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _forged_file(body: bytes) -> bool:
    """True if the JSON ``body`` names a file that is not a file inside Gradio's upload cache. A body that is not
    JSON is left to the app (it refuses it with its own plain error)."""
    try:
        value = json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):
        return False
    paths = list(_file_paths(value))
    if not paths:
        return False
    cache = gradio_cache_dir()
    for raw in paths:
        if raw is None:
            continue  # an empty file slot
        if not isinstance(raw, str) or not raw or "\x00" in raw or not Path(raw).is_absolute():
            return True
        try:
            resolved = Path(raw).resolve()
            resolved.relative_to(cache)
            if not resolved.is_file():
                return True
        except (ValueError, OSError, RuntimeError):
            return True
    return False


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


__all__ = ["FORGED_PATH", "MAX_JSON_BYTES", "UploadTypeGuard", "shown_suffix"]
