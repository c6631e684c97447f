"""The costly parts of a Frame (decision map, histograms), made by the worker on a budget.

A decision map of a 32×1024 net costs seconds (about 1.7 ms per grid point here), so in a
threaded runner the UI thread never computes one: ``ask(needs)`` only notes what the
visible panels want (the latest request replaces any older one: coalesced) and the
worker thread makes it between training chunks, a few grid points per lock hold, checking
the stop event between chunks (quitting never waits behind a map). A map is computed at
most at ``budget`` seconds of work: a bigger grid is computed coarser and scaled up to the
size asked for, and after a map the worker trains for at least ``REST`` × its cost before
the next one. The UI gets the newest finished parts, resized to what it asked for.
No Textual and no Rich in here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from bntui.i18n.message import Msg
from bntui.live.frame import Needs, _histograms, not_2d
from bntui.training.metrics import read_only

REST = 3.0  # after a map costing t seconds, train at least REST × t before the next one
MIN_GAP = 0.5  # seconds between two maps of a net that keeps training
CHUNK_SECONDS = 0.05  # one lock hold of map work
EXPIRES = 5.0  # seconds a request for a map lives without being asked again (view left)


class HeavyWork:
    """The newest decision map / histograms and the request for the next ones."""

    def __init__(self, budget: float = 1.0) -> None:
        self.budget = budget  # seconds of work per map at most
        self.want: tuple[tuple[int, int] | None, int] = (None, 0)
        self.asked_at = 0.0
        self.parts: dict[str, Any] = {}
        self.made_for: tuple | None = None  # (state key, want) of ``parts``
        self.version = 0  # increases with every finished part
        self.cost: float | None = None  # seconds per grid point of the last map
        self.last_seconds = 0.0
        self.slowest_chunk = 0.0  # seconds of the longest lock hold of map work so far
        self.next_at = 0.0
        self.maps = 0

    # ------------------------------------------------------------------ UI side
    def ask(self, needs: Needs) -> bool:
        """Note a request for a map or histograms; True if it is new (wake the worker).
        Requests without them change nothing: a request lives ``EXPIRES`` seconds."""
        if needs.decision is None and not needs.hist_bins:
            return False
        want = (needs.decision, needs.hist_bins)
        changed = want != self.want or time.monotonic() - self.asked_at > EXPIRES
        self.want, self.asked_at = want, time.monotonic()
        return changed

    def attach(self, needs: Needs) -> dict[str, Any]:
        """The newest parts for ``needs`` (maps scaled to the size asked for)."""
        out: dict[str, Any] = {}
        if needs.decision is not None:
            if "decision_error" in self.parts:
                out["decision_error"] = self.parts["decision_error"]
            elif "decision" in self.parts:
                out["decision"] = resized(self.parts["decision"], *needs.decision)
            else:
                out["decision_error"] = Msg("computing the decision map …")
        if needs.hist_bins and "histograms" in self.parts:
            out["histograms"] = self.parts["histograms"]
        return out

    # ------------------------------------------------------------------ worker side
    def due(self, state: tuple) -> bool:
        """Something is asked for and what we have is older than the session's ``state``
        (step, config, events) or made for another request; the pace rule holds."""
        decision, bins = self.want
        if (decision is None and not bins) or time.monotonic() - self.asked_at > EXPIRES:
            return False  # nobody looks at them
        if self.made_for is not None and self.made_for == (state, self.want):
            return False
        if self.made_for is not None and self.made_for[1] == self.want:
            same_net = self.made_for[0][1:] == state[1:]  # only trained on since
            if same_net and time.monotonic() < self.next_at:
                return False
        return True

    def work(self, runner: Any) -> bool:
        """In the runner's worker loop: make what is due; True if it worked on it."""
        s = runner.session
        state = (s.step_count, s.config, len(s.events))
        if not self.due(state):
            return False
        if self.compute(s, state, runner.lock, runner._stop.is_set):
            with runner.lock:
                runner.version += 1
        return True

    def compute(
        self,
        session: Any,
        state: tuple,
        lock: AbstractContextManager,
        stopped: Callable[[], bool],
    ) -> bool:
        """Make the parts asked for (call in the worker thread, lock *not* held); False if
        stopped midway (nothing published). The session does not train meanwhile: only
        this thread trains it."""
        want = self.want
        decision, bins = want
        parts: dict[str, Any] = {}
        started = time.perf_counter()
        with lock:
            if bins:
                parts["histograms"] = tuple(_histograms(session, bins))
            if decision is not None and not session.data.is_2d:
                parts["decision_error"] = not_2d(session)
        if decision is not None and "decision_error" not in parts:
            grid = self._decision(session, *decision, lock=lock, stopped=stopped)
            if grid is None:
                return False
            parts["decision"] = grid
        seconds = time.perf_counter() - started
        self.parts, self.made_for = parts, (state, want)
        self.version += 1
        self.last_seconds = seconds
        self.next_at = time.monotonic() + max(MIN_GAP, REST * seconds)
        return True

    def _decision(
        self,
        session: Any,
        cols: int,
        rows: int,
        *,
        lock: AbstractContextManager,
        stopped: Callable[[], bool],
    ) -> dict[str, Any] | None:
        with lock:
            if self.cost is None:  # a first guess: ~20 GFLOP/s on one BLAS thread
                n = sum(int(np.size(p.data)) for p in session.model.parameters())
                self.cost = max(n, 1) * 2 / 2e10
            cost = self.cost
            c, r = budgeted(cols, rows, self.budget / cost)
            x = session.data.x_train
            lo, hi = x.min(axis=0), x.max(axis=0)
            pad = (hi - lo) * 0.1
            lo, hi = lo - pad, hi + pad
            gx = np.linspace(lo[0], hi[0], c, dtype=session.dtype)
            gy = np.linspace(hi[1], lo[1], r, dtype=session.dtype)
            xx, yy = np.meshgrid(gx, gy)
            points = np.stack([xx.ravel(), yy.ravel()], axis=1)
            base = {"lo": lo, "hi": hi, "points": x, "labels": session.data.y_train}
            base = {k: read_only(np.array(v, copy=True)) for k, v in base.items()}
        chunk = max(1, int(CHUNK_SECONDS / cost))
        out = []
        started = time.perf_counter()
        for i in range(0, len(points), chunk):
            if stopped():
                return None
            elapsed = time.perf_counter() - started
            if i and elapsed > 3 * self.budget:  # the guess was far off: retry coarser
                self.cost = elapsed / i
                return None
            held = time.perf_counter()
            with lock:
                out.append(session.predict_proba(points[i : i + chunk]))
            self.slowest_chunk = max(self.slowest_chunk, time.perf_counter() - held)
        seconds = time.perf_counter() - started
        self.cost = max(seconds / max(len(points), 1), 1e-9)
        self.maps += 1
        proba = np.concatenate(out).reshape(r, c, -1)
        return {"proba": read_only(proba), "computed": (c, r), **base}


def budgeted(cols: int, rows: int, points: float) -> tuple[int, int]:
    """``cols``×``rows`` scaled down (aspect kept) to at most ``points`` grid points."""
    points = max(points, 16.0)
    if cols * rows <= points:
        return cols, rows
    f = math.sqrt(points / (cols * rows))
    return max(2, int(cols * f)), max(2, int(rows * f))


def resized(decision: dict[str, Any], cols: int, rows: int) -> dict[str, Any]:
    """The map with its probabilities scaled (nearest grid point) to ``rows``×``cols``."""
    proba = decision["proba"]
    r, c = proba.shape[:2]
    if (r, c) == (rows, cols):
        return decision
    ri = np.minimum((np.arange(rows) * r) // max(rows, 1), r - 1)
    ci = np.minimum((np.arange(cols) * c) // max(cols, 1), c - 1)
    return {**decision, "proba": read_only(proba[ri][:, ci])}
