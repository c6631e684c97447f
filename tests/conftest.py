"""Suite-wide: the tests expect the English interface, and bntui's state dir (the live
session's autosave) is a fresh temporary one in every test.

A Korean locale (``LANG=ko_KR.UTF-8``) would make every ``main([...])`` speak Korean
(``bntui.i18n.default_language``), so a Korean locale variable is replaced by C.UTF-8 for
the tests, and the UI language is English again after every test (tests that want Korean
ask for it: ``--lang ko`` or ``set_language("ko")``).
"""

from __future__ import annotations

import os

import pytest

from bntui import i18n


@pytest.fixture(autouse=True)
def _english_interface(monkeypatch: pytest.MonkeyPatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(name, "").lower().startswith("ko"):
            monkeypatch.setenv(name, "C.UTF-8")
    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path_factory, monkeypatch):
    """No test may read or replace the user's real autosaved session."""
    monkeypatch.setenv("BNTUI_STATE_DIR", str(tmp_path_factory.mktemp("state")))
