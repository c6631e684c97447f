"""The runner's lock as its readers take it: counted while a reader waits, so the
training loop can step aside (the lock is not fair; see ``Runner._train_loop``)."""

from __future__ import annotations

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
