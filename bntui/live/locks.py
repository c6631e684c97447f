"""What the runner's worker loop keeps besides the session: its lock as readers take it
(counted while a reader waits, so the training loop can step aside: the lock is not fair;
see ``Runner._train_loop``) and its steps-per-second meter."""

from __future__ import annotations

import time
from typing import Any


class ReaderLock:
    """The runner's lock, counted while a reader waits so the worker can step aside."""

    def __init__(self, runner: Any, timeout: float | None = None) -> None:
        self.runner = runner
        self.timeout = timeout  # None: wait as long as it takes
        self.got = False

    def __enter__(self) -> bool:
        """True when the lock is held (always, without a timeout)."""
        r = self.runner
        with r._readers_lock:
            r._readers += 1
        self.got = r.lock.acquire(timeout=-1 if self.timeout is None else self.timeout)
        with r._readers_lock:
            r._readers -= 1
        return self.got

    def __exit__(self, *exc: object) -> None:
        if self.got:
            self.got = False
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
