"""The live laboratory: a Textual app over a Runner that trains on its own thread.

The UI never touches the Session directly: keys become vocabulary commands sent to the
runner; a timer at ``fps`` pulls a ``Frame`` through ``runner.read`` and each panel
redraws only if its own key changed. ``threaded=False`` gives a synchronous app for tests
(nothing trains unless ``n`` is pressed or ``app.runner.step(k)`` is called).
"""

from __future__ import annotations

import dataclasses
import os
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Input, Static

from bntui.commands import CommandError, parse
from bntui.config import Config
from bntui.runner import RUNNING, Runner, Snapshot
from bntui.session import Session
from bntui.tui.frame import Frame, Needs, collect
from bntui.tui.panels.bars import StatusBar, TextBar
from bntui.tui.panels.charts import BandsChart, LossChart
from bntui.tui.panels.layers import DriftPanel, GradPanel
from bntui.tui.panels.views import DecisionView, EventLog, HistogramView
from bntui.tui.render import asciify
from bntui.tui.screens.help import HelpScreen
from bntui.tui.web import in_browser, offer_download, watch_server

MIN_WIDTH, MIN_HEIGHT = 80, 24
MAIN_PANELS = ("loss", "drift", "grads", "bands", "map")  # redrawn in turn (see _due_panels)
WIDE = 140  # from this width the main view gets an event log column
MAP_WIDE = 150  # from this width (2-D data) the decision boundary sits beside the loss
VIEWS = ("main", "decision", "hist", "log")
VIEW_NAMES = {"main": "main", "decision": "decision", "hist": "histograms", "log": "events"}

PALETTE: list[tuple[str, str, str]] = [
    ("Toggle BN (b)", "send('bn toggle')", "batch normalization on/off"),
    ("BN before/after the activation (B)", "send('bn-position toggle')", ""),
    ("Next activation (a)", "send('activation next')", ""),
    ("Previous activation (A)", "send('activation prev')", ""),
    ("Deeper: depth +1 (+)", "send('depth +1')", ""),
    ("Shallower: depth -1 (-)", "send('depth -1')", ""),
    ("Narrower: width /2 (w)", "send('width /2')", ""),
    ("Wider: width *2 (W)", "send('width *2')", ""),
    ("Halve the learning rate (l)", "send('lr /2')", ""),
    ("Double the learning rate (L)", "send('lr *2')", ""),
    ("Next init (i)", "send('init next')", "re-initializes the weights"),
    ("Next optimizer (o)", "send('optimizer next')", ""),
    ("Next dropout (p)", "send('dropout next')", ""),
    ("Next dataset (d)", "send('dataset next')", ""),
    ("Reset weights (r)", "send('reset')", ""),
    ("Pause / resume (space)", "pause", ""),
    ("One step (n)", "step", ""),
    ("Log / linear loss axis (y)", "log_y", ""),
    ("View: main (1)", "view('main')", ""),
    ("View: decision boundary (2)", "view('decision')", ""),
    ("View: activation histograms (3)", "view('hist')", ""),
    ("View: event log (4)", "view('log')", ""),
    ("Screenshot SVG (s)", "screenshot", ""),
    ("Save session as replay script (ctrl+s)", "record", ""),
    ("Type a command (:)", "command_line", "any command of the vocabulary"),
    ("Help (?)", "help", ""),
]


class BntuiCommands(Provider):
    """Command palette entries: every key's action, by name."""

    async def discover(self) -> Hits:
        for title, action, help_text in PALETTE:
            yield DiscoveryHit(title, partial(self._run, action), help=help_text or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, _help in PALETTE:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, action), help=None)

    async def _run(self, action: str) -> None:
        await self.app.run_action(action)


class MainScreen(Screen):
    """The default screen; tells the app when the terminal is resized."""

    def on_resize(self, event: events.Resize) -> None:
        self.app.terminal_resized()  # type: ignore[attr-defined]


class BntuiApp(App[int]):
    """Train a small MLP live and watch what BN changes."""

    TITLE = "bntui"
    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {BntuiCommands}
    ENABLE_COMMAND_PALETTE = True
    AUTO_FOCUS = None  # keys go to the app; the command line takes focus only on ":"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "send('bn toggle')", "BN"),
        Binding("B", "send('bn-position toggle')", "BN pos", show=False),
        Binding("a", "send('activation next')", "act"),
        Binding("A", "send('activation prev')", "act-", show=False),
        Binding("plus", "send('depth +1')", "depth+", key_display="+"),
        Binding("minus", "send('depth -1')", "depth-", key_display="-"),
        Binding("w", "send('width /2')", "width/2", show=False),
        Binding("W", "send('width *2')", "width*2", show=False),
        Binding("l", "send('lr /2')", "lr/2"),
        Binding("L", "send('lr *2')", "lr*2", show=False),
        Binding("i", "send('init next')", "init", show=False),
        Binding("o", "send('optimizer next')", "opt", show=False),
        Binding("p", "send('dropout next')", "dropout", show=False),
        Binding("d", "send('dataset next')", "data", show=False),
        Binding("r", "send('reset')", "reset", show=False),
        Binding("space", "pause", "pause"),
        Binding("right", "next_event", "next", key_display="→"),
        Binding("left", "restart", "restart", key_display="←"),
        Binding("n", "step", "step"),
        Binding("up", "select(-1)", "layer up", show=False),
        Binding("down", "select(1)", "layer down", show=False),
        Binding("y", "log_y", "log-y", show=False),
        Binding("1", "view('main')", "main", show=False),
        Binding("2", "view('decision')", "boundary", show=False),
        Binding("3", "view('hist')", "hist", show=False),
        Binding("4", "view('log')", "log", show=False),
        Binding("s", "screenshot", "svg", show=False),
        Binding("ctrl+s", "record", "save script", show=False),
        Binding("colon", "command_line", "cmd", key_display=":"),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit_key", "quit"),
        Binding("ctrl+q", "quit", "quit", show=False, priority=True),
    ]

    def __init__(
        self,
        config: Config,
        *,
        fps: float = 2,
        ascii: bool = False,
        threaded: bool = True,
        paused: bool = False,
        record: str | None = None,
        schedule: list[tuple[int, str]] | None = None,
        steps_per_second: float | None = None,
        max_steps: int | None = None,
        holds: dict[tuple[int, str], float] | None = None,
        keep_records: bool = False,
    ) -> None:
        """``schedule`` etc. make a live replay: (step, command) pairs played at a pace;
        ``holds`` maps a scheduled (step, command) to seconds to hold after it."""
        super().__init__()
        self.animation_level = "none"  # no animations: slow links, honest screenshots
        self.config = config
        self.fps = min(max(float(fps), 1.0), 30.0)
        self.ascii = ascii
        self.threaded = threaded
        self.record_path = record
        # a live replay: what ← restarts from; None once the user took over (or no replay)
        self.replay: dict[str, Any] | None = None
        if schedule is not None:
            self.replay = {
                "schedule": list(schedule),
                "steps_per_second": steps_per_second,
                "max_steps": max_steps,
                "holds": dict(holds or {}),
            }
        self.runner = Runner(
            Session(config),
            threaded=threaded,
            paused=paused,
            schedule=schedule,
            steps_per_second=steps_per_second,
            max_steps=max_steps,
            holds=holds,
            keep_records=keep_records,
        )
        self.view = "main"
        self.selected = 1
        self.follow_last = True  # the bands show the last hidden layer until ↑/↓ picks one
        self.log_y = False
        self.app_message: str | None = None
        self.frames = 0  # frames pulled (a frame = one read under the lock)
        self._seen: tuple | None = None
        self._urgent: tuple | None = None  # what redraws every panel at once (see _due_panels)
        self._stale: set[str] = set()  # main-view panels not yet drawn for the newest data
        self._turn = 0  # index in MAIN_PANELS of the panel drawn last
        self._too_small = False
        self._dataset: str | None = None  # the side map is re-checked when the data changes
        self.replaying = self.replay is not None
        if ascii:
            self.add_class("ascii")

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        a = self.ascii
        t = asciify if a else str
        yield StatusBar(ascii=a, id="status")
        yield TextBar(ascii=a, id="caption")
        with ContentSwitcher(initial="main", id="views"):
            # narrow: loss drift / grads bands; wide: loss [map] drift / grads log bands
            with Grid(id="main"):
                yield LossChart(ascii=a, id="loss")
                yield DecisionView(ascii=a, mono=self.no_color, compact=True, id="side-map")
                yield DriftPanel(ascii=a, id="drift")
                yield GradPanel(ascii=a, id="grads")
                yield EventLog(ascii=a, id="side-log")
                yield BandsChart(ascii=a, id="bands")
            yield DecisionView(ascii=a, mono=self.no_color, id="decision")
            yield HistogramView(ascii=a, id="hist")
            yield EventLog(ascii=a, id="log")
        yield Static(
            t(f"terminal too small (need {MIN_WIDTH}×{MIN_HEIGHT}) — enlarge it, or q to quit"),
            id="too-small",
        )
        yield TextBar(ascii=a, id="message")
        yield Input(
            placeholder=t("command, e.g. lr 0.05 · bn off · depth 6"),
            id="cmd",
            select_on_focus=False,
        )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        cmd = self.main_screen.query_one("#cmd", Input)
        cmd.cursor_blink = False
        cmd.can_focus = False  # focusable only while open: a closed line must never eat keys
        self.main_screen.query_one("#loss").border_title = (
            "Loss · train ⣿ / val •" if not self.ascii else ("Loss - train . / val x")
        )
        self._check_size()
        self.runner.start()
        self.set_interval(1 / self.fps, self.pull, name="pull")
        watch_server(self)  # bntui serve: quit when the server is gone
        self.pull()

    def get_default_screen(self) -> Screen:
        self.main_screen = MainScreen(id="_default")
        return self.main_screen

    def terminal_resized(self) -> None:
        """Show the 'too small' note or the panels; redraw everything at the new size."""
        self._check_size()
        self._seen = None
        self.call_after_refresh(self.pull)

    def _check_size(self) -> None:
        w, h = self.size
        small = w < MIN_WIDTH or h < MIN_HEIGHT
        self._too_small = small
        self.main_screen.set_class(small, "too-small")
        self.main_screen.set_class(w >= WIDE, "wide")
        self._check_map()

    def _check_map(self) -> bool:
        """Show the side decision map when wide and the data is 2-D; True if it changed."""
        w = self.size.width
        show = w >= MAP_WIDE and self.runner.read(lambda s: bool(s.data.is_2d))
        changed = show != self.main_screen.has_class("map")
        self.main_screen.set_class(show, "map")
        return changed

    # ------------------------------------------------------------------ data flow
    def needs(self, snap: Snapshot) -> Needs:
        """What the visible panels want, sized to their current widths."""
        if self._too_small:
            return Needs()
        if self.view == "main":
            q = self.main_screen.query_one
            loss, bands = q("#loss", LossChart), q("#bands", BandsChart)
            drift, grads = q("#drift", DriftPanel), q("#grads", GradPanel)
            depth, bn = snap.config.depth, snap.config.bn
            side_map = q("#side-map", DecisionView)
            return Needs(
                loss_points=loss.points,
                spark_points=drift.plan(depth, bn).spark,
                band_points=bands.points,
                # braille charts take two points per column, the ASCII band one
                mini_points=(1 if self.ascii else 2) * drift.chart_width()
                if drift.plan(depth, bn).chart_rows
                else 0,
                grad_points=grads.chart_width() if grads.chart_rows(depth) else 0,
                selected=self.selected,
                decision=side_map.grid_size() if self.main_screen.has_class("map") else None,
            )
        if self.view == "decision":
            return Needs(decision=self.main_screen.query_one("#decision", DecisionView).grid_size())
        if self.view == "hist":
            depth = self.runner.read(lambda s: s.config.depth)
            hist = self.main_screen.query_one("#hist", HistogramView)
            return Needs(hist_bins=hist.layout_for(depth)[0])
        return Needs()

    def pull(self) -> None:
        """One frame: snapshot, and if anything changed, copy data and redraw what changed."""
        if not self.main_screen.is_attached or not self.main_screen.query("#status"):
            return  # shutting down
        snap = self.runner.snapshot()
        show_rate = self.threaded and snap.state == RUNNING
        label = VIEW_NAMES[self.view]
        if self.replaying:
            nxt = self.runner.next_scheduled
            label += " · replay" + (f", next event @{nxt} (→)" if nxt is not None else ", done")
        self.main_screen.query_one("#status", StatusBar).show(
            snap, view=asciify(label) if self.ascii else label, show_rate=show_rate
        )
        self._show_bars(snap)
        seen = (snap.version, self.view, self.selected, self.log_y, self.size)
        if seen == self._seen and not self._stale:
            return
        fresh = seen != self._seen
        self._seen = seen
        if snap.config.dataset != self._dataset:
            self._dataset = snap.config.dataset
            if self._check_map():  # the side map came or went: pull again once laid out
                self._seen = None
                self.call_after_refresh(self.pull)
                return
        depth = snap.config.depth
        if self.follow_last:
            self.selected = depth
        self.selected = min(max(self.selected, 1), max(depth, 1))
        needs = self.needs(snap)
        if self._too_small:
            return
        events = snap.events
        due = MAIN_PANELS
        if self.view == "main":
            due = self._due_panels(snap, fresh)
            needs = _only(needs, due)
        frame: Frame = self.runner.read(lambda s: collect(s, needs))
        self.frames += 1
        if self.view == "main":
            q = self.main_screen.query_one
            if "loss" in due:
                q("#loss", LossChart).show(frame, events, log_y=self.log_y)
            if "drift" in due:
                q("#drift", DriftPanel).show(frame, self.selected)
            if "grads" in due:
                q("#grads", GradPanel).show(frame, self.selected)
            if "bands" in due:
                q("#bands", BandsChart).show(frame, events, self.selected)
            if self.size.width >= WIDE:
                q("#side-log", EventLog).show(events)
            if frame.decision is not None:
                q("#side-map", DecisionView).show(frame)
        elif self.view == "decision":
            self.main_screen.query_one("#decision", DecisionView).show(frame)
        elif self.view == "hist":
            self.main_screen.query_one("#hist", HistogramView).show(frame)
        else:
            self.main_screen.query_one("#log", EventLog).show(events)

    def _due_panels(self, snap: Snapshot, fresh: bool) -> tuple[str, ...]:
        """The main-view panels to redraw this frame.

        Every panel repainted is resent whole to the terminal (about 2.5 KB for a quarter
        of an 80x24 screen), so while training runs one panel is redrawn per frame, in
        turn, and the status line every frame: a panel is at most four frames old. After
        a key or an event (anything the user did or should see at once), and in the
        synchronous app (tests, screenshots), every panel is redrawn.
        """
        visible = MAIN_PANELS if self.main_screen.has_class("map") else MAIN_PANELS[:-1]
        urgent = (self.view, self.selected, self.log_y, self.size, len(snap.events), snap.config)
        if urgent != self._urgent or not self.threaded:
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

    def _show_bars(self, snap: Snapshot) -> None:
        caption = next((e.text for e in reversed(snap.events) if e.kind == "caption"), None)
        self.main_screen.query_one("#caption", TextBar).say(caption, "bold")
        message = snap.message or self.app_message
        style = "bold red" if snap.state in ("diverged", "crashed") else "yellow"
        self.main_screen.query_one("#message", TextBar).say(message, style)

    def refresh_now(self) -> None:
        """Pull at once (after a key), instead of waiting for the timer."""
        self.pull()

    # ------------------------------------------------------------------ actions
    def action_send(self, text: str) -> None:
        """Send one vocabulary command to the runner (in a replay: the user takes over)."""
        self.app_message = None
        self._take_over()
        self.runner.send(text)
        self.refresh_now()

    def _take_over(self) -> None:
        """An experiment key during a replay: it becomes a live session from here."""
        if self.replay is None or not self.replaying:
            return
        self.runner.takeover()
        self.replaying = False
        self.refresh_bindings()  # → leaves the footer
        self.app_message = "you took over: the lesson is now a live session (← restarts it)"

    def action_next_event(self) -> None:
        """→ in a replay: train at full speed to the next scripted event."""
        nxt = self.runner.next_scheduled
        if nxt is None:
            self.app_message = "no more events in this lesson"
        else:
            self.app_message = f"skipping to the event at step {nxt}"
            self.runner.skip_to(nxt)
        self.refresh_now()

    def action_restart(self) -> None:
        """← in a replay: a fresh session from the script's config, schedule and pace."""
        r = self.replay
        if r is None:
            return
        self.runner.restart(Session(self.config), r["schedule"])
        self.runner.steps_per_second = r["steps_per_second"]
        self.runner.max_steps = r["max_steps"]
        self.runner.holds = dict(r["holds"])
        self.replaying = True
        self.refresh_bindings()
        self.app_message = "lesson restarted"
        self._seen = None
        self.refresh_now()

    def action_pause(self) -> None:
        self.runner.toggle_pause()
        self.refresh_now()

    def action_step(self) -> None:
        if self.runner.threaded and not self.runner.paused:
            self.app_message = "n steps while paused: press space first"
        else:
            self.app_message = None
            self.runner.step(1)
        self.refresh_now()

    def action_select(self, delta: int) -> None:
        depth = self.runner.read(lambda s: s.config.depth)
        self.follow_last = False
        self.selected = min(max(self.selected + int(delta), 1), max(depth, 1))
        self.refresh_now()

    def action_log_y(self) -> None:
        self.log_y = not self.log_y
        self.refresh_now()

    def action_view(self, name: str) -> None:
        if name not in VIEWS:
            return
        self.view = name
        self.main_screen.query_one("#views", ContentSwitcher).current = name
        self._seen = None
        self.call_after_refresh(self.pull)  # sizes of the newly shown view are known then

    def action_screenshot(self) -> None:
        step = self.runner.read(lambda s: s.step_count)
        name = f"bntui-{step}.svg"
        if in_browser(self):  # bntui serve: a download, not a file on the server
            self.app_message = offer_download(self, self.export_screenshot(), name)
            self.refresh_now()
            return
        try:
            path = self.save_screenshot(filename=name, path=os.getcwd())
        except OSError as exc:
            self.app_message = f"screenshot failed: {exc.strerror or exc}"
        else:
            self.app_message = f"screenshot saved: {path}"
        self.refresh_now()

    def action_record(self) -> None:
        """Save the session so far as a replay script (the --record file)."""
        path = self.record_path or "bntui-session.toml"
        if in_browser(self):  # bntui serve: a download, not a file on the server
            from bntui.replay.recorder import record_script

            text = self.runner.read(record_script)
            self.app_message = offer_download(self, text, Path(path).name)
        else:
            self.app_message = self._save_recording(path)
        self.refresh_now()

    def _save_recording(self, path: str) -> str:
        try:
            from bntui.replay.recorder import save_recording
        except ImportError:
            return "recording needs bntui.replay.recorder (not available in this build)"
        try:
            self.runner.read(lambda s: save_recording(s, path, force=True))
        except (OSError, ValueError) as exc:
            return f"could not save {path}: {exc}"
        return f"session saved: {Path(path).resolve()}"

    def action_command_line(self) -> None:
        cmd = self.main_screen.query_one("#cmd", Input)
        cmd.value = ""
        cmd.add_class("open")
        cmd.can_focus = True
        cmd.focus()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit_key(self) -> None:
        await self.action_quit()

    async def action_quit(self) -> None:
        self.runner.stop(timeout=1.0)
        if self.record_path:
            self._save_recording(self.record_path)
        self.exit(0)

    # ------------------------------------------------------------------ command line
    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self._close_command_line()
            return
        try:
            cmd = parse(text)
        except CommandError as exc:
            self.app_message = f"✖ {exc}" if not self.ascii else f"error: {exc}"
            self.refresh_now()
            return  # keep the line open to fix it; Enter on empty or Esc closes
        self._close_command_line()
        if cmd.verb in ("caption", "mark"):  # notes, not changes: a replay goes on
            self.runner.send(str(cmd))
            self.refresh_now()
        else:
            self.action_send(str(cmd))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the command line is open, keys are text, not actions (ctrl+q still quits)."""
        if action in ("quit", "command_palette"):
            return True
        if action in ("next_event", "restart") and self.replay is None:
            return False  # replay keys: hidden outside a replay
        if action == "next_event" and not self.replaying:
            return False
        return not self._command_line_open()

    def _command_line_open(self) -> bool:
        try:
            return self.main_screen.query_one("#cmd", Input).has_class("open")
        except Exception:  # before compose
            return False

    async def on_key(self, event: events.Key) -> None:
        cmd = self.main_screen.query_one("#cmd", Input)
        if not cmd.has_class("open") or self.screen is not self.main_screen:
            return  # keys in help or the palette belong there
        if event.key == "escape":
            event.stop()
            self._close_command_line()
        elif not cmd.has_focus:
            # keys typed right after ":" can arrive before the Input has focus (fast typing,
            # pasted text, SSH): they belong to the line, not to the app's bindings
            event.stop()
            if event.key == "enter":
                await cmd.action_submit()
            elif event.key == "backspace":
                cmd.action_delete_left()
            elif event.is_printable and event.character:
                cmd.insert_text_at_cursor(event.character)

    def _close_command_line(self) -> None:
        cmd = self.main_screen.query_one("#cmd", Input)
        cmd.value = ""
        cmd.remove_class("open")
        cmd.can_focus = False
        cmd.blur()  # on its own screen: a modal on top would later restore focus to it
        self.set_focus(None)
        self.app_message = None
        self.refresh_now()

    def on_unmount(self) -> None:
        self.runner.stop(timeout=1.0)


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


def run_app(config: Config, args: Any) -> int:
    """Entry point for ``bntui`` / ``bntui tui``: run the app, return the exit status."""
    fps = float(getattr(args, "fps", 2.0) or 2.0)
    if not 1 <= fps <= 30:
        from bntui.config import ConfigError

        raise ConfigError(f"fps must be in 1..30, got {fps:g}")
    app = BntuiApp(
        config,
        fps=fps,
        ascii=bool(getattr(args, "ascii", False)),
        threaded=True,
        paused=bool(getattr(args, "paused", False)),
        record=getattr(args, "record", None),
    )
    result = app.run()
    if app.runner.error and getattr(args, "debug", False) and app.runner.trace:
        import sys

        print(app.runner.trace, file=sys.stderr)
    return exit_status(app, result)


def exit_status(app: App, result: int | None) -> int:
    """The app's result, or Textual's return code when the app crashed (1, not 0)."""
    return int(result) if result is not None else int(app.return_code or 0)
