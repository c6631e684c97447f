"""The worker: a plain thread that owns the Session (no Textual in here).

Commands come in through a queue and are applied between steps; the UI reads the
session under a lock, at its own pace, through ``read(fn)`` or ``snapshot()``. The
thread checks its stop event every step, so ``stop()`` returns within a step's time.

``Runner(session, threaded=False)`` runs nothing in the background: ``step(n)`` trains
in the caller's thread. UI tests use it for deterministic, synchronous stepping.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from threadpoolctl import threadpool_limits

from bntui.commands import Command, CommandError
from bntui.config import Config
from bntui.session import DIVERGED_HINT, Event, Session

T = TypeVar("T")


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread while training: at these matrix sizes a second thread gains
    nothing and takes the core the UI needs. Also usable as a decorator."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


RUNNING, PAUSED, DIVERGED, CRASHED, STOPPED = "running", "paused", "diverged", "crashed", "stopped"


@dataclass(frozen=True)
class Snapshot:
    """What the status line needs, copied under the lock."""

    version: int  # increases whenever anything visible changed
    state: str
    step: int
    epoch: int
    steps_per_sec: float
    config: Config
    loss: float | None
    val_loss: float | None
    val_acc: float | None
    message: str | None  # divergence hint, early stop, last command error, worker error
    events: tuple[Event, ...] = field(default=())


class Runner:
    """Trains a Session on a worker thread (or synchronously) and serves reads of it."""

    def __init__(
        self,
        session: Session,
        *,
        threaded: bool = True,
        paused: bool = False,
        max_steps: int | None = None,
        steps_per_second: float | None = None,
        schedule: list[tuple[int, str]] | None = None,
        holds: dict[tuple[int, str], float] | None = None,
        keep_records: bool = False,
    ) -> None:
        self.session = session
        self.threaded = threaded
        self.max_steps = max_steps
        self.steps_per_second = steps_per_second  # None = as fast as possible
        # (step, command) pairs applied when the session reaches that step (replays)
        self.schedule: list[tuple[int, str]] = sorted(schedule or [], key=lambda t: t[0])
        # live replays: seconds to hold still after the scheduled (step, command) is applied
        self.holds: dict[tuple[int, str], float] = dict(holds or {})
        self._hold = 0  # token of the running hold; anything the user does cancels it
        self._held = False  # paused by a hold (not by the user)
        self.fast_until: int | None = None  # train unpaced (even while paused) up to this step
        # every step record, when asked (tests compare them with a replay's metrics)
        self.records: list[dict[str, Any]] | None = [] if keep_records else None
        self.lock = threading.RLock()
        self.version = 0
        self.error: str | None = None
        self.message: str | None = session.warning()
        self._paused = paused or not threaded
        self._commands: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._rate = 0.0
        self._rate_mark = (time.perf_counter(), session.step_count)
        self._readers = 0  # threads waiting in read()/snapshot(): the worker yields the lock
        self._readers_lock = threading.Lock()
        self.on_event: Callable[[Event], None] | None = None  # called on the worker thread

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        if self.threaded and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="bntui-runner", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def state(self) -> str:
        s = self.session
        if self.error is not None:
            return CRASHED
        if s.diverged:
            return DIVERGED
        if s.stopped_early or (self.max_steps is not None and s.step_count >= self.max_steps):
            return STOPPED
        return PAUSED if self._paused else RUNNING

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
        """A replay becomes a live session: drop the rest of the schedule, holds, pace, limit."""
        self._post("takeover", None)

    def restart(self, session: Session, schedule: list[tuple[int, str]] | None = None) -> None:
        """Start over on a fresh ``session`` (a replay's ←), with a new schedule."""
        self._post("restart", (session, list(schedule or [])))

    @property
    def next_scheduled(self) -> int | None:
        """Step of the next scheduled command still to come (None: none left)."""
        with self._locked():
            return self.schedule[0][0] if self.schedule else None

    def _post(self, kind: str, value: Any) -> None:
        if self.threaded and self._thread is not None and self._thread.is_alive():
            self._commands.put((kind, value))
            self._wake.set()
        else:
            with self.lock:
                self._handle(kind, value)

    # ------------------------------------------------------------------ reading
    def _locked(self) -> _ReaderLock:
        return _ReaderLock(self)

    def read(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn(session)`` under the lock (keep it short: training waits)."""
        with self._locked():
            return fn(self.session)

    def snapshot(self) -> Snapshot:
        with self._locked():
            s = self.session
            last = s.last_record or {}
            return Snapshot(
                version=self.version,
                state=self.state,
                step=s.step_count,
                epoch=s.epoch,
                steps_per_sec=self._rate if self.state == RUNNING else 0.0,
                config=s.config,
                loss=last.get("loss"),
                val_loss=s.last_val[0] if s.last_val else None,
                val_acc=s.last_val[1] if s.last_val else None,
                message=self.message,
                events=tuple(s.events),
            )

    # ------------------------------------------------------------------ worker
    def _handle(self, kind: str, value: Any) -> None:
        """Apply one queued request; the lock is held."""
        if kind == "command":
            try:
                event = self.session.apply(value)
            except CommandError as exc:
                self.message = str(exc)
            else:
                self.message = DIVERGED_HINT if self.session.diverged else self.session.warning()
                if self.error is not None and event.kind in ("reset", "seed"):
                    self.error = None
                if self.on_event is not None:
                    self.on_event(event)
        elif kind == "hold-end":
            if value == self._hold:  # nobody paused, skipped or took over meanwhile
                self._paused = self._held = False
        elif kind == "pause":
            self._hold += 1
            self._held = False
            self._paused = bool(value)
        elif kind == "step":
            for _ in range(int(value)):
                if not self._train_one():
                    break
        elif kind == "skip":
            self._end_hold()
            s = self.session
            if (s.diverged or s.stopped_early) and self.schedule:
                # training cannot reach the event: play its commands now (a reset rescues it)
                at = self.schedule[0][0]
                while self.schedule and self.schedule[0][0] == at:
                    self._handle("command", self.schedule.pop(0)[1])
                if not s.diverged:
                    self._paused = False
            elif self.threaded and self._thread is not None:
                self.fast_until = value  # the worker trains to it in lock-sized chunks
            else:
                while self.session.step_count < value and self._train_one():
                    pass
                self._apply_due()  # the event at that step shows at once
        elif kind == "takeover":
            self.schedule.clear()
            self.holds.clear()
            self._end_hold()
            self.fast_until = None
            self.steps_per_second = None
            self.max_steps = None
        elif kind == "restart":
            session, schedule = value
            self.session = session
            self.schedule = sorted(schedule, key=lambda t: t[0])
            self._end_hold()
            self.fast_until = None
            self.error = self.message = None
            if self.records is not None:
                self.records.clear()
            self._rate_mark = (time.perf_counter(), session.step_count)
        self.version += 1

    def _train_one(self) -> bool:
        """One training step with the lock held; False when training cannot go on."""
        s = self.session
        if self.error is not None:
            return False
        # due entries first: a scripted `reset` at this step rescues a diverged run
        if self._apply_due():
            return False  # a hold starts here: paused for the event's seconds
        if s.diverged or s.stopped_early:
            return False
        try:
            record = s.step()
        except Exception as exc:  # a bug in the engine must not take the app down
            self.error = f"{type(exc).__name__}: {exc}"
            self.message = "worker error: " + self.error + " (r resets; --debug for details)"
            self._trace = traceback.format_exc()
            self._paused = True
            return False
        if self.records is not None:
            self.records.append(record)
        if s.diverged:
            self._paused = True
            self.message = DIVERGED_HINT
        elif s.stopped_early:
            self._paused = True
            self.message = s.events[-1].text
        return True

    def _end_hold(self) -> None:
        """Cancel a running hold; a runner paused by it goes on."""
        self._hold += 1
        if self._held:
            self._paused = self._held = False

    def _apply_due(self) -> bool:
        """Apply the scheduled commands due at this step; True if one starts a hold."""
        held = False
        s = self.session
        while self.schedule and self.schedule[0][0] <= s.step_count:
            at, command = self.schedule.pop(0)
            self._handle("command", command)
            seconds = self.holds.pop((at, command), 0.0)
            if seconds > 0:
                self._paused = held = self._held = True
                self._hold += 1
                timer = threading.Timer(seconds, self._post, args=("hold-end", self._hold))
                timer.daemon = True
                timer.start()
        return held

    def _loop(self) -> None:
        with one_blas_thread():
            self._train_loop()

    def _train_loop(self) -> None:
        budget = 0.02  # seconds of training per lock hold; the UI reads in between
        while not self._stop.is_set():
            while True:
                try:
                    kind, value = self._commands.get_nowait()
                except queue.Empty:
                    break
                with self.lock:
                    self._handle(kind, value)
            at_limit = self.max_steps is not None and self.session.step_count >= self.max_steps
            fast = self.fast_until is not None and self.session.step_count < self.fast_until
            if not fast:
                self.fast_until = None
            idle = (self._paused and not fast) or self.state in (DIVERGED, CRASHED, STOPPED)
            if at_limit or idle:
                self._update_rate(force=True)
                self._wake.wait(0.1)
                self._wake.clear()
                continue
            start = time.perf_counter()
            with self.lock:
                done = 0
                while not self._stop.is_set() and self._commands.empty():
                    if not self._train_one():
                        break
                    done += 1
                    if self.max_steps is not None and self.session.step_count >= self.max_steps:
                        break
                    if fast and self.session.step_count >= self.fast_until:  # type: ignore[operator]
                        self._apply_due()  # the event at that step shows at once
                        break
                    paced = self.steps_per_second and not fast
                    if paced or time.perf_counter() - start > budget:
                        break
                self.version += 1
            self._update_rate()
            if self.steps_per_second and not fast:
                delay = done / self.steps_per_second - (time.perf_counter() - start)
                if delay > 0:
                    self._wake.wait(delay)
                    self._wake.clear()
            else:
                # The lock is not fair: without a real pause the worker takes it back before
                # a waiting reader (the UI) wakes up, and the UI starves.
                time.sleep(0.001 if self._readers else 0)

    def _update_rate(self, force: bool = False) -> None:
        now = time.perf_counter()
        t0, s0 = self._rate_mark
        if now - t0 >= 0.5 or force:
            steps = self.session.step_count - s0
            if now > t0 and steps >= 0:
                self._rate = steps / (now - t0) if not force or steps else self._rate
            self._rate_mark = (now, self.session.step_count)

    @property
    def trace(self) -> str | None:
        return getattr(self, "_trace", None)


class _ReaderLock:
    """The runner's lock, counted while a reader waits so the worker can step aside."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    def __enter__(self) -> None:
        r = self.runner
        with r._readers_lock:
            r._readers += 1
        r.lock.acquire()
        with r._readers_lock:
            r._readers -= 1

    def __exit__(self, *exc: object) -> None:
        self.runner.lock.release()
