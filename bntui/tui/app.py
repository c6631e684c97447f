"""The live laboratory: a Textual app over a Runner that trains on its own thread.

The UI never touches the Session: keys become vocabulary commands or typed controls sent
to the runner, and a timer at ``fps`` pulls immutable Frames from it (``Painter``); each
panel redraws only if its own key changed. ``threaded=False`` gives a synchronous app for
tests (nothing trains unless ``n`` is pressed or ``app.runner.step(k)`` is called).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Input, Static

from bntui import i18n
from bntui.i18n import N_, _
from bntui.live.frame import Frame, Needs
from bntui.live.runner import Runner
from bntui.training.commands import CommandError, parse
from bntui.training.config import Config
from bntui.tui import files, lifecycle
from bntui.tui.commandline import BntuiCommands, CommandLine, SafeCommandPalette
from bntui.tui.keys import KEYS, bindings, show_browser_keys
from bntui.tui.pace import next_pace
from bntui.tui.painter import WIDE, Painter
from bntui.tui.panels import Keyed
from bntui.tui.panels.bars import StatusBar, TextBar
from bntui.tui.panels.charts import LOSS_TITLE, BandsChart, LossChart
from bntui.tui.panels.diag import DiagView
from bntui.tui.panels.internals_view import InternalsView
from bntui.tui.panels.layer_rows import DriftPanel, GradPanel
from bntui.tui.panels.views import DecisionView, EventLog, HistogramView
from bntui.tui.render import asciify, fmt_pace
from bntui.tui.screens.help import HelpScreen
from bntui.tui.screens.legend import LegendScreen
from bntui.tui.screens.question import Quiz
from bntui.tui.web import watch_server

MIN_WIDTH, MIN_HEIGHT = 80, 24
PLACEHOLDER = N_("command, e.g. lr 0.05 · bn off · depth 6")
VIEWS = ("main", "decision", "hist", "log", "internals", "diag")


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
        captions: Mapping[str, str] | None = None,
        shows: Mapping[str, tuple[int | None, int | None]] | None = None,
        autosave: Path | None = None,
        quiz: Quiz | None = None,
        **runner: Any,
    ) -> None:
        """``source``: a Runner made by the caller, or a Config to build one from with the
        Runner's keywords (``threaded``, ``paused``; a live replay: ``schedule`` of (step,
        command) pairs, ``steps_per_second``, ``max_steps``, ``holds`` …). ``record``: the
        --record file (saved at exit and by ctrl+s); ``autosave``: the autosave file;
        ``captions``: a lesson's Korean captions by their English text (``lang ko``);
        ``shows``: the (view 1–6, layer) a lesson's caption shows, by its English template
        (``Script.shows``: switched to when the caption appears)."""
        super().__init__()
        self.animation_level = "none"  # no animations: slow links, honest screenshots
        # a Runner, or an object with its interface (the tests' StillRunner of fixed Frames)
        self.runner = Runner(source, **runner) if isinstance(source, Config) else source
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
        self.message_serial = 0  # counts app notes: the same text said again shows again
        self._app_message: str | None = None
        self.captions: Mapping[str, str] = dict(captions or {})
        self.shows: Mapping[str, tuple[int | None, int | None]] = dict(shows or {})
        self.quiz = quiz  # a lesson's questions (bntui.tui.screens.question)
        self.too_small = False
        self.painter = Painter(self)
        self.translate_bindings()
        if lifecycle.served():  # a browser tab: S and P for the browser's ctrl+s and ctrl+p
            show_browser_keys(self)
        if ascii:
            self.add_class("ascii")

    @property
    def app_message(self) -> str | None:
        """The app's own note on the message line (expires, see Painter.message)."""
        return self._app_message

    @app_message.setter
    def app_message(self, text: str | None) -> None:
        self._app_message = text
        self.message_serial += 1

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        a = self.ascii
        t = asciify if a else str
        yield StatusBar(ascii=a, id="status")
        yield TextBar(ascii=a, id="timeline")
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
            yield InternalsView(ascii=a, id="internals")
            yield DiagView(ascii=a, id="diag")
        yield Static(self._too_small_text(), id="too-small")
        yield TextBar(ascii=a, id="message")
        yield CommandLine(t(_(PLACEHOLDER)), id="cmd")
        # ctrl+p is in the help screen: the footer keeps its 80 columns for q, ? and e
        yield Footer(compact=True, show_command_palette=False)

    def _too_small_text(self) -> str:
        text = _("terminal too small (need {w}×{h}) — enlarge it, or q to quit")
        text = text.format(w=MIN_WIDTH, h=MIN_HEIGHT)
        return asciify(text) if self.ascii else text

    def translate_bindings(self) -> None:
        """The footer's labels in the current language (the key table holds English)."""
        labels = {k.action: k.label for k in KEYS} | {"command_palette": N_("palette")}
        table = self._bindings.key_to_bindings
        for key, items in table.items():
            table[key] = [
                dataclasses.replace(b, description=_(labels[b.action])) if b.action in labels else b
                for b in items
            ]

    def set_language(self, lang: str) -> None:
        """``lang en|ko`` at ``:``: every later string, the footer and the titles switch;
        the message line says so."""
        i18n.set_language(lang)
        self.translate_bindings()
        self.refresh_bindings()
        screen = self.main_screen
        screen.query_one("#loss").border_title = _(LOSS_TITLE[self.ascii])
        screen.query_one("#too-small", Static).update(self._too_small_text())
        screen.query_one("#cmd", CommandLine).placeholder = _(PLACEHOLDER)
        for bar in screen.query(StatusBar):
            bar.forget()
        for panel in screen.query("*"):  # every panel redraws its titles in the new language
            if isinstance(panel, Keyed):
                panel._key = None
        self.painter.forget()
        self.app_message = _("language: {lang}").format(lang=lang)
        self.pull()

    def on_mount(self) -> None:
        self.main_screen.query_one("#loss").border_title = _(LOSS_TITLE[self.ascii])
        self._check_size()
        self.runner.start()
        watch_server(self)  # bntui serve: quit when the server is gone
        self.set_interval(1 / self.fps, self.pull, name="pull")
        self._start_lifecycle()  # autosave, and signals that end the app the normal way
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
        if self.quiz is not None:
            self.quiz.check(self)  # a lesson held at a question or a reveal: ask, show

    # ------------------------------------------------------------------ actions
    def action_send(self, text: str) -> None:
        """Send one vocabulary command to the runner (in a replay: the user takes over)."""
        self.app_message = None
        if self.replaying:
            self.runner.takeover()
            self.refresh_bindings()  # → leaves the footer
            self.app_message = _("you took over: the lesson is now a live session (← restarts it)")
        self.runner.send(text)
        self.pull()

    def action_next_event(self) -> None:
        """→ in a replay: train at full speed to the next scripted event."""
        replay = self.runner.frame(Needs()).replay
        nxt = replay.next_step if replay is not None else None
        if nxt is None:
            self.app_message = _("no more events in this lesson")
        else:
            self.app_message = _("skipping to the event at step {step}").format(step=nxt)
            self.runner.skip_to(nxt)
        self.pull()

    def action_restart(self) -> None:
        """← in a replay: a fresh session from the script's config, schedule and pace."""
        if self.runner.plan is None:
            return
        self.runner.restart()
        self.refresh_bindings()
        self.app_message = _("lesson restarted")
        self.painter.forget()
        self.pull()

    def action_compare(self) -> None:
        """c: compare mode on (a twin with BN flipped, same weights) or off."""
        on = self.runner.frame(Needs()).labels is not None
        self.action_send("compare off" if on else "compare on")

    def action_pause(self) -> None:
        self.runner.toggle_pause()
        self.pull()

    def action_speed(self, factor: float) -> None:
        """< and >: halve or double the training pace (``tui.pace.next_pace``)."""
        frame = self.runner.frame(Needs())
        new, note = next_pace(frame.pace, frame.steps_per_sec, float(factor))
        if note is None:
            self.runner.set_speed(new)
            note = _("pace: {pace}").format(pace=fmt_pace(new))
        self.app_message = note
        self.pull()

    def action_step(self) -> None:
        if self.runner.threaded and not self.runner.paused:
            self.app_message = _("n steps while paused: press space first")
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

    def show_lesson(self, view: int | None, layer: int | None) -> None:
        """A lesson caption's ``view``/``layer``: switch as the keys 1–6 and ↑/↓ would."""
        if layer is not None:
            self.follow_last = False
            self.selected = layer
        if view is not None and VIEWS[view - 1] != self.view:
            self.action_view(VIEWS[view - 1])

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

    def action_palette(self) -> None:
        """P: the palette, for a browser tab where ctrl+p prints (an action of its own: a
        binding to ``command_palette`` would stop Textual from binding ctrl+p)."""
        self.action_command_palette()

    def action_command_palette(self) -> None:
        """ctrl+p: the palette, guarded against Textual's page-up crash (SafeCommandPalette)."""
        if self.use_command_palette and not SafeCommandPalette.is_open(self):
            self.push_screen(SafeCommandPalette(id="--command-palette"))

    def action_command_line(self) -> None:
        self.main_screen.query_one("#cmd", CommandLine).open()

    def action_explain(self) -> None:
        if not isinstance(self.screen, LegendScreen):
            self.push_screen(LegendScreen(self.ascii))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit_key(self) -> None:
        await self.action_quit()

    async def action_quit(self) -> None:
        self.save_at_exit()
        self.exit(0)

    def _start_lifecycle(self) -> None:
        """At mount: the autosave timer (and where it writes), and the signal handlers in a
        real terminal."""
        if self.autosave is not None:
            path = self.autosave.path
            self.app_message = _("autosave: {path} (bntui --resume-last)").format(path=path)
            self.set_interval(1.0, self._autosave_tick, name="autosave")
        if not self.is_headless:  # a real terminal: signals end the self the normal way
            lifecycle.install_signal_handlers(self)

    def _autosave_tick(self) -> None:
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
        """SIGINT/SIGTERM/SIGHUP: save, then exit normally (the driver restores the terminal)
        with status 128 + signal. A third signal exits at once."""
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
        self._submitted(event.value.strip())

    def _submitted(self, text: str) -> None:
        """Enter at the ``:`` line: a command of the vocabulary to the runner (``lang`` to the
        app: a display setting; ``caption``/``mark`` are notes: a lesson goes on)."""
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
        if cmd.verb == "lang":
            self.set_language(cmd.arg)
        elif cmd.verb in ("caption", "mark"):
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
