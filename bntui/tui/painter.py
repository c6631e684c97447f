"""What to redraw each frame, and the drawing: the app's redraw turns.

Every timer tick (``fps``) and after every key, ``Painter.pull`` takes a Frame from the
runner: first a cheap one (status, config, events) for the bars, then, if anything changed,
one with the series the visible panels need (``Needs``), and redraws only what changed.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from textual.geometry import Size
from textual.screen import Screen

from bntui.frame import RUNNING, Frame, Needs
from bntui.runner import Runner
from bntui.tui.keys import with_keys
from bntui.tui.panels.bars import StatusBar, TextBar
from bntui.tui.panels.charts import BandsChart, LossChart
from bntui.tui.panels.diag import DiagView
from bntui.tui.panels.layers import DriftPanel, GradPanel
from bntui.tui.panels.views import DecisionView, EventLog, HistogramView
from bntui.tui.render import asciify

MAIN_PANELS = ("loss", "drift", "grads", "bands", "map")  # redrawn in turn (see due)
WIDE = 140  # from this width the main view gets an event log column
MAP_WIDE = 150  # from this width (2-D data) the decision boundary sits beside the loss
VIEW_NAMES = {
    "main": "main",
    "decision": "decision",
    "hist": "histograms",
    "log": "events",
    "diag": "ICS & smoothness",
}
FINISHED = "lesson finished: ← restarts, any key takes over, q quits"


class Host(Protocol):
    """What the painter needs of the app: its runner, screen and view state."""

    runner: Runner
    main_screen: Screen
    view: str
    selected: int
    follow_last: bool
    log_y: bool
    ascii: bool
    threaded: bool
    too_small: bool
    app_message: str | None

    @property
    def size(self) -> Size: ...

    def call_after_refresh(self, callback: Any) -> Any: ...


class Painter:
    """Pulls Frames and redraws the panels that changed (one per frame while training)."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self.frames = 0  # full frames pulled (a frame = one copy under the runner's lock)
        self._seen: tuple | None = None
        self._urgent: tuple | None = None  # what redraws every panel at once (see due)
        self._stale: set[str] = set()  # main-view panels not yet drawn for the newest data
        self._turn = 0  # index in MAIN_PANELS of the panel drawn last
        self._dataset: str | None = None  # the side map is re-checked when the data changes
        self.is_2d = False

    def forget(self) -> None:
        """Redraw everything at the next pull."""
        self._seen = None

    def q(self, selector: str, kind: type):
        return self.app.main_screen.query_one(selector, kind)

    # ------------------------------------------------------------------ needs
    def needs(self, frame: Frame) -> Needs:
        """What the visible panels want, sized to their current widths."""
        app = self.app
        if app.too_small:
            return Needs()
        if app.view == "main":
            drift, grads = self.q("#drift", DriftPanel), self.q("#grads", GradPanel)
            plan = drift.plan(frame.depth, frame.bn, paired=frame.labels is not None)
            return Needs(
                loss_points=self.q("#loss", LossChart).points,
                spark_points=plan.spark,
                band_points=self.q("#bands", BandsChart).points,
                # braille charts take two points per column, the ASCII band one
                mini_points=(1 if app.ascii else 2) * drift.chart_width() if plan.chart_rows else 0,
                grad_points=grads.chart_width() if grads.chart_rows(frame.depth) else 0,
                selected=app.selected,
                decision=self.q("#side-map", DecisionView).grid_size()
                if app.main_screen.has_class("map")
                else None,
            )
        if app.view == "decision":
            return Needs(decision=self.q("#decision", DecisionView).grid_size())
        if app.view == "hist":
            return Needs(hist_bins=self.q("#hist", HistogramView).layout_for(frame.depth)[0])
        if app.view == "diag":
            return Needs(diag_points=max(self.q("#diag", DiagView).content_size.width, 8))
        return Needs()

    def check_map(self) -> bool:
        """Show the side decision map when wide and the data is 2-D; True if it changed."""
        screen = self.app.main_screen
        show = self.app.size.width >= MAP_WIDE and self.is_2d
        changed = show != screen.has_class("map")
        screen.set_class(show, "map")
        return changed

    # ------------------------------------------------------------------ pulling
    def pull(self) -> None:
        """One frame: the bars, and if anything changed, the panels that changed."""
        app = self.app
        if not app.main_screen.is_attached or not app.main_screen.query("#status"):
            return  # shutting down
        top = app.runner.frame(Needs())
        self.show_bars(top)
        seen = (top.version, app.view, app.selected, app.log_y, app.size)
        if seen == self._seen and not self._stale:
            return
        fresh = seen != self._seen
        self._seen = seen
        if top.config.dataset != self._dataset:
            self._dataset, self.is_2d = top.config.dataset, top.is_2d
            if self.check_map():  # the side map came or went: pull again once laid out
                self._seen = None
                app.call_after_refresh(self.pull)
                return
        depth = top.depth
        if app.follow_last:
            app.selected = depth
        app.selected = min(max(app.selected, 1), max(depth, 1))
        needs = self.needs(top)
        if app.too_small:
            return
        due = self.due(top, fresh) if app.view == "main" else MAIN_PANELS
        frame = app.runner.frame(_only(needs, due) if app.view == "main" else needs)
        self.frames += 1
        self.draw(frame, due)

    def draw(self, frame: Frame, due: tuple[str, ...]) -> None:
        app, events = self.app, frame.events
        if app.view == "main":
            if "loss" in due:
                self.q("#loss", LossChart).show(frame, events, log_y=app.log_y)
            if "drift" in due:
                self.q("#drift", DriftPanel).show(frame, app.selected)
            if "grads" in due:
                self.q("#grads", GradPanel).show(frame, app.selected)
            if "bands" in due:
                self.q("#bands", BandsChart).show(frame, events, app.selected)
            if app.size.width >= WIDE:
                self.q("#side-log", EventLog).show(events)
            if frame.decision is not None:
                self.q("#side-map", DecisionView).show(frame)
        elif app.view == "decision":
            self.q("#decision", DecisionView).show(frame)
        elif app.view == "hist":
            self.q("#hist", HistogramView).show(frame)
        elif app.view == "diag":
            self.q("#diag", DiagView).show(frame)
        else:
            self.q("#log", EventLog).show(events)

    def due(self, frame: Frame, fresh: bool) -> tuple[str, ...]:
        """The main-view panels to redraw this frame.

        Every panel repainted is resent whole to the terminal (about 2.5 KB for a quarter
        of an 80x24 screen), so while training runs one panel is redrawn per frame, in
        turn, and the status line every frame: a panel is at most four frames old. After
        a key or an event (anything the user did or should see at once), and in the
        synchronous app (tests, screenshots), every panel is redrawn.
        """
        app = self.app
        visible = MAIN_PANELS if app.main_screen.has_class("map") else MAIN_PANELS[:-1]
        urgent = (app.view, app.selected, app.log_y, app.size, len(frame.events), frame.config)
        if urgent != self._urgent or not app.threaded:
            self._urgent = urgent
            self._stale = set()
            return visible
        if fresh:
            self._stale = set(visible)
        for i in range(1, len(MAIN_PANELS) + 1):
            name = MAIN_PANELS[(self._turn + i) % len(MAIN_PANELS)]
            if name in self._stale:
                self._turn = MAIN_PANELS.index(name)
                self._stale.discard(name)
                return (name,)
        self._stale = set()
        return ()

    # ------------------------------------------------------------------ bars
    def show_bars(self, frame: Frame) -> None:
        app = self.app
        label = VIEW_NAMES[app.view]
        replay = frame.replay
        if replay is not None and replay.finished:
            label += " · " + FINISHED
        elif replay is not None and replay.active:
            nxt = replay.next_step
            label += " · replay" + (f", next event @{nxt} (→)" if nxt is not None else ", done")
        show_rate = app.threaded and frame.state == RUNNING
        self.q("#status", StatusBar).show(
            frame, view=asciify(label) if app.ascii else label, show_rate=show_rate
        )
        self.q("#caption", TextBar).say(frame.caption, "bold")
        message = with_keys(frame.message) or app.app_message
        style = "bold red" if frame.state in ("diverged", "crashed") else "yellow"
        self.q("#message", TextBar).say(message, style)


def _only(needs: Needs, due: tuple[str, ...]) -> Needs:
    """``needs`` without the series of main-view panels that are not redrawn this frame."""
    return dataclasses.replace(
        needs,
        loss_points=needs.loss_points if "loss" in due else 0,
        spark_points=needs.spark_points if "drift" in due else 0,
        mini_points=needs.mini_points if "drift" in due else 0,
        grad_points=needs.grad_points if "grads" in due else 0,
        band_points=needs.band_points if "bands" in due else 0,
        decision=needs.decision if "map" in due else None,
    )
