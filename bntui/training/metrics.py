"""What is measured: per-layer statistics and a bounded, min/max-bucketed history.

Layer statistics are far costlier than a small training step, so the Session computes
them only every ``stats_every`` steps (a deterministic stride). The history keeps at most
``capacity`` buckets per series: when full, neighbouring buckets merge pairwise, each
keeping its min, max, sum and last value, so a million-step session stays small and a
chart never draws more points than it has columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Which activations saturate (report a saturated fraction) and which can die (dead units).
SATURATING = {"sigmoid": (0.02, 0.98), "tanh": (-0.98, 0.98)}
CAN_DIE = ("relu", "leaky_relu", "elu", "gelu")
GROW_FROM = 16  # a series' first bucket array (it doubles up to the capacity)

LAYER_KEYS = (
    "pre_mean",  # mean of the Linear output (pre-BN)
    "pre_std",
    "mean",  # mean of the activation's input
    "std",
    "p15",
    "p50",
    "p85",
    "sat",  # saturated (sigmoid/tanh) or dead (ReLU family) fraction, NaN for identity
    "grad_norm",  # ||dL/dW||
    "grad_data",  # std(dW) / std(W)
    "update",  # log10(std(ΔW) / std(W))
    "gamma",  # mean BN gamma (NaN without BN)
    "beta",
)


def layer_metric(index: int, key: str) -> str:
    """The name of a per-layer series or column: ``layer_metric(2, "std") == "L2.std"``."""
    return f"L{index}.{key}"


def parse_layer_metric(name: str) -> tuple[int, str] | None:
    """``"L2.std"`` -> ``(2, "std")``; None for any other name (``val_acc``, ``L.x``, ``Lx.y``)."""
    head, dot, key = name.partition(".")
    if not dot or not key or head[:1] != "L" or not head[1:].isdigit():
        return None
    return int(head[1:]), key


def layer_value(record: dict, index: int, key: str) -> float | None:
    """Statistic ``key`` of hidden layer ``index`` (1-based) in a step record, or None."""
    layers = record.get("layers")
    if not layers or not 1 <= index <= len(layers):
        return None
    value = layers[index - 1].get(key)
    return None if value is None else float(value)


def read_only(a: np.ndarray) -> np.ndarray:
    """``a`` flagged unwritable (a Frame's arrays are copies nobody may change)."""
    a.setflags(write=False)
    return a


def _round(x: float) -> float:
    """Six significant digits: compact, and byte-stable in JSON."""
    x = float(x)
    return float(f"{x:.6g}") if math.isfinite(x) else x


def _mean_std(a: np.ndarray) -> tuple[float, float]:
    """Mean and population std of all entries of ``a``, in two passes.

    mean = sum(x) / n;  std = sqrt(sum((x - mean)^2) / n). Three small array operations
    (``ndarray.std`` takes a dozen), and centring first avoids the cancellation of
    E[x^2] - E[x]^2.
    """
    flat = a.reshape(-1)
    n = flat.size
    mean = float(np.add.reduce(flat)) / n  # (ndarray.sum without its Python wrapper)
    d = flat - mean  # a Python float keeps float32 arrays float32
    return mean, math.sqrt(float(np.vdot(d, d)) / n)


def layer_stats(block, activation: str, w_before: np.ndarray | None) -> dict[str, float]:
    """Statistics of one hidden block after a training step (taps set by the forward pass).

    Pooled over every unit of the layer and every sample of the batch.
    """
    a_in = block.act_in
    flat = a_in.reshape(-1)
    n = flat.size
    # percentiles as order statistics (nearest rank): one sort is cheaper than a
    # multi-k partition (NumPy's float sort is vectorized)
    ks = [min(n - 1, int(q * (n - 1) + 0.5)) for q in (0.15, 0.5, 0.85)]
    srt = np.sort(flat)
    pre_mean, pre_std = _mean_std(block.z)
    mean, std = _mean_std(flat)
    w = block.linear.W
    wd = w.data
    g = w.grad
    w_std = _mean_std(wd)[1]
    gd = float(np.vdot(g, g))
    out: dict[str, float] = {
        "pre_mean": pre_mean,
        "pre_std": pre_std,
        "mean": mean,
        "std": std,
        "p15": float(srt[ks[0]]),
        "p50": float(srt[ks[1]]),
        "p85": float(srt[ks[2]]),
        "sat": math.nan,
        "grad_norm": math.sqrt(gd),  # ||dL/dW||_F
        "grad_data": _mean_std(g)[1] / w_std if w_std > 0 else math.nan,
        "update": math.nan,
        "gamma": math.nan,
        "beta": math.nan,
    }
    if activation in SATURATING:
        lo, hi = SATURATING[activation]
        a_out = block.act_out
        out["sat"] = float(np.count_nonzero((a_out <= lo) | (a_out >= hi))) / a_out.size
    elif activation in CAN_DIE:
        # a unit is dead on this batch when its input is <= 0 for every sample
        out["sat"] = float(np.count_nonzero(np.maximum.reduce(a_in, axis=0) <= 0)) / a_in.shape[1]
    if w_before is not None and w_std > 0:
        du = _mean_std(wd - w_before)[1]
        ratio = du / w_std if du > 0 else 0.0  # (0 also when it underflows: a diverged run)
        out["update"] = math.log10(ratio) if ratio != 0 else -math.inf
    if block.bn is not None:
        gamma, beta = block.bn.gamma.data, block.bn.beta.data
        out["gamma"] = float(np.add.reduce(gamma)) / gamma.size
        out["beta"] = float(np.add.reduce(beta)) / beta.size
    return {k: _round(v) for k, v in out.items()}


@dataclass(frozen=True)
class SeriesView:
    """A read-only, downsampled copy of one series: one entry per bucket."""

    step: np.ndarray  # last step in the bucket
    lo: np.ndarray
    hi: np.ndarray
    mean: np.ndarray
    last: np.ndarray

    def __len__(self) -> int:
        return int(self.step.size)


class Series:
    """A bounded series of (step, value) points merged into min/max/sum/last buckets.

    Closed buckets live in one (6, m) NumPy array, rows step, lo, hi, sum, last, n (steps
    and counts < 2**53: exact in float64), m growing to ``capacity`` as buckets close; the
    open bucket (still taking points) is kept in plain Python numbers, so an append is a
    few float operations and touches the array only when a bucket closes.

    Checkpoints (``snapshot``) share that array instead of copying it: within one
    generation (between two pairwise merges) a closed bucket is never written again, and a
    merge writes a new array, so a snapshot's first ``closed`` columns stay as they were.
    ``restored`` copies those columns into an array of its own (the restored series writes
    on from there while later snapshots of the old run still read theirs).
    """

    __slots__ = (
        "_a",
        "_closed",
        "_hi",
        "_last",
        "_lo",
        "_n",
        "_o",
        "_shared",
        "_step",
        "_sum",
        "capacity",
        "width",
    )

    def __init__(self, capacity: int = 1024) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number >= 2")
        self.capacity = capacity
        self.width = 1  # raw points per full bucket
        self._closed = 0  # closed buckets in the array
        # the open bucket: [step, lo, hi, sum, last, n] (n == 0: no open bucket)
        self._o: list = [0, 0.0, 0.0, 0.0, 0.0, 0]
        self._use(np.zeros((6, min(capacity, GROW_FROM))))

    def __getstate__(self) -> tuple:
        # (copies and pickles rebuild the row views of their own array in __setstate__)
        return self.capacity, self.width, self._closed, self._o, self._a

    def __setstate__(self, state: tuple) -> None:
        self.capacity, self.width, self._closed, o, a = state
        self._o = list(o)
        self._use(a)

    def _use(self, a: np.ndarray) -> None:
        """Store the buckets in ``a`` (no snapshot shares it yet)."""
        self._a = a
        self._step, self._lo, self._hi, self._sum, self._last, self._n = a
        self._shared = False

    @property
    def count(self) -> int:
        """Buckets in use (the open one included)."""
        return self._closed + (1 if self._o[5] else 0)

    @property
    def last(self) -> float:
        """The newest value (NaN when empty)."""
        return float(self._last[self.count - 1]) if self.count else math.nan

    @property
    def last_step(self) -> int:
        """The step of the newest value (-1 when empty)."""
        if self._o[5]:
            return int(self._o[0])
        return int(self._step[self._closed - 1]) if self._closed else -1

    def append(self, step: int, value: float) -> None:
        """Add one point; NaN/inf are kept as they are (a diverged run shows as a gap)."""
        o = self._o
        if o[5]:  # the open bucket takes it: min/max as the builtins (NaN never replaces)
            o[0] = step
            if value < o[1]:
                o[1] = value
            if value > o[2]:
                o[2] = value
            o[3] += value
            o[4] = value
            o[5] += 1
        else:
            if self._closed == self.capacity:
                self._merge_pairs()
            elif self._closed == self._a.shape[1]:
                self._grow(2 * self._closed)
            self._o = o = [step, value, value, value, value, 1]
        self._last[self._closed] = value  # _last[count - 1] is always the newest value
        if o[5] >= self.width:
            self._close()

    def _close(self) -> None:
        i = self._closed
        o = self._o
        self._step[i], self._lo[i], self._hi[i] = o[0], o[1], o[2]
        self._sum[i], self._last[i], self._n[i] = o[3], o[4], o[5]
        self._closed = i + 1
        o[5] = 0

    def _grow(self, columns: int) -> None:
        """Room for more buckets, in a new array (snapshots keep the old one)."""
        a = np.empty((6, min(self.capacity, columns)))
        a[:, : self._closed] = self._a[:, : self._closed]
        self._use(a)

    def _merge_pairs(self) -> None:
        """Merge neighbouring buckets pairwise, into a new array (snapshots keep the old)."""
        h = self.capacity // 2
        old = self._a
        a = np.zeros_like(old) if self._shared else old
        step, lo, hi, total, last, n = old
        a[0, :h] = step[1::2]
        a[1, :h] = np.minimum(lo[0::2], lo[1::2])
        a[2, :h] = np.maximum(hi[0::2], hi[1::2])
        a[3, :h] = total[0::2] + total[1::2]
        a[4, :h] = last[1::2]
        a[5, :h] = n[0::2] + n[1::2]
        self._use(a)
        self._closed = h
        self.width *= 2

    def _arrays(self) -> tuple[np.ndarray, ...]:
        """Copies of (step, lo, hi, sum, last, n), the open bucket appended."""
        c = self.count
        if self._o[5]:
            a = self._a[:, :c].copy()
            a[:, c - 1] = self._o
        else:
            a = self._a[:, :c]
        step, lo, hi, total, last, n = a
        return (step.astype(np.int64), lo.copy(), hi.copy(), total.copy(), last.copy(),
                n.astype(np.int64))  # fmt: skip

    def view(self, max_points: int | None = None) -> SeriesView:
        """A copy with at most ``max_points`` buckets (merged further in equal groups)."""
        step, lo, hi, total, last, n = self._arrays()
        c = step.size
        if max_points is not None and max_points > 0 and c > max_points:
            group = -(-c // max_points)  # ceil
            edges = np.arange(0, c, group)
            ends = np.minimum(edges + group, c) - 1
            step, last = step[ends], last[ends]
            lo = np.minimum.reduceat(lo, edges)
            hi = np.maximum.reduceat(hi, edges)
            total = np.add.reduceat(total, edges)
            n = np.add.reduceat(n, edges)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / np.maximum(n, 1)
        return SeriesView(*(read_only(a) for a in (step, lo, hi, mean, last)))

    @property
    def nbytes(self) -> int:
        return self._a.nbytes

    def _capture(self) -> tuple[np.ndarray, int]:
        """The bucket array, shared with a checkpoint from now on (see the class docstring),
        and its bytes if this is the first capture to share it (else 0)."""
        fresh = 0 if self._shared else self._a.nbytes
        self._shared = True
        return self._a, fresh

    @classmethod
    def _restored(
        cls, capacity: int, width: int, closed: int, open_: list, buckets: np.ndarray
    ) -> Series:
        """The series as captured: the first ``closed`` columns of ``buckets`` copied into an
        array of its own, and the open bucket."""
        s = cls.__new__(cls)
        s.capacity, s.width, s._closed, s._o = capacity, width, closed, open_
        a = np.empty((6, min(capacity, max(GROW_FROM, closed + closed // 2 + 1))))
        a[:, :closed] = buckets[:, :closed]
        s._use(a)
        if open_[5]:
            s._last[closed] = open_[4]
        return s


@dataclass(frozen=True, slots=True)
class HistorySnapshot:
    """A History captured for a checkpoint (``History.snapshot``), packed: a few objects
    whatever the number of series (a checkpoint's objects are what Python's cycle
    collector walks), the bucket arrays shared, not copied."""

    capacity: int
    names: tuple[str, ...]  # the series, in creation order (shared while unchanged)
    meta: np.ndarray  # (series, 8) float64: width, closed, open bucket (step lo hi sum last n)
    buckets: tuple[np.ndarray, ...]  # each series' bucket array (first ``closed`` columns)
    fresh_bytes: int  # bytes of bucket arrays no earlier snapshot shares
    odd: tuple[tuple[int, tuple], ...] = ()  # open buckets not all floats, kept exactly


class History:
    """All series of a session, created on first use: "loss", "val_acc", "L2.std", ..."""

    def __init__(self, capacity: int = 1024) -> None:
        self.capacity = capacity
        self.series: dict[str, Series] = {}
        self._names: tuple[str, ...] = ()  # the names of the last snapshot

    def add(self, step: int, name: str, value: float) -> None:
        s = self.series.get(name)
        if s is None:
            s = self.series[name] = Series(self.capacity)
        s.append(step, value)

    def add_record(self, record: dict) -> None:
        """Add the scalar fields of a step record and its per-layer statistics."""
        step = record["step"]
        for key in ("loss", "acc", "val_loss", "val_acc", "lr"):
            if key in record:
                self.add(step, key, record[key])
        for i, layer in enumerate(record.get("layers", ()), start=1):
            for key, value in layer.items():
                self.add(step, layer_metric(i, key), value)

    def view(self, name: str, max_points: int | None = None) -> SeriesView | None:
        s = self.series.get(name)
        return None if s is None or s.count == 0 else s.view(max_points)

    def names(self) -> list[str]:
        return list(self.series)

    def snapshot(self) -> HistorySnapshot:
        """Every series captured, packed (see ``HistorySnapshot``)."""
        rows, arrays, odd, fresh = [], [], [], 0
        for i, s in enumerate(self.series.values()):
            o = s._o
            if not all(type(v) is float for v in o[1:5]):  # (exact as it is, not as float64)
                odd.append((i, tuple(o)))
            rows.append((s.width, s._closed, *o))
            a, new = s._capture()
            arrays.append(a)
            fresh += new
        names = tuple(self.series)
        if names == self._names:
            names = self._names  # one tuple for every snapshot while no series is added
        self._names = names
        meta = np.array(rows, dtype=np.float64).reshape(len(rows), 8)
        return HistorySnapshot(self.capacity, names, meta, tuple(arrays), fresh, tuple(odd))

    @classmethod
    def restored(cls, snap: HistorySnapshot) -> History:
        """The history as it was when ``snap`` was taken."""
        h = cls(snap.capacity)
        odd = dict(snap.odd)
        for i, (name, row, buckets) in enumerate(
            zip(snap.names, snap.meta.tolist(), snap.buckets, strict=True)
        ):
            if i in odd:
                open_ = list(odd[i])
            else:
                open_ = [int(row[2]), row[3], row[4], row[5], row[6], int(row[7])]
            h.series[name] = Series._restored(
                snap.capacity, int(row[0]), int(row[1]), open_, buckets
            )
        return h

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.series.values())
