"""The worker: a plain thread that owns the Session (no Textual in here).

Commands and typed controls come in through a queue and are applied between steps; what
the UI draws goes out as an immutable ``Frame`` built under the lock (``frame(needs)``);
no callable from outside ever runs on the session. Lessons are played by ``bntui.training.player``;
pacing, holds, skipping and taking over are this layer's. The thread checks its stop event
every step. ``Runner(config, threaded=False)`` trains only in ``step(n)``, in the caller's
thread (deterministic, synchronous UI tests).
"""

from __future__ import annotations

import dataclasses
import math
import queue
import threading
import time
import traceback
from typing import Any

from bntui.i18n.message import Joined, Msg, Text
from bntui.live import captions
from bntui.live.changes import Tracker, dead_hint, history_stats
from bntui.live.frame import Frame, Needs, ReplayState, RunState, build_frame
from bntui.live.heavywork import HeavyWork
from bntui.live.locks import RateMeter, ReaderLock
from bntui.training.commands import Command, CommandError
from bntui.training.config import Config
from bntui.training.events import Event, EventKind
from bntui.training.pair import Pair
from bntui.training.player import Ending, Plan, Schedule, one_blas_thread, play
from bntui.training.session import DIVERGED_HINT, Session
from bntui.training.timeline import Timeline


class Runner:
    """Trains a Session on a worker thread (or synchronously) and publishes Frames of it."""

    def __init__(
        self,
        source: Config | Session | Pair,
        *,
        threaded: bool = True,
        paused: bool = False,
        max_steps: int | None = None,
        steps_per_second: float | None = None,
        schedule: list[tuple[int, str]] | None = None,
        holds: dict[tuple[int, str], float] | None = None,
        keep_records: bool = False,
    ) -> None:
        # (Session or Twins) with checkpoints as it trains: goto and branches are live keys
        if not isinstance(source, Pair):
            source = Pair(source, timeline=Timeline(), captions=captions.from_frame)
        elif source.captions is None:
            source.captions = captions.from_frame  # (lessons' captions quote the screen)
        self.pair = source
        self.threaded = threaded
        self.plan: Plan | None = None  # a lesson: what restart goes back to
        if schedule is not None:
            config = self.session.initial_config
            plan = (tuple(schedule), dict(holds or {}), steps_per_second, max_steps)
            self.plan = Plan(config, *plan)
        self.max_steps = max_steps
        self.steps_per_second = steps_per_second  # None = as fast as possible
        # (step, command) pairs applied when the session reaches that step (lessons)
        self.schedule: Schedule[str] = Schedule(schedule or [])
        # live lessons: seconds to hold still after the scheduled (step, command) is applied
        self.holds: dict[tuple[int, str], float] = dict(holds or {})
        self.replaying = self.plan is not None  # False once the user took over
        self._hold = 0  # token of the running hold; anything the user does cancels it
        self._held = False  # paused by a hold (not by the user)
        self.fast_until: int | None = None  # train unpaced (even while paused) up to this step
        # every step record when asked (tests compare them with a replay's metrics)
        self.records: list[dict[str, Any]] | None = [] if keep_records else None
        self.lock = threading.RLock()
        self.version = 0
        self.error: str | None = None
        self.trace: str | None = None
        # for the message line: a Msg (the UI translates it) or an engine error's plain text
        self.message: Text | None = self.session.warning()
        self.tracker = Tracker()  # what each command changed (bntui.live.changes)
        self.change: tuple[int, Joined] | None = None  # (step, summary) of the newest change
        self.hint: Msg | None = None  # dead-layer hint of the newest statistics
        self._needs = Needs()
        self._cached: tuple[tuple[int, Needs, float], Frame] | None = None
        self._paused = paused or not threaded
        self._commands: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.meter = RateMeter(self.session.step_count)
        self._readers = 0  # threads waiting in frame(): the worker yields the lock
        self._readers_lock = threading.Lock()
        self.heavy = HeavyWork()  # decision maps / histograms made by the worker
        # the last frame for each request: while a big net's step holds the lock, keys
        # redraw it instead of waiting
        self._frames: dict[Needs, Frame] = {}

    @property
    def session(self) -> Session:
        """The (primary) session."""
        return self.pair.session

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self.threaded and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="bntui-runner", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if not self._thread.is_alive():
                self._drain()  # keys sent just before quitting still count (and are saved)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def state(self) -> RunState:
        s = self.pair
        if self.error is not None:
            return RunState.CRASHED
        if s.diverged:
            return RunState.DIVERGED
        if s.stopped_early or self._at_limit():
            return RunState.STOPPED
        return RunState.PAUSED if self._paused else RunState.RUNNING

    def _at_limit(self) -> bool:
        return self.max_steps is not None and self.pair.step_count >= self.max_steps

    # ------------------------------------------------------------------ commands, controls
    def send(self, command: Command | str) -> None:
        """Queue a command; it is applied at the next step boundary (at once when synchronous)."""
        self._post("command", command)

    def pause(self, paused: bool = True) -> None:
        self._post("pause", paused)

    def toggle_pause(self) -> None:
        self._post("pause", not self._paused)

    def step(self, n: int = 1) -> None:
        """Train n steps now (synchronous) or ask the worker for n steps while paused."""
        self._post("step", n)

    def skip_to(self, step: int) -> None:
        """Train at full speed up to ``step`` (a live replay's →); then the pace resumes."""
        self._post("skip", int(step))

    def takeover(self) -> None:
        """A replay becomes a live session: no more schedule, holds or limit (pace stays)."""
        self.replaying = False  # at once: the UI's footer follows before the worker gets it
        self._post("takeover", None)

    def restart(self) -> None:
        """Start the lesson over (a replay's ←): a fresh session from its config and plan."""
        self._post("restart", None)

    def set_speed(self, steps_per_second: float | None) -> None:
        """Training pace in steps per second (None: as fast as possible)."""
        self._post("speed", steps_per_second)

    def _post(self, kind: str, value: Any) -> None:
        if self.threaded and self._thread is not None and self._thread.is_alive():
            self._commands.put((kind, value))
            self._wake.set()
        else:
            with self.lock:
                self._handle(kind, value)

    # ------------------------------------------------------------------ frames out
    def frame(self, needs: Needs | None = None, *, settled: bool = False) -> Frame:
        """The Frame for ``needs`` (default: the last needs given), built under the lock;
        ``settled``: after the worker has handled every request sent before (≤ 1 s)."""
        if settled and self.threaded and self.alive:
            done = threading.Event()
            self._post("settle", done)
            done.wait(1.0)
        if needs is not None:
            self._needs = needs
        asked = self._needs
        # threaded: the worker makes maps and histograms (coalesced), never this thread
        offload = self.threaded and self._thread is not None
        if offload and self.heavy.ask(asked):
            self._wake.set()
        last = self._frames.get(asked) if offload and not settled else None  # see _frames
        with ReaderLock(self, timeout=None if last is None else 0.05) as got:
            if not got:
                return last  # type: ignore[return-value]
            rate = self.meter.rate if self.state == RunState.RUNNING else 0.0
            key = (self.version, asked, rate, self.steps_per_second, self.heavy.version)
            if self._cached is not None and self._cached[0] == key:
                return self._cached[1]
            light = dataclasses.replace(asked, decision=None, hist_bins=0) if offload else asked
            travel = self.pair.travel()
            frame = build_frame(
                self.session,
                light,
                twin=self.pair.twin,
                labels=self.pair.labels,
                travel=travel,
                past=self.pair.recorded_history,
                version=self.version,
                state=self.state,
                steps_per_sec=rate,
                pace=self.steps_per_second,
                message=self.message,
                hint=self.hint,
                change=self.change,
                replay=self._replay_state(),
            )
            if offload and (parts := self.heavy.attach(asked)):
                frame = dataclasses.replace(frame, **parts)
            if travel is not None and travel.branch_at is not None:  # the log names the branch
                mark = Event(travel.branch_at, "", travel.branch or "", EventKind.BRANCH)
                events = sorted((*frame.events, mark), key=lambda e: (e.step, e is not mark))
                frame = dataclasses.replace(frame, events=tuple(events))
            if travel is not None and travel.in_past and asked.script:
                frame = dataclasses.replace(frame, log=tuple(self.pair.script()))  # the future too
            self._cached = (key, frame)
            self._frames = {**(self._frames if len(self._frames) < 16 else {}), asked: frame}
            return frame

    def _replay_state(self) -> ReplayState | None:
        if self.plan is None:
            return None
        nxt = self.schedule.next_step
        s = self.pair
        over = self._at_limit() or s.diverged or s.stopped_early  # training cannot go on
        done = self.replaying and nxt is None and over
        return ReplayState(self.replaying, nxt, self.max_steps, done)

    # ------------------------------------------------------------------ worker
    def _handle(self, kind: str, value: Any) -> None:
        """Apply one queued request; the lock is held."""
        getattr(self, "_on_" + kind)(value)
        self.version += 1

    def _on_command(self, command: Command | str) -> None:
        s = self.session
        before = history_stats(s.history, s.config.depth)
        loss = (s.last_record or {}).get("loss")
        val = s.last_val[1] if s.last_val else None
        try:
            event = self.pair.apply(command)
        except CommandError as exc:
            self.message = str(exc)
            return
        if event.kind == EventKind.GOTO:  # time travel: stand still at the step gone to
            self._paused = self._paused or self.pair.in_past
            self.fast_until = None  # a → that reached a lesson's goto ends there, not beyond
            self.meter.restart(self.pair.step_count)
            self.message = event.text
            self.change = None
            return
        if event.kind == EventKind.BRANCH:  # the new future trains live beside the recorded one
            self._paused = False
        if event.no_effect:  # nothing changed: say so, no "what changed" line
            self.message = event.text
            return
        self.tracker.applied(event.step, event.command, event.text, before, loss=loss, val=val)
        self.message = DIVERGED_HINT if self.pair.diverged else self.session.warning()
        if event.kind == EventKind.BRANCH:  # which future is which
            self.message = event.text
        if self.error is not None and event.kind in (EventKind.RESET, EventKind.SEED):
            self.error = None

    # the typed controls: ``_handle`` calls ``_on_<kind>`` with the lock held, between steps
    def _on_settle(self, done: threading.Event) -> None:
        done.set()

    def _on_hold_end(self, token: int) -> None:
        if token == self._hold:  # nobody paused, skipped or took over meanwhile
            self._paused = self._held = False

    def _on_pause(self, paused: bool) -> None:
        self._hold += 1
        self._held = False
        self._paused = bool(paused)

    def _on_step(self, n: int) -> None:
        self._train(self.pair.step_count + int(n))

    def _on_speed(self, steps_per_second: float | None) -> None:
        self.steps_per_second = steps_per_second
        self.meter.restart(self.session.step_count)

    def _on_skip(self, step: int) -> None:
        self._end_hold()
        s = self.pair
        if (s.diverged or s.stopped_early) and self.schedule:
            # training cannot reach the event: play its commands now (a reset rescues it)
            at = self.schedule.next_step
            for _at, command in self.schedule.due(at or 0):
                self._on_command(command)
            if not s.diverged:
                self._paused = False
        elif self.threaded and self._thread is not None:
            self.fast_until = step  # the worker trains to it in lock-sized chunks
        else:
            self._train(step)

    def _on_takeover(self, _value: None) -> None:
        self.schedule.clear()
        self.holds.clear()
        self._end_hold()
        self.replaying = False
        self.fast_until = None
        self.max_steps = None

    def _on_restart(self, _value: None) -> None:
        plan = self.plan or Plan(self.session.initial_config)
        self.pair = Pair(plan.config, timeline=Timeline(), captions=captions.from_frame)
        self.schedule = Schedule(plan.schedule)
        self.holds = dict(plan.holds)
        self.steps_per_second, self.max_steps = plan.steps_per_second, plan.max_steps
        self.replaying = self.plan is not None
        self._end_hold()
        self.fast_until = None
        self.error = self.trace = None
        self.message = self.session.warning()
        self.tracker, self.change, self.hint = Tracker(), None, None
        if self.records is not None:
            self.records.clear()
        self.meter.restart(self.pair.step_count)

    def _train(self, until: int) -> bool:
        """Play the schedule up to step ``until`` (never past the lesson's end), lock held.
        True when it got there; False when it cannot go on (hold, divergence, error, end)."""
        if self.error is not None:
            return False
        if self.max_steps is not None:
            until = min(until, self.max_steps)
        s = self.pair
        try:
            why = play(s, self.schedule, until=until, on_due=self._scheduled, on_record=self._kept)
        except Exception as exc:  # a bug in the engine must not take the app down
            self.error = f"{type(exc).__name__}: {exc}"
            self.message = Msg(
                "worker error: {error} (reset clears it; --debug for details)", error=self.error
            )
            self.trace = traceback.format_exc()
            self._paused = True
            return False
        if s.diverged:
            self._paused = True
            self.message = DIVERGED_HINT
        elif s.stopped_early:
            self._paused = True
            # (compare mode: the twin that stopped early says why; the other may have diverged)
            self.message = next((x.stop_reason for x in s.sessions if x.stop_reason), None)
        over = self._at_limit() or s.diverged or s.stopped_early
        return why == Ending.DONE and not over

    def _kept(self, records: list[dict[str, Any]]) -> None:
        if self.records is not None:
            self.records.extend(records)
        if self.pair.roles[:1] != ("primary",):
            return  # the primary has stopped (diverged): its hints stay as they were
        record = records[0]  # the primary's (compare mode: the twin's follows)
        if "layers" in record:
            self.hint = dead_hint(self.session.config.activation, record["layers"])
            change = self.tracker.record(record)
            if change is not None:
                self.change = (change.after_step, change.summary)

    def _scheduled(self, at: int, command: str) -> bool:
        """Apply one scheduled command; True if a hold starts after it."""
        self._on_command(command)
        seconds = self.holds.pop((at, command), 0.0)
        if seconds <= 0:
            return False
        self._paused = self._held = True
        self._hold += 1
        if seconds == math.inf:  # a lesson question: held until the learner answers
            return True
        timer = threading.Timer(seconds, self._post, args=("hold_end", self._hold))
        timer.daemon = True
        timer.start()
        return True

    def _end_hold(self) -> None:
        """Cancel a running hold; a runner paused by it goes on."""
        self._hold += 1
        if self._held:
            self._paused = self._held = False

    def _loop(self) -> None:
        with one_blas_thread():
            self._train_loop()

    def _drain(self) -> None:
        while True:
            try:
                kind, value = self._commands.get_nowait()
            except queue.Empty:
                return
            with self.lock:
                self._handle(kind, value)

    def _train_loop(self) -> None:
        budget = 0.02  # seconds of training per lock hold; the UI reads in between
        while not self._stop.is_set():
            self._drain()
            if self.heavy.work(self):  # the map / histograms the UI asked for, if due
                continue
            fast = self.fast_until is not None and self.pair.step_count < self.fast_until
            if not fast:
                self.fast_until = None
            stuck = (RunState.DIVERGED, RunState.CRASHED, RunState.STOPPED)
            idle = (self._paused and not fast) or self.state in stuck
            if idle:
                self.meter.update(self.pair.step_count, force=True)
                self._wake.wait(0.1)
                self._wake.clear()
                continue
            start = time.perf_counter()
            paced = bool(self.steps_per_second) and not fast
            with self.lock:
                done = 0
                while not self._stop.is_set() and self._commands.empty():
                    target = self.pair.step_count + 1
                    if not self._train(target):
                        done += self.pair.step_count >= target
                        break
                    done += 1
                    if fast and self.pair.step_count >= self.fast_until:  # type: ignore[operator]
                        break
                    if paced or time.perf_counter() - start > budget:
                        break
                self.version += 1
            self.meter.update(self.pair.step_count)
            if paced:
                delay = done / self.steps_per_second - (time.perf_counter() - start)  # type: ignore[operator]
                if delay > 0:
                    self._wake.wait(delay)
                    self._wake.clear()
            else:
                # The lock is not fair: without a real pause the worker takes it back before
                # a waiting reader (the UI) wakes up, and the UI starves.
                time.sleep(0.001 if self._readers else 0)
