"""Engine benchmarks: parts 1 (vs PyTorch), 2 (statistics cost) and 7 (RSS over 1 M steps).

The nets are the issue's (one spec each, every other Config field at its default):

  a  2 -> 4 x 32 ReLU -> 3, batch 64 (spiral)  — the app's default experiment
  b  2 -> 10 x 64 ReLU -> 3, batch 128 (spiral) — a deep net
  c  784 -> 5 x 100 ReLU -> 10, batch 100 (MNIST-sized synthetic) — DLFS ch. 6
  d  784 -> 3 x 100 sigmoid -> 10, batch 60 (MNIST-sized synthetic) — BLAS-bound

Both sides do the same work per step: batch gather from a shuffled permutation, forward,
softmax cross-entropy, backward, plain SGD, and read the loss back as a Python float.
The bntui side is ``Session.step()`` (it also keeps the metrics record and history, and
computes per-layer statistics every ``stats_every`` steps); validation passes are left out
on both sides (``eval_every`` beyond the run). Both sides run one BLAS/intra-op thread.

Run as a script for the RSS child: ``python bench/engine.py rss --steps N``.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Row, calibrate, check, interleaved, median, quiet_gc, rate, rss_kib

NO_EVAL = 10**9  # eval_every beyond any benchmark run: no validation passes
ROUNDS = 6  # alternating chunks per measurement (see common.interleaved)


@dataclass(frozen=True)
class Net:
    """A benchmark net: a label and the Config fields that differ from the defaults."""

    key: str
    label: str
    fields: dict[str, Any]
    wide_data: bool = False  # needs the 784-D synthetic .npz


NETS = {
    "a": Net("a", "2-4x32-3 relu b64", dict(depth=4, width=32, activation="relu", batch_size=64)),
    "b": Net(
        "b", "2-10x64-3 relu b128", dict(depth=10, width=64, activation="relu", batch_size=128)
    ),
    "c": Net(
        "c",
        "784-5x100-10 relu b100",
        dict(depth=5, width=100, activation="relu", batch_size=100),
        wide_data=True,
    ),
    "d": Net(
        "d",
        "784-3x100-10 sigmoid b60",
        dict(depth=3, width=100, activation="sigmoid", batch_size=60),
        wide_data=True,
    ),
}


class WideData:
    """A 784-feature, 10-class synthetic set saved as .npz (uint8 'images', like MNIST).

    Class prototypes plus noise, so the net actually learns; made once per run.
    """

    def __init__(self, n: int = 6000, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        protos = rng.uniform(0, 255, size=(10, 784))
        y = rng.integers(0, 10, size=n)
        x = np.clip(protos[y] + rng.normal(0, 60, size=(n, 784)), 0, 255).astype(np.uint8)
        self._dir = tempfile.TemporaryDirectory(prefix="bntui-bench-")
        self.path = os.path.join(self._dir.name, "wide.npz")
        np.savez(self.path, x=x, y=y.astype(np.int64))

    def cleanup(self) -> None:
        self._dir.cleanup()


_WIDE: WideData | None = None


def net_config(net: Net, **changes: Any):
    """The Config of a benchmark net (with changes, e.g. bn=False)."""
    from bntui.training.config import Config

    global _WIDE
    fields = dict(net.fields)
    if net.wide_data:
        if _WIDE is None:
            _WIDE = WideData()
        fields.update(dataset="file", data=_WIDE.path)
    fields.update(changes)
    return Config(**fields)


def cleanup() -> None:
    global _WIDE
    if _WIDE is not None:
        _WIDE.cleanup()
        _WIDE = None


def make_session(net: Net, **changes: Any):
    from bntui.training.session import Session

    return Session(net_config(net, **changes))


# --------------------------------------------------------------------------- PyTorch


def torch_available() -> str | None:
    """The torch version, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return str(torch.__version__)


class TorchTrainer:
    """The same net in PyTorch (CPU, 1 thread), initialized with the session's weights."""

    def __init__(self, session) -> None:
        import torch
        from torch import nn

        torch.set_num_threads(1)
        self.torch = torch
        c = session.config
        acts = {
            "relu": nn.ReLU,
            "tanh": nn.Tanh,
            "sigmoid": nn.Sigmoid,
            "leaky_relu": lambda: nn.LeakyReLU(0.01),
            "elu": nn.ELU,
            "gelu": lambda: nn.GELU(approximate="tanh"),
            "identity": nn.Identity,
        }
        layers: list[Any] = []
        model = session.model
        for block in model.blocks:
            lin = block.linear
            t_lin = nn.Linear(lin.in_features, lin.out_features, bias=lin.b is not None)
            with torch.no_grad():
                t_lin.weight.copy_(torch.from_numpy(lin.W.data.T.copy()))
                if lin.b is not None:
                    t_lin.bias.copy_(torch.from_numpy(lin.b.data.copy()))
            layers.append(t_lin)
            bn = (
                nn.BatchNorm1d(lin.out_features, eps=1e-5, momentum=c.bn_momentum) if c.bn else None
            )
            if bn is not None and c.bn_position == "before":
                layers.append(bn)
            layers.append(acts[c.activation]())
            if bn is not None and c.bn_position == "after":
                layers.append(bn)
        head = model.head
        t_head = nn.Linear(head.in_features, head.out_features)
        with torch.no_grad():
            t_head.weight.copy_(torch.from_numpy(head.W.data.T.copy()))
            t_head.bias.copy_(torch.from_numpy(head.b.data.copy()))
        layers.append(t_head)
        self.model = nn.Sequential(*layers).train()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=c.lr)
        self.x = torch.from_numpy(np.array(session.data.x_train, dtype=np.float32))
        self.y = torch.from_numpy(np.array(session.data.y_train, dtype=np.int64))
        self.bs = min(c.batch_size, len(self.y))
        self.gen = torch.Generator().manual_seed(c.seed)
        self.perm = torch.randperm(len(self.y), generator=self.gen)
        self.pos = 0
        self.loss = math.nan

    def step(self) -> None:
        """Gather a batch, forward, softmax-CE, backward, SGD; read the loss back."""
        torch = self.torch
        n = self.y.shape[0]
        if self.pos + self.bs > n:
            self.perm = torch.randperm(n, generator=self.gen)
            self.pos = 0
        idx = self.perm[self.pos : self.pos + self.bs]
        self.pos += self.bs
        logits = self.model(self.x[idx])
        loss = torch.nn.functional.cross_entropy(logits, self.y[idx])
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.loss = loss.item()


def _blas1():
    """A context with one BLAS thread for NumPy (the trainer's setting)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


# --------------------------------------------------------------------------- part 1


def part_engine(nets: list[str], repeats: int, seconds: float) -> list[Row]:
    """Engine steps/s for each net with BN off/on, side by side with PyTorch (1 thread)."""
    torch_version = torch_available()
    cases = []
    for key in nets:
        for bn in (False, True):
            s = make_session(NETS[key], bn=bn, eval_every=NO_EVAL)
            t = TorchTrainer(s) if torch_version else None
            cases.append((key, bn, s, t))
    results: dict[tuple[str, bool], dict[str, list[float]]] = {}
    with quiet_gc(), _blas1():
        sizes = {}
        for key, bn, s, t in cases:  # warm up and size each measurement
            for _ in range(20):
                s.step()
                if t is not None:
                    t.step()
            n_b = calibrate(s.step, seconds)
            n_t = calibrate(t.step, seconds) if t is not None else 0
            sizes[key, bn] = (n_b, n_t)
            results[key, bn] = {"bntui": [], "torch": [], "ratio": []}
        for r in range(repeats):
            for key, bn, s, t in cases:
                n_b, n_t = sizes[key, bn]
                res = results[key, bn]
                if t is None:
                    res["bntui"].append(rate(s.step, n_b))
                    continue
                got = interleaved({"bntui": (s.step, n_b), "torch": (t.step, n_t)}, ROUNDS, r % 2)
                res["bntui"].append(got["bntui"])
                res["torch"].append(got["torch"])
                res["ratio"].append(got["bntui"] / got["torch"])
    rows = []
    for key, bn, s, _t in cases:
        res = results[key, bn]
        need = (2.5 if not bn else 2.0) if key == "a" else (1.3 if bn else None)
        ratio = median(res["ratio"]) if torch_version else None
        note = ""
        if s.diverged:
            note = "the bntui session diverged during the run (figures are not comparable)"
        rows.append(
            Row(
                id=f"engine.{key}.{'bn_on' if bn else 'bn_off'}",
                part=1,
                case=f"net {key} BN {'on ' if bn else 'off'} ({NETS[key].label})",
                value=median(res["bntui"]),
                unit="steps/s",
                ref=median(res["torch"]) if torch_version else None,
                ref_label="torch" if torch_version else "torch not installed",
                ratio=ratio,
                target=f">= {need:.1f}x" if need else "",
                met=check(ratio, ">=", need) if need else None,
                note=note,
                samples=res["bntui"],
            )
        )
    return rows


# --------------------------------------------------------------------------- part 2


def part_stats(nets: list[str], repeats: int, seconds: float) -> list[Row]:
    """Throughput with statistics at the default stride vs none (BN on), and at stride 1."""
    from bntui.training.config import Config

    stride = Config().stats_every
    cases = []
    for key in nets:
        net = NETS[key]
        trio = {
            "default": make_session(net, eval_every=NO_EVAL, stats_every=stride),
            "every": make_session(net, eval_every=NO_EVAL, stats_every=1),
            "none": make_session(net, eval_every=NO_EVAL, stats_every=NO_EVAL),
        }
        cases.append((key, trio))
    rows = []
    with quiet_gc(), _blas1():
        sizes = {}
        for key, trio in cases:
            for s in trio.values():
                for _ in range(2 * stride):
                    s.step()
            # the same number of steps for all three (a multiple of the stride)
            n = calibrate(trio["none"].step, seconds)
            # a multiple of stride x rounds, so every chunk holds whole strides
            unit = stride * ROUNDS
            sizes[key] = max(unit, n - n % unit)
        res: dict[str, dict[str, list[float]]] = {
            key: {"default": [], "every": [], "none": []} for key, _ in cases
        }
        for r in range(repeats):
            for key, trio in cases:
                n = sizes[key]
                got = interleaved({k: (sess.step, n) for k, sess in trio.items()}, ROUNDS, r % 2)
                for name, value in got.items():
                    res[key][name].append(value)
    for key, _trio in cases:
        d = res[key]
        paired = [a / b for a, b in zip(d["default"], d["none"], strict=True)]
        paired1 = [a / b for a, b in zip(d["every"], d["none"], strict=True)]
        ratio, ratio1 = median(paired), median(paired1)
        # stats cost per stats-step, in step-times: (t1 - t0) / t0 = 1/ratio1 - 1;
        # cost at stride s is k/s / (1 + k/s) <= 5 %  <=>  s >= 19 k
        k = 1.0 / ratio1 - 1.0 if ratio1 > 0 else math.nan
        need = math.ceil(19 * k) if math.isfinite(k) and k > 0 else 1
        rows.append(
            Row(
                id=f"stats.{key}",
                part=2,
                case=f"net {key} BN on, stats every {stride}",
                value=median(d["default"]),
                unit="steps/s",
                ref=median(d["none"]),
                ref_label="no stats",
                ratio=ratio,
                target=">= 0.95x",
                met=check(ratio, ">=", 0.95),
                note=(
                    f"cost {100 * (1 - ratio):.1f} %; every step: {100 * (1 - ratio1):.0f} % "
                    f"(one stats pass = {k:.2f} steps); stride >= {need} keeps it <= 5 %"
                ),
                samples=d["default"],
            )
        )
    return rows


# --------------------------------------------------------------------------- part 7


def rss_child(steps: int) -> dict[str, Any]:
    """In a fresh process: RSS after the first step and after ``steps`` headless steps."""
    from bntui.training.session import Session

    with _blas1():
        s = Session(net_config(NETS["a"]))
        s.step()
        gc.collect()
        before = rss_kib()
        peak = before
        t0 = time.perf_counter()
        chunk = max(1, steps // 20)
        done = 1
        while done < steps:
            n = min(chunk, steps - done)
            for _ in range(n):
                s.step()
            done += n
            peak = max(peak, rss_kib())
        seconds = time.perf_counter() - t0
        gc.collect()
        after = rss_kib()
    return {
        "steps": done,
        "before_kib": before,
        "after_kib": after,
        "peak_kib": peak,
        "seconds": seconds,
        "history_bytes": s.history.nbytes,
        "diverged": s.diverged,
    }


def part_rss(steps: int) -> list[Row]:
    """RSS growth over ``steps`` headless steps on net a (default config), in a fresh process."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "rss", "--steps", str(steps)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return [
            Row("rss.a", 7, f"net a, {steps:,} steps", None, "MB", note=f"child failed: {tail}")
        ]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    growth = (out["after_kib"] - out["before_kib"]) / 1024
    limit = 20.0
    return [
        Row(
            id="rss.a",
            part=7,
            case=f"net a, RSS growth over {out['steps']:,} steps",
            value=growth,
            unit="MB",
            ref=out["before_kib"] / 1024,
            ref_label="RSS before",
            target=f"<= {limit:.0f} MB",
            met=check(growth, "<=", limit),
            note=(
                f"before {out['before_kib'] / 1024:.1f} MB, after {out['after_kib'] / 1024:.1f}"
                f" MB, peak {out['peak_kib'] / 1024:.1f} MB; history "
                f"{out['history_bytes'] / 1e6:.2f} MB; {out['steps'] / out['seconds']:,.0f}"
                f" steps/s" + ("; DIVERGED" if out["diverged"] else "")
            ),
        )
    ]


def _main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="engine benchmark child processes")
    p.add_argument("what", choices=["rss"])
    p.add_argument("--steps", type=int, default=1_000_000)
    a = p.parse_args(argv)
    try:
        print(json.dumps(rss_child(a.steps)))
    finally:
        cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
