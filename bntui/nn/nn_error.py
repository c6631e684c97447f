"""The engine's error type."""

from __future__ import annotations

from bntui.errors import BntuiError


class NNError(BntuiError, ValueError):
    """Bad input to the engine (a shape, a name, a value out of range).

    A ``BntuiError`` (one-line message, exit status 2 from the CLI) and a ``ValueError``;
    it does not depend on the configuration layer: whoever turns configuration into engine
    calls (the session) catches it next to ``ConfigError``.
    """
