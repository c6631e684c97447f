"""The data package's error type."""

from __future__ import annotations

from bntui.errors import BntuiError


class DataError(BntuiError, ValueError):
    """A dataset that cannot be loaded or made; the one-line message names the file,
    and the line and column where that helps."""
