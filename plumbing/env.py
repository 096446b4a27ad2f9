"""Settings read from environment variables, refused with one clear line when malformed."""

from __future__ import annotations

import os

from plumbing.errors import FactorRegimesError


def positive_int_env(name: str, meaning: str) -> int | None:
    """The positive integer environment variable ``name`` holds, or None when it is unset or blank.

    Raises
    ------
    FactorRegimesError
        When ``name`` is set to anything but a positive integer (``meaning`` says what it counts).
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise FactorRegimesError(f"{name} must be a positive integer ({meaning}), not {raw!r}")
    return value
