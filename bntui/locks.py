"""What the runner's worker loop keeps besides the session: its lock as readers take it
(counted while a reader waits, so the training loop can step aside: the lock is not fair;
see ``Runner._train_loop``) and its steps-per-second meter."""

from __future__ import annotations

import time
from typing import Any


class ReaderLock:
    """The runner's lock, counted while a reader waits so the worker can step aside."""

    def __init__(self, runner: Any) -> None:
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


class RateMeter:
    """Steps per second, measured over at least half a second of training."""

    def __init__(self, step: int) -> None:
        self.rate = 0.0
        self.restart(step)

    def restart(self, step: int) -> None:
        self._mark = (time.perf_counter(), step)

    def update(self, step: int, *, force: bool = False) -> None:
        """Measure again when half a second has passed (or now, ``force``: when idle; an
        idle stretch with no steps keeps the last rate)."""
        now = time.perf_counter()
        t0, s0 = self._mark
        if now - t0 >= 0.5 or force:
            steps = step - s0
            if now > t0 and steps >= 0:
                self.rate = steps / (now - t0) if not force or steps else self.rate
            self._mark = (now, step)
