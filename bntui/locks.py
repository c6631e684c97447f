"""The runner's lock as its readers take it: counted while a reader waits, so the
training loop can step aside (the lock is not fair; see ``Runner._train_loop``)."""

from __future__ import annotations

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
