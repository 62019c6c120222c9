"""Checks shared by every text a person types into the widget or the console."""

from __future__ import annotations

MAX_MESSAGE_CHARS = 5000


def checked_message_text(value: str) -> str:
    """The stripped text, or ValueError with the sentence shown to the person who typed it."""
    value = value.strip()
    if not value:
        raise ValueError("Type a message first.")
    if len(value) > MAX_MESSAGE_CHARS:
        raise ValueError(f"Messages are limited to {MAX_MESSAGE_CHARS:,} characters; this one has {len(value):,}.")
    if value.encode("utf-8", "replace").decode("utf-8") != value:
        raise ValueError("The message is not valid Unicode text.")  # e.g. a lone surrogate from \ud83d
    return value

# What a client message id may look like: a UUID from the widget, or an API client's own id.
MESSAGE_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
