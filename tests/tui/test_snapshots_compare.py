"""Snapshots of compare mode (80×24 and 160×48, with and without NO_COLOR) and of view 6
(ICS and smoothness of both twins). Fixed seed, synchronous stepping, nothing timed."""

from __future__ import annotations

import pytest

from bntui.training.config import Config
from bntui.tui.app import BntuiApp

DEFAULT = Config()
MEASURED = Config(ics_every=10, smooth_every=20)


def trained(config: Config, steps: int = 200, keys: tuple[str, ...] = (), **kw):
    """An app that trains ``steps`` steps with ``keys`` pressed at the start."""
    app = BntuiApp(config, threaded=False, **kw)

    async def run_before(pilot) -> None:
        await pilot.press(*keys)
        app.runner.step(steps)
        app.pull()
        await pilot.pause()

    return app, run_before


@pytest.fixture(params=[False, True], ids=["color", "no_color"])
def no_color(request, monkeypatch) -> bool:
    """Both ways: NO_COLOR is read (and removed) by the App when it is made."""
    if request.param:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    return request.param


def test_compare_80x24(snap_compare, no_color) -> None:
    app, before = trained(DEFAULT, keys=("c",))  # c: compare on, a twin with BN flipped
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_compare_160x48(snap_compare, no_color) -> None:
    app, before = trained(DEFAULT.replace(compare="bn"), steps=300)
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)


def test_compare_lr_ascii_80x24(snap_compare) -> None:
    app, before = trained(DEFAULT.replace(compare="lr=0.5"), ascii=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_diag_view_compare_80x24(snap_compare, no_color) -> None:
    app, before = trained(MEASURED.replace(compare="bn"), steps=300, keys=("6",))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_diag_view_solo_unmeasured_80x24(snap_compare) -> None:
    app, before = trained(DEFAULT, steps=50, keys=("6",))  # says how to switch it on
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_diag_view_compare_160x48(snap_compare) -> None:
    app, before = trained(MEASURED.replace(compare="bn", depth=6), steps=300, keys=("6",))
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)
