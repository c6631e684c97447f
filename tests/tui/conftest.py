"""Shared fixtures for the TUI tests: a small, seeded, synchronous app."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bntui import i18n
from bntui.training.config import Config
from bntui.tui.app import BntuiApp

SMALL = Config(samples=300, depth=3, width=16, seed=0)


@pytest.fixture
def small() -> Config:
    return SMALL


@pytest.fixture
def make_app() -> Callable[..., BntuiApp]:
    """A factory of synchronous apps: nothing trains unless the test steps it."""

    def make(config: Config = SMALL, **kwargs) -> BntuiApp:
        return BntuiApp(config, threaded=False, **kwargs)

    return make


@pytest.fixture
def lang():
    """Set the UI language for one test; English again afterwards."""
    yield i18n.set_language
    i18n.set_language("en")
