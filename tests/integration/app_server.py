"""Start ``python app.py`` as a subprocess on a free loopback port, over a temporary copy of documents/
(plus the untrusted-HTML fixture) and a temporary index; used by the browser and gradio_client tests."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from qa.web.config import AppConfig

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "app"
READY_TIMEOUT = 180.0


@dataclass
class RunningApp:
    url: str
    root: Path
    proc: subprocess.Popen
    log: Path
    env_extra: dict[str, str] = field(default_factory=dict)  # e.g. QA_AUTH, kept for a restart

    @property
    def documents(self) -> Path:
        return self.root / "documents"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        stop_process(self.proc)


# the document the replica tests upload on one replica and ask about on another, and its question
LIGHTHOUSE = ("Varnholm Light\n\nThe Varnholm lighthouse stands on a granite skerry north of the harbour. "
              "Its keeper, Edda Lindqvist, painted the lighthouse tower red in 1911 so that fishermen could see it "
              "against the snow.\n")
LIGHTHOUSE_QUESTION = "Who painted the Varnholm lighthouse tower red?"


def store_config(root: Path, uri: str, documents: Path | None = None) -> AppConfig:
    """An app replica's settings on the store ``uri``: its own (empty unless ``documents``) documents, index,
    upload and feedback folders under ``root``, nothing else in common with another replica."""
    return AppConfig(documents_dir=documents or root / "no-documents", index_dir=root / "index",
                     upload_dir=root / "uploads", feedback_dir=root / "feedback", store=uri)


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate the app (SIGTERM, then SIGKILL after 15 s) and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def app_env(**extra: str) -> dict[str, str]:
    """The environment for an app under test: offline, no analytics, loopback not proxied, no inherited
    host/port/auth/folder settings; plus ``extra``."""
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONUNBUFFERED": "1", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    for var in ("GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "QA_HOST", "QA_PORT", "QA_AUTH", "QA_INDEX_DIR",
                "QA_DOCUMENTS_DIR"):
        env.pop(var, None)
    return {**env, **extra}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(root: Path, extra_documents: tuple[str, ...] = ("quillby-festival.md",), **env_extra: str) -> RunningApp:
    """Copy the sample documents (and ``extra_documents`` from the fixtures) under ``root`` (unless they are there:
    a restart), start the app with ``env_extra`` in its environment, and wait until it answers searches (index
    built). Raises RuntimeError with the app's log on failure."""
    docs = root / "documents"
    if not docs.exists():
        shutil.copytree(ROOT / "documents", docs)
        for name in extra_documents:
            shutil.copy(FIXTURES / name, docs / name)
    port = free_port()
    env = app_env(**env_extra)
    log = root / "app.log"
    cmd = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port),
           "--documents", str(docs), "--index-dir", str(root / "index"), "--uploads", str(root / "uploads"),
           "--feedback", str(root / "feedback")]
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    app = RunningApp(f"http://127.0.0.1:{port}/", root, proc, log, dict(env_extra))
    try:
        wait_ready(app)
    except Exception:
        app.stop()
        raise
    return app


def restart_app(app: RunningApp) -> RunningApp:
    """Stop the app and start it again on the same folders (documents, index, uploads, database)."""
    app.stop()
    return start_app(app.root, (), **app.env_extra)


def wait_ready(app: RunningApp, timeout: float = READY_TIMEOUT) -> None:
    """Wait until the server is up and its index is ready (a ``/search`` succeeds)."""
    from gradio_client import Client

    deadline = time.monotonic() + timeout
    client = None
    last: Exception | None = None
    while time.monotonic() < deadline:
        if app.proc.poll() is not None:
            raise RuntimeError(f"the app exited with code {app.proc.returncode}:\n{app.log_tail()}")
        try:
            client = client or Client(app.url, auth=_login(app), verbose=False)
            client.predict("Gerasimov", api_name="/search")
            return
        except Exception as e:  # not up yet, or still indexing
            last = e
            time.sleep(1.0)
    raise RuntimeError(f"the app was not ready after {timeout:.0f}s ({last}):\n{app.log_tail()}")


def _login(app: RunningApp) -> tuple[str, str] | None:
    """The first user of the app's QA_AUTH, if it has one (to ask it whether it is ready)."""
    from qa.web.config import parse_auth

    users = parse_auth(app.env_extra.get("QA_AUTH"))
    return users[0] if users else None
