"""Where trials run: a process pool here, or a Dask cluster; both are plain Executors.

``executor(jobs, address)`` opens one; ``run_all`` keeps a few trials in flight (so a
ctrl+c has little to cancel and a one-job run needs no process at all) and hands every
finished row to a callback in the parent process, which is the only writer of results.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from typing import Any

from bntui.errors import BntuiError
from bntui.experiments.trial import run_trial


class ExecutorError(BntuiError):
    """The executor cannot be opened (bad --jobs, unreachable Dask scheduler, no extra)."""


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class InlineExecutor(Executor):
    """Runs each trial at submit time in this process (``--jobs 1``: no pool to start)."""

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            future.set_exception(exc)
        return future


def _worker_init() -> None:
    # ctrl+c reaches the whole process group: the parent decides, workers keep quiet
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def executor(jobs: int | None = None, address: str | None = None) -> Iterator[Executor]:
    """An Executor for trials. ``address``: ``dask://HOST:PORT`` (or ``tcp://...``)."""
    if address:
        with _dask(address) as ex:
            yield ex
        return
    n = default_jobs() if jobs is None else jobs
    if n < 1:
        raise ExecutorError(f"--jobs must be at least 1, got {n}")
    if n == 1:
        yield InlineExecutor()
        return
    pool = ProcessPoolExecutor(
        max_workers=n,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_worker_init,
    )
    try:
        yield pool
    except BaseException:
        _kill(pool)
        raise
    else:
        pool.shutdown(wait=True)


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop at once: cancel what has not started and end the workers mid-trial."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        with contextlib.suppress(Exception):
            p.terminate()
    for p in processes:
        with contextlib.suppress(Exception):
            p.join(timeout=5)


CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a Dask scheduler's answer ($BNTUI_CONNECT_TIMEOUT overrides)."""


def check_address(address: str) -> str:
    """``dask://HOST:PORT`` (or ``tcp://``) as ``tcp://HOST:PORT``; ExecutorError (a usage
    error: one line, exit 2) for anything else, a missing or impossible port included."""
    scheme, sep, rest = address.partition("://")
    host, colon, port = rest.rpartition(":")
    ok = sep and scheme in ("dask", "tcp") and colon and host.strip("[]") and "/" not in rest
    if not ok or not port.isdigit() or not 0 < int(port) < 65536:
        raise ExecutorError(f"--executor expects dask://HOST:PORT, got {address!r}")
    return f"tcp://{host}:{int(port)}"


def connect_timeout() -> float:
    raw = os.environ.get("BNTUI_CONNECT_TIMEOUT")
    try:
        value = float(raw) if raw else CONNECT_TIMEOUT
    except ValueError:
        value = -1.0
    if not 0 < value < 1e6:
        raise ExecutorError(f"BNTUI_CONNECT_TIMEOUT must be a number of seconds, got {raw!r}")
    return value


def _client(target: str, address: str) -> Any:
    """A distributed Client, or ExecutorError when none answers in ``connect_timeout()``.

    A listener that accepts but never speaks hangs ``Client()`` whatever its timeout, so
    it is made on a daemon thread and abandoned after the deadline."""
    from distributed import Client

    seconds = connect_timeout()
    box: dict[str, Any] = {}

    def make() -> None:
        try:
            box["client"] = Client(target, timeout=f"{seconds}s")
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=make, name="dask-connect", daemon=True)
    thread.start()
    thread.join(seconds + 1)
    if thread.is_alive():
        raise ExecutorError(
            f"no answer from the Dask scheduler at {address} within {seconds:g} s "
            "(BNTUI_CONNECT_TIMEOUT sets the wait)"
        )
    if "error" in box:
        exc = box["error"]
        if isinstance(exc, OSError | TimeoutError | ValueError):
            raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        raise exc
    return box["client"]


@contextlib.contextmanager
def _dask(address: str) -> Iterator[Executor]:
    target = check_address(address)
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ExecutorError(
            "--executor dask://... needs the optional extra: pip install 'bntui[dask]'"
        ) from None
    client = _client(target, address)
    try:
        yield client.get_executor(pure=False)
    finally:
        client.close()


def run_all(
    ex: Executor,
    specs: Iterable[dict[str, Any]],
    on_row: Callable[[dict[str, Any], dict[str, Any]], None],
    *,
    window: int = 4,
) -> None:
    """Run every spec on ``ex``; ``on_row(spec, row)`` for each as it finishes.

    At most ``window`` trials are submitted ahead. A failing trial raises its error here
    after the rows finished before it were handed over; ctrl+c cancels the rest."""
    _windowed(ex, run_trial, specs, on_row, window)


def run_groups(
    ex: Executor,
    tasks: Iterable[list[dict[str, Any]]],
    on_row: Callable[[dict[str, Any], dict[str, Any]], None],
    *,
    window: int = 4,
) -> None:
    """``run_all`` for tasks of several specs each (``trial_stack.groups``): each task
    runs as one ``run_stack`` (a stack of nets, or its specs one by one) and hands over
    ``on_row(spec, row)`` for every spec of the task."""
    from bntui.experiments.trial_stack import run_stack

    def hand_over(task: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        for spec, row in zip(task, rows, strict=True):
            on_row(spec, row)

    _windowed(ex, run_stack, tasks, hand_over, window)


def _windowed(
    ex: Executor,
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    on_result: Callable[[Any, Any], None],
    window: int,
) -> None:
    """``fn(item)`` on ``ex`` for every item, at most ``window`` submitted ahead;
    ``on_result(item, result)`` in submission order among those done at once. A failing
    item raises here; ctrl+c (or any error) cancels what is still pending."""
    pending = iter(items)
    inflight: dict[Future, Any] = {}

    def top_up() -> None:
        while len(inflight) < window:
            item = next(pending, None)
            if item is None:
                return
            inflight[ex.submit(fn, item)] = item

    try:
        top_up()
        while inflight:
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for future in [f for f in inflight if f in done]:  # submission order
                item = inflight.pop(future)
                on_result(item, future.result())
            top_up()
    finally:
        for future in inflight:
            future.cancel()


def window_for(ex: Executor, jobs: int | None) -> int:
    """How many trials to keep submitted: one inline, two per worker otherwise."""
    if isinstance(ex, InlineExecutor):
        return 1
    if isinstance(ex, ProcessPoolExecutor):
        return 2 * (jobs or default_jobs())
    return 64  # a cluster: its scheduler spreads them
