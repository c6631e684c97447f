"""Every test: bntui's state dir (the live session's autosave) is a fresh temporary one."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path_factory, monkeypatch):
    """No test may read or replace the user's real autosaved session."""
    monkeypatch.setenv("BNTUI_STATE_DIR", str(tmp_path_factory.mktemp("state")))
