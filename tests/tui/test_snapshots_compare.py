"""Snapshots of compare mode (80×24 and 160×48, with and without NO_COLOR) and of view 6
(ICS and smoothness of both twins). Hand-made numbers: the app draws Frames of two
``synthetic.Story`` twins (no training, nothing an OpenBLAS kernel can change)."""

from __future__ import annotations

import pytest
from synthetic import Shape, StillRunner, Story

from bntui.training.config import Config
from bntui.training.events import Event
from bntui.tui.app import BntuiApp

DEFAULT = Config()
MEASURED = Config(ics_every=10, smooth_every=20)
COMPARE = "compare bn vs plain: same weights, same batches, in lockstep"


def twins(
    config: Config,
    steps: int = 200,
    *,
    twin: Config | None = None,
    labels: tuple[str, str] = ("bn", "plain"),
    keys: tuple[str, ...] = (),
    ics: bool = False,
    **kw,
):
    """An app over a primary Story and its twin (BN flipped unless ``twin`` is given)."""
    other = twin or config.replace(bn=not config.bn)
    events = [Event(0, "compare on", COMPARE, "compare")] if twin is None else []
    primary = Story(config, steps, events, ics=ics)
    second = Story(other, steps, events, ics=ics, shape=Shape(speed=100.0))
    app = BntuiApp(StillRunner(primary, twin=second, labels=labels), **kw)

    async def run_before(pilot) -> None:
        await pilot.press(*keys)
        await pilot.pause()  # a new view pulls after its first refresh: let it
        app.painter.forget()  # redraw at the settled layout (the story never changes)
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
    app, before = twins(DEFAULT)
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_compare_160x48(snap_compare, no_color) -> None:
    app, before = twins(DEFAULT.replace(compare="bn"), steps=300)
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)


def test_compare_lr_ascii_80x24(snap_compare) -> None:
    config = DEFAULT.replace(compare="lr=0.5")
    labels = ("lr=0.1", "lr=0.5")
    app, before = twins(config, twin=config.replace(lr=0.5), labels=labels, ascii=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_diag_view_compare_80x24(snap_compare, no_color) -> None:
    app, before = twins(MEASURED.replace(compare="bn"), steps=300, keys=("6",), ics=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_diag_view_solo_unmeasured_80x24(snap_compare) -> None:
    story = Story(DEFAULT, 50)
    app = BntuiApp(StillRunner(story))  # not measured: view 6 says how to switch it on

    async def before(pilot) -> None:
        await pilot.press("6")
        await pilot.pause()
        app.painter.forget()  # redraw at the settled layout (the story never changes)
        app.pull()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_diag_view_compare_160x48(snap_compare) -> None:
    config = MEASURED.replace(compare="bn", depth=6)
    app, before = twins(config, steps=300, keys=("6",), ics=True)
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)
