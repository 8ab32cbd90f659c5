"""How much a caller may send to a chat route: one message, and the history an OpenAI-style request
carries. Checked before anything is stored, the same way on every chat route (sessions, the
OpenAI-compatible route, the messaging channels); the limits are settings (KEFU_MAX_MESSAGE_CHARS,
KEFU_MAX_HISTORY_MESSAGES, KEFU_MAX_HISTORY_CHARS)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import HTTPException, status

from ingest.config import Settings


def _too_large(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail)


def check_message(settings: Settings, text: str) -> None:
    """413 when one message is longer than max_message_chars."""
    if len(text) > settings.max_message_chars:
        raise _too_large(
            f"the message is {len(text):,} characters; the limit is {settings.max_message_chars:,} (KEFU_MAX_MESSAGE_CHARS)"
        )


def check_history(settings: Settings, history: Sequence[str]) -> None:
    """413 when the earlier messages a caller sends are too many, too long in all, or one is too long."""
    if len(history) > settings.max_history_messages:
        raise _too_large(
            f"the history has {len(history):,} messages; the limit is {settings.max_history_messages:,} messages "
            "(KEFU_MAX_HISTORY_MESSAGES): send only the recent turns"
        )
    for text in history:
        check_message(settings, text)
    total = sum(len(text) for text in history)
    if total > settings.max_history_chars:
        raise _too_large(
            f"the history is {total:,} characters in all; the limit is {settings.max_history_chars:,} "
            "(KEFU_MAX_HISTORY_CHARS): send only the recent turns"
        )
