"""An ASGI middleware that restricts Gradio's raw upload route (``POST .../gradio_api/upload``) to the file types
the app can index. Gradio stores whatever is posted there and answers with the stored paths; this lets it, then
deletes every stored file of another type and answers 415 instead (the client never learns a path).
"""
from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from pathlib import Path
from typing import Any

logger = logging.getLogger("qa.app")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class UploadTypeGuard:
    """Wraps the app: uploads of a type outside ``allowed`` (lower-case suffixes) are deleted and refused."""

    def __init__(self, app: ASGIApp, allowed: Collection[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope.get("type") != "http" or scope.get("method") != "POST" or not path.endswith("/upload"):
            await self.app(scope, receive, send)
            return
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
        body = f"This type of file cannot be indexed ({', '.join(sorted(refused))}); allowed: {allowed}".encode()
        await send({"type": "http.response.start", "status": 415,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

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
            refused.add(f"'{p.suffix.lower()}'" if p.suffix else "no file extension")
            with contextlib.suppress(OSError):
                p.unlink(missing_ok=True)
                p.parent.rmdir()
        if refused:
            logger.warning("refused %d upload(s) of a type that cannot be indexed on the raw upload route",
                           len(refused))
        return refused


__all__ = ["UploadTypeGuard"]
