"""The live laboratory: a Textual app over a Runner that trains on its own thread.

The UI never touches the Session: keys become vocabulary commands or typed controls sent
to the runner, and a timer at ``fps`` pulls immutable Frames from it (``Painter``); each
panel redraws only if its own key changed. ``threaded=False`` gives a synchronous app for
tests (nothing trains unless ``n`` is pressed or ``app.runner.step(k)`` is called).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Input, Static

from bntui.commands import CommandError, parse
from bntui.config import Config
from bntui.frame import Frame, Needs
from bntui.i18n import _
from bntui.runner import Runner
from bntui.tui import files, lifecycle
from bntui.tui.commandline import BntuiCommands, CommandLine, SafeCommandPalette
from bntui.tui.keys import bindings
from bntui.tui.painter import WIDE, Painter
from bntui.tui.panels.bars import StatusBar, TextBar
from bntui.tui.panels.charts import BandsChart, LossChart
from bntui.tui.panels.layers import DriftPanel, GradPanel
from bntui.tui.panels.views import DecisionView, EventLog, HistogramView
from bntui.tui.render import asciify
from bntui.tui.screens.help import HelpScreen
from bntui.tui.web import watch_server

MIN_WIDTH, MIN_HEIGHT = 80, 24
VIEWS = ("main", "decision", "hist", "log")
LOSS_TITLE = {False: "Loss · train ⣿ / val •", True: "Loss - train . / val x"}


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
    BINDINGS: ClassVar[list[BindingType]] = bindings()  # type: ignore[assignment]

    def __init__(
        self,
        source: Config | Runner,
        *,
        fps: float = 2,
        ascii: bool = False,
        record: str | None = None,
        autosave: Path | None = None,
        **runner: Any,
    ) -> None:
        """``source``: a Runner made by the caller, or a Config to build one from with the
        Runner's keywords (``threaded``, ``paused``; a live replay: ``schedule`` of (step,
        command) pairs, ``steps_per_second``, ``max_steps``, ``holds`` …). ``record``: the
        --record file (saved at exit and by ctrl+s); ``autosave``: the autosave file."""
        super().__init__()
        self.animation_level = "none"  # no animations: slow links, honest screenshots
        self.runner = source if isinstance(source, Runner) else Runner(source, **runner)
        self.fps = min(max(float(fps), 1.0), 30.0)
        self.ascii = ascii
        self.threaded = self.runner.threaded
        self.record_path = record
        # files this session may replace: the --record file (checked at start), what it saved
        self.owned: set[Path] = {Path(os.path.abspath(record))} if record else set()
        self.autosave = lifecycle.Autosave(self.runner, autosave) if autosave else None
        self.exit_signal: int | None = None  # the signal that ended the app (exit 128 + it)
        self._saved_at_exit = False
        self._signals_after = 0
        self.view = "main"
        self.selected = 1
        self.follow_last = True  # the bands show the last hidden layer until ↑/↓ picks one
        self.log_y = False
        self.app_message: str | None = None
        self.too_small = False
        self.painter = Painter(self)
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
        yield CommandLine(t("command, e.g. lr 0.05 · bn off · depth 6"), id="cmd")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.main_screen.query_one("#loss").border_title = LOSS_TITLE[self.ascii]
        self._check_size()
        self.runner.start()
        watch_server(self)  # bntui serve: quit when the server is gone
        self.set_interval(1 / self.fps, self.pull, name="pull")
        if self.autosave is not None:
            path = self.autosave.path
            self.app_message = _("autosave: {path} (bntui --resume-last)").format(path=path)
            self.set_interval(1.0, self._autosave_tick, name="autosave")
        if not self.is_headless:  # a real terminal: signals end the app the normal way
            lifecycle.install_signal_handlers(self)
        self.pull()

    def get_default_screen(self) -> Screen:
        self.main_screen = MainScreen(id="_default")
        return self.main_screen

    def terminal_resized(self) -> None:
        """Show the 'too small' note or the panels; redraw everything at the new size."""
        self._check_size()
        self.painter.forget()
        self.call_after_refresh(self.pull)

    def _check_size(self) -> None:
        w, h = self.size
        self.too_small = w < MIN_WIDTH or h < MIN_HEIGHT
        self.main_screen.set_class(self.too_small, "too-small")
        self.main_screen.set_class(w >= WIDE, "wide")
        self.painter.check_map()

    # ------------------------------------------------------------------ data flow
    @property
    def frames(self) -> int:
        return self.painter.frames

    @property
    def replaying(self) -> bool:
        """A lesson is playing and the user has not taken over."""
        return self.runner.replaying

    def needs(self, frame: Frame) -> Needs:
        return self.painter.needs(frame)

    def pull(self) -> None:
        """One frame: status and bars, then the panels whose data changed."""
        self.painter.pull()

    # ------------------------------------------------------------------ actions
    def action_send(self, text: str) -> None:
        """Send one vocabulary command to the runner (in a replay: the user takes over)."""
        self.app_message = None
        if self.replaying:
            self.runner.takeover()
            self.refresh_bindings()  # → leaves the footer
            self.app_message = "you took over: the lesson is now a live session (← restarts it)"
        self.runner.send(text)
        self.pull()

    def action_next_event(self) -> None:
        """→ in a replay: train at full speed to the next scripted event."""
        replay = self.runner.frame(Needs()).replay
        nxt = replay.next_step if replay is not None else None
        if nxt is None:
            self.app_message = "no more events in this lesson"
        else:
            self.app_message = f"skipping to the event at step {nxt}"
            self.runner.skip_to(nxt)
        self.pull()

    def action_restart(self) -> None:
        """← in a replay: a fresh session from the script's config, schedule and pace."""
        if self.runner.plan is None:
            return
        self.runner.restart()
        self.refresh_bindings()
        self.app_message = "lesson restarted"
        self.painter.forget()
        self.pull()

    def action_pause(self) -> None:
        self.runner.toggle_pause()
        self.pull()

    def action_step(self) -> None:
        if self.runner.threaded and not self.runner.paused:
            self.app_message = "n steps while paused: press space first"
        else:
            self.app_message = None
            self.runner.step(1)
        self.pull()

    def action_select(self, delta: int) -> None:
        depth = self.runner.frame(Needs()).depth
        self.follow_last = False
        self.selected = min(max(self.selected + int(delta), 1), max(depth, 1))
        self.pull()

    def action_log_y(self) -> None:
        self.log_y = not self.log_y
        self.pull()

    def action_view(self, name: str) -> None:
        if name not in VIEWS:
            return
        self.view = name
        self.main_screen.query_one("#views", ContentSwitcher).current = name
        self.painter.forget()
        self.call_after_refresh(self.pull)  # sizes of the newly shown view are known then

    def action_screenshot(self) -> None:
        self.app_message = files.screenshot(self, self.runner.frame(Needs()).step)
        self.pull()

    def action_record(self) -> None:
        """Save the session so far as a replay script (the --record file)."""
        self.app_message = files.save_script(
            self.runner, self.record_path or "bntui-session.toml", self, owned=self.owned
        )
        self.pull()

    def action_command_palette(self) -> None:
        """ctrl+p: the palette, guarded against Textual's page-up crash (SafeCommandPalette)."""
        if self.use_command_palette and not SafeCommandPalette.is_open(self):
            self.push_screen(SafeCommandPalette(id="--command-palette"))

    def action_command_line(self) -> None:
        self.main_screen.query_one("#cmd", CommandLine).open()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit_key(self) -> None:
        await self.action_quit()

    async def action_quit(self) -> None:
        self.save_at_exit()
        self.exit(0)

    def _autosave_tick(self) -> None:
        assert self.autosave is not None
        self.autosave.tick()
        if self.autosave.error:  # never silently: the path and the reason
            self.app_message = self.autosave.error

    def save_at_exit(self) -> None:
        """Stop training and save the --record file and the autosave (once)."""
        if self._saved_at_exit:
            return
        self._saved_at_exit = True
        self.runner.stop(timeout=1.0)
        if self.record_path:
            self.app_message = files.save_script(self.runner, self.record_path, owned=self.owned)
        if self.autosave is not None:
            self.autosave.save()

    def on_signal(self, signum: int) -> None:
        """SIGINT/SIGTERM/SIGHUP: save, then exit normally (the driver restores the
        terminal) with status 128 + signal. A third signal exits at once."""
        if self.exit_signal is not None:
            self._signals_after += 1
            if self._signals_after >= 2:
                os._exit(128 + signum)
            return
        self.exit_signal = signum
        self.save_at_exit()
        self.exit(128 + signum, return_code=128 + signum)

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
            self.pull()
            return  # keep the line open to fix it; Enter on empty or Esc closes
        self._close_command_line()
        if cmd.verb in ("caption", "mark"):  # notes, not changes: a replay goes on
            self.runner.send(str(cmd))
            self.pull()
        else:
            self.action_send(str(cmd))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the command line is open, keys are text, not actions (ctrl+q still quits)."""
        if action in ("quit", "command_palette"):
            return True
        if action in ("next_event", "restart") and self.runner.plan is None:
            return False  # replay keys: hidden outside a replay
        if action == "next_event" and not self.replaying:
            return False
        return not self._command_line_open()

    def _command_line_open(self) -> bool:
        try:
            return self.main_screen.query_one("#cmd", CommandLine).is_open
        except Exception:  # before compose
            return False

    async def on_key(self, event: events.Key) -> None:
        line = self.main_screen.query_one("#cmd", CommandLine)
        if not line.is_open or self.screen is not self.main_screen:
            return  # keys in help or the palette belong there
        if event.key == "escape":
            event.stop()
            self._close_command_line()
        elif not line.has_focus:
            event.stop()
            await line.type_key(event)

    def _close_command_line(self) -> None:
        self.main_screen.query_one("#cmd", CommandLine).close()
        self.set_focus(None)
        self.app_message = None
        self.pull()

    def on_unmount(self) -> None:
        lifecycle.remove_signal_handlers()
        self.save_at_exit()
