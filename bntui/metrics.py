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


def _round(x: float) -> float:
    """Six significant digits: compact, and byte-stable in JSON."""
    x = float(x)
    return float(f"{x:.6g}") if math.isfinite(x) else x


def layer_stats(block, activation: str, w_before: np.ndarray | None) -> dict[str, float]:
    """Statistics of one hidden block after a training step (taps set by the forward pass).

    Pooled over every unit of the layer and every sample of the batch.
    """
    z = block.z
    a_in = block.act_in
    flat = a_in.reshape(-1)
    n = flat.size
    # percentiles by partial sort (O(n)) instead of np.percentile (sorts, interpolates)
    ks = [min(n - 1, int(q * (n - 1) + 0.5)) for q in (0.15, 0.5, 0.85)]
    part = np.partition(flat, ks)
    mean = float(flat.mean())
    w = block.linear.W
    wd = w.data
    w_std = float(wd.std())
    g = w.grad
    out: dict[str, float] = {
        "pre_mean": float(z.mean()),
        "pre_std": float(z.std()),
        "mean": mean,
        "std": float(flat.std()),
        "p15": float(part[ks[0]]),
        "p50": float(part[ks[1]]),
        "p85": float(part[ks[2]]),
        "sat": math.nan,
        "grad_norm": float(np.sqrt(np.vdot(g, g))),
        "grad_data": float(g.std()) / w_std if w_std > 0 else math.nan,
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
        out["sat"] = float(np.count_nonzero((a_in > 0).any(axis=0) == 0)) / a_in.shape[1]
    if w_before is not None and w_std > 0:
        du = float((wd - w_before).std())
        out["update"] = math.log10(du / w_std) if du > 0 else -math.inf
    if block.bn is not None:
        out["gamma"] = float(block.bn.gamma.data.mean())
        out["beta"] = float(block.bn.beta.data.mean())
    return {k: _round(v) for k, v in out.items()}


@dataclass
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
    """A bounded series of (step, value) points merged into min/max/sum/last buckets."""

    __slots__ = ("_hi", "_last", "_lo", "_n", "_step", "_sum", "capacity", "count", "width")

    def __init__(self, capacity: int = 1024) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number >= 2")
        self.capacity = capacity
        self.width = 1  # raw points per full bucket
        self.count = 0  # buckets in use
        self._step = np.zeros(capacity, np.int64)
        self._lo = np.zeros(capacity)
        self._hi = np.zeros(capacity)
        self._sum = np.zeros(capacity)
        self._last = np.zeros(capacity)
        self._n = np.zeros(capacity, np.int64)

    def append(self, step: int, value: float) -> None:
        """Add one point; NaN/inf are kept as they are (a diverged run shows as a gap)."""
        i = self.count - 1
        if i >= 0 and self._n[i] < self.width:
            self._step[i] = step
            self._lo[i] = min(self._lo[i], value)
            self._hi[i] = max(self._hi[i], value)
            self._sum[i] += value
            self._last[i] = value
            self._n[i] += 1
            return
        if self.count == self.capacity:
            self._merge_pairs()
        i = self.count
        self._step[i] = step
        self._lo[i] = self._hi[i] = self._sum[i] = self._last[i] = value
        self._n[i] = 1
        self.count += 1

    def _merge_pairs(self) -> None:
        h = self.capacity // 2
        self._step[:h] = self._step[1::2]
        self._lo[:h] = np.minimum(self._lo[0::2], self._lo[1::2])
        self._hi[:h] = np.maximum(self._hi[0::2], self._hi[1::2])
        self._sum[:h] = self._sum[0::2] + self._sum[1::2]
        self._last[:h] = self._last[1::2]
        self._n[:h] = self._n[0::2] + self._n[1::2]
        self.count = h
        self.width *= 2

    def view(self, max_points: int | None = None) -> SeriesView:
        """A copy with at most ``max_points`` buckets (merged further in equal groups)."""
        c = self.count
        step, lo, hi = self._step[:c], self._lo[:c], self._hi[:c]
        total, last, n = self._sum[:c], self._last[:c], self._n[:c]
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
        return SeriesView(step.copy(), lo.copy(), hi.copy(), mean, last.copy())

    @property
    def nbytes(self) -> int:
        return sum(
            a.nbytes for a in (self._step, self._lo, self._hi, self._sum, self._last, self._n)
        )


class History:
    """All series of a session, created on first use: "loss", "val_acc", "L2.std", ..."""

    def __init__(self, capacity: int = 1024) -> None:
        self.capacity = capacity
        self.series: dict[str, Series] = {}

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
                self.add(step, f"L{i}.{key}", value)

    def view(self, name: str, max_points: int | None = None) -> SeriesView | None:
        s = self.series.get(name)
        return None if s is None or s.count == 0 else s.view(max_points)

    def names(self) -> list[str]:
        return list(self.series)

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.series.values())
