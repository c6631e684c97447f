"""SIGTERM and SIGHUP take the same clean path as ctrl+c.

``with interrupts():`` makes SIGINT, SIGTERM and SIGHUP raise ``Interrupted`` (a
KeyboardInterrupt) in the main thread, so the code that keeps finished rows on ctrl+c
(writers' ``__exit__``, ``finally`` blocks) also runs when a terminal closes or a job is
killed. Once one signal has arrived the program is stopping: a second one (a double
ctrl+c) is noted but does not interrupt the clean-up; a third one raises again, as an
escape hatch. ``exit_status()`` gives the conventional 128 + signal number.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Interrupted(KeyboardInterrupt):
    """A signal turned into the ctrl+c path; ``signum`` says which one."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_received: list[int] = []  # signals seen inside interrupts(), in order


_deferred: list[int] = []  # depth of deferred() blocks (a list: one module-level cell)
_pending: list[int] = []  # a signal that arrived inside one, raised when it ends


def _handler(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    if len(_received) == 2:
        return  # already stopping: let the clean-up finish (a third signal raises)
    if _deferred and len(_received) == 1:
        _pending.append(signum)  # raised when the deferred block ends
        return
    raise Interrupted(signum)


@contextmanager
def deferred() -> Iterator[None]:
    """A block a first signal does not cut in two (one record written to two files: a
    headless replay's ``--metrics`` and ``--out``'s metrics.jsonl must hold the same rows);
    the signal raises ``Interrupted`` when the block ends."""
    _deferred.append(1)
    try:
        yield
    finally:
        _deferred.pop()
    if not _deferred and _pending:
        raise Interrupted(_pending.pop())


@contextmanager
def interrupts() -> Iterator[None]:
    """Inside, SIGINT/SIGTERM/SIGHUP raise ``Interrupted``; handlers restored on exit.

    Outside the main thread (where Python cannot set handlers) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    _pending.clear()
    previous = {s: signal.signal(s, _handler) for s in HANDLED}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def received() -> int | None:
    """The first signal that arrived inside ``interrupts()`` (None if none did)."""
    return _received[0] if _received else None


def exit_status(exc: BaseException | None = None) -> int:
    """128 + the signal that stopped the program (SIGINT, 130, when unknown)."""
    signum = getattr(exc, "signum", None) or received() or signal.SIGINT
    return 128 + int(signum)
