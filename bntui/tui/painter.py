"""What to redraw each frame, and the drawing: the app's redraw turns.

Every timer tick (``fps``) and after every key, ``Painter.pull`` takes a Frame from the
runner: first a cheap one (status, config, events) for the bars, then, if anything changed,
one with the series the visible panels need (``Needs``), and redraws only what changed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

from textual.geometry import Size
from textual.screen import Screen

from bntui.i18n import N_, _, localized
from bntui.i18n.message import render
from bntui.live.captions import fill_values
from bntui.live.frame import Frame, Needs, RunState
from bntui.live.runner import Runner
from bntui.training.events import EventKind
from bntui.tui import travel
from bntui.tui.keys import with_keys
from bntui.tui.panels.bars import StatusBar, TextBar
from bntui.tui.panels.charts import BandsChart, LossChart
from bntui.tui.panels.diag import DiagView
from bntui.tui.panels.internals_view import InternalsView
from bntui.tui.panels.layer_rows import DriftPanel, GradPanel
from bntui.tui.panels.views import DecisionView, EventLog, HistogramView
from bntui.tui.render import asciify

MAIN_PANELS = ("loss", "drift", "grads", "bands", "map")  # redrawn in turn (see due)
NARROW_STATUS = 120  # below this width the replay label is short (status in 2 rows)
WIDE = 140  # from this width the main view gets an event log column
MAP_WIDE = 150  # from this width (2-D data) the decision boundary sits beside the loss
VIEW_NAMES = {
    "main": N_("main"),
    "decision": N_("decision"),
    "hist": N_("histograms"),
    "log": N_("events"),
    "internals": N_("BN internals"),
    "diag": N_("ICS & smoothness"),
}
# a full redraw of the main view costs about this many bytes per screen cell (measured on
# a pty: 5.2 at 80×24, 6.0 at 200×60; 17.4 and 107 KiB/s when all redrew at 2 fps)
BYTES_PER_CELL = 6.0
BUDGET_MARGIN = 0.85  # aim below the budget: redraw cost varies with what is drawn
MESSAGE_SECONDS = 8.0  # notes and "what changed" lines disappear after this long
FINISHED = N_("lesson finished: ← restarts, any key takes over, q quits")


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
    message_serial: int
    captions: Mapping[str, str]  # a lesson's captions: English -> Korean
    shows: Mapping[str, tuple[int | None, int | None]]  # a caption's (view, layer)

    @property
    def size(self) -> Size: ...

    def call_after_refresh(self, callback: Any) -> Any: ...

    def show_lesson(self, view: int | None, layer: int | None) -> None: ...


class Painter:
    """Pulls Frames and redraws the panels that changed (one per frame while training)."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self.frames = 0  # full frames pulled (a frame = one copy under the runner's lock)
        self._seen: tuple | None = None
        self._urgent: tuple | None = None  # what redraws every panel at once (see due)
        self._stale: set[str] = set()  # main-view panels not yet drawn for the newest data
        self._drawn_at = 0.0  # when the panels were last redrawn together
        self._status: tuple | None = None  # what the status line shows besides the step
        self._dataset: str | None = None  # the side map is re-checked when the data changes
        self.is_2d = False
        self._shown: dict[tuple, float] = {}  # message key -> when it was first shown
        self._captions_seen = 0  # caption events whose view/layer were applied (lesson_shows)

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
        if app.view == "internals":
            return Needs(internals=True, selected=app.selected)
        if app.view == "diag":
            diag = self.q("#diag", DiagView)
            points = diag.content_size.width  # (the bars show the newest of these)
            if frame.travel is not None and frame.travel.in_past:  # the whole recorded run
                points = diag.bar_cells(frame.twin is not None)
            return Needs(diag_points=max(points, 8))
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
        switched = self.lesson_shows(top)
        self.show_bars(top, status=False)
        if switched:
            return  # a new view: drawn by the pull after the layout refresh (action_view)
        seen = (top.version, app.view, app.selected, app.log_y, app.size)
        if seen == self._seen and not self._stale:
            self.show_status(top, moved=False)
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
        if not due:
            self.show_status(top, moved=False)
            return
        frame = app.runner.frame(needs)
        self.frames += 1
        self.show_status(frame, moved=True)  # the status line shows the panels' step
        self.draw(frame, due)

    def lesson_shows(self, frame: Frame) -> bool:
        """A lesson's caption with ``view``/``layer`` (``Script.shows``): when it appears,
        the app switches as the keys would. Every caption not yet seen applies in order, so
        a fresh app (a slide, a screenshot) shows what the live screen shows at that step.
        True when the view changed (the app pulls again once the new view is laid out)."""
        shows = self.app.shows
        if not shows:
            return False
        if frame.replay is not None and not frame.replay.active:
            return False  # the user took over: the lesson no longer steers the screen
        captions = [e for e in frame.events if e.kind == EventKind.CAPTION]
        if len(captions) < self._captions_seen:  # restarted, or back in time
            self._captions_seen = 0
        before = self.app.view
        for event in captions[self._captions_seen :]:
            view, layer = shows.get(event.command.removeprefix("caption "), (None, None))
            if view is not None or layer is not None:
                self.app.show_lesson(view, layer)
        self._captions_seen = len(captions)
        return self.app.view != before

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
        elif app.view == "internals":
            self.q("#internals", InternalsView).show(frame)
        elif app.view == "diag":
            self.q("#diag", DiagView).show(frame)
        else:
            self.q("#log", EventLog).show(events)

    def due(self, frame: Frame, fresh: bool) -> tuple[str, ...]:
        """The main-view panels to redraw this frame: all of them or none.

        One frame, one moment: every panel drawn shows the same step. Each panel repainted
        is resent whole to the terminal, so while training runs the panels are redrawn
        together every ``period`` seconds (set by the byte budget, see ``period``); the
        status line follows at once. After a key or an event (anything the user did or
        should see at once), and in the synchronous app (tests, screenshots), at once.
        """
        app = self.app
        visible = MAIN_PANELS if app.main_screen.has_class("map") else MAIN_PANELS[:-1]
        urgent = (app.view, app.selected, app.log_y, app.size, len(frame.events), frame.config)
        now = time.monotonic()
        if urgent != self._urgent or not app.threaded:
            self._urgent = urgent
            self._stale = set()
            self._drawn_at = now
            return visible
        if fresh:
            self._stale = set(visible)
        if self._stale and now - self._drawn_at >= self.period() - 0.05:
            self._stale = set()
            self._drawn_at = now
            return visible
        return ()

    def period(self) -> float:
        """Seconds between two full redraws while training: what keeps the bytes sent
        within the budget (8 KiB/s at 80×24 up to 24 KiB/s at 200×60), and at least one
        frame interval."""
        w, h = self.app.size
        cells = max(w * h, 1)
        small, large = 80 * 24, 200 * 60
        frac = min(max((cells - small) / (large - small), 0.0), 1.0)
        budget = (8 + 16 * frac) * 1024 * BUDGET_MARGIN
        return max(cells * BYTES_PER_CELL / budget, 1.0 / getattr(self.app, "fps", 2.0))

    # ------------------------------------------------------------------ bars
    def show_status(self, frame: Frame, *, moved: bool) -> None:
        """The status line: with the panels (``moved``), or alone when something other
        than the step changed (state, pace, configuration, view)."""
        app = self.app
        label = _(VIEW_NAMES[app.view])
        replay = frame.replay
        if replay is not None and replay.finished:
            label += " · " + _(FINISHED)
        elif replay is not None and replay.active:
            nxt = replay.next_step
            # under 120 columns the short form keeps the status line to two rows: no view
            # name (each view's panel titles say which view it is) and a short label
            long = app.size.width >= NARROW_STATUS
            said = (
                (_("replay, next event @{step} (→)") if long else _("next @{step} (→)")).format(
                    step=nxt
                )
                if nxt is not None
                else _("replay, done")
            )
            label = f"{label} · {said}" if long else said
        shown = (frame.state, frame.pace, frame.config, label)
        if not moved and shown == self._status and app.threaded:
            return
        self._status = shown
        show_rate = app.threaded and frame.state == RunState.RUNNING
        self.q("#status", StatusBar).show(
            frame, view=asciify(label) if app.ascii else label, show_rate=show_rate
        )

    def show_bars(self, frame: Frame, *, status: bool = True) -> None:
        if status:
            self.show_status(frame, moved=True)
        row = travel.timeline_row(frame, self.app.size.width - 2, ascii=self.app.ascii)
        self.q("#timeline", TextBar).say(row, "bold cyan")
        taken_over = frame.replay is not None and not frame.replay.active
        self.q("#caption", TextBar).say(None if taken_over else self.caption(frame), "bold")
        alarm = frame.state in (RunState.DIVERGED, RunState.CRASHED)
        message, style = self.message(frame, alarm), "bold red" if alarm else "yellow"
        if message is None and frame.change is not None and self._fresh(("change", frame.change)):
            message, style = "Δ " + render(frame.change[1], _), "bold cyan"
        self.q("#message", TextBar).say(message, style)

    def caption(self, frame: Frame) -> str | None:
        """The latest caption in the UI language: the lesson's ``caption_ko`` (found by the
        English template) filled with the values the English caption quoted at its step."""
        event = frame.caption_event
        if event is None:
            return None
        template = event.command.removeprefix("caption ")
        korean = self.app.captions.get(template) or self.app.captions.get(event.text)
        if korean is not None and event.values:
            korean = fill_values(korean, dict(event.values))
        return localized(event.text, korean)

    def message(self, frame: Frame, alarm: bool) -> str | None:
        """The message line: an alarm stays; a note (command error, app note) expires after
        MESSAGE_SECONDS; the dead-layer hint stays while it holds. The engine's messages are
        translated here, when drawn (a language switch re-renders them)."""
        app = self.app
        if frame.message and (alarm or self._fresh(("runner", frame.message, len(frame.events)))):
            return with_keys(render(frame.message, _))
        if frame.hint:
            return with_keys(render(frame.hint, _))
        if app.app_message and self._fresh(("app", app.app_message, app.message_serial)):
            return app.app_message
        return None

    def _fresh(self, key: tuple) -> bool:
        """True until MESSAGE_SECONDS after ``key`` was first shown (a synchronous app,
        tests and screenshots, never expires)."""
        now = time.monotonic()
        first = self._shown.setdefault(key, now)
        if len(self._shown) > 64:
            self._shown = {key: first}
        return not self.app.threaded or now - first < MESSAGE_SECONDS
