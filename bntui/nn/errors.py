"""The engine's error type."""

from __future__ import annotations

from bntui.config import ConfigError


class NNError(ConfigError):
    """Bad input to the engine (a shape, a name, a value out of range).

    A subclass of ``ConfigError`` (itself a ``ValueError``), so whatever reports bad
    configuration in one line reports engine misuse the same way.
    """
