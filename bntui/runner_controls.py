"""The runner's typed controls: pause, one step, pace, skip to the next event, take over
a lesson, restart it. ``Runner._handle`` calls ``_on_<kind>`` with the runner's lock held,
between two training steps (a mixin: it uses the runner's state)."""

from __future__ import annotations

import threading
from typing import Any

from bntui.changes import Tracker
from bntui.pair import Pair
from bntui.player import Plan, Schedule
from bntui.timeline import Timeline


class RunnerControls:
    """The ``_on_*`` handlers of ``Runner`` other than commands (see ``Runner._handle``)."""

    pair: Any
    session: Any

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
        self.pair = Pair(plan.config, timeline=Timeline())
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
