"""Timed sides of the engine benchmark, each in a worker process: ``python bench/sides.py
worker --root DIR`` imports ``bntui`` from DIR (this checkout, or the previous engine
extracted by ``versions.py``) and answers JSON lines on stdin:

  {"op": "make", "name": N, "kind": K, "config": {...}}  -> {"ok": true, "path": ...}
  {"op": "run", "name": N, "steps": S}                   -> {"seconds": t, "steps": S}
  {"op": "bye"}

The kinds (every side trains with one BLAS / intra-op thread):

  e2e    what ``bntui run`` trains: the CLI's loop (``player.play`` with the CLI's
         ``Watch`` on each record, no progress bar) over the config with its default
         evaluation and statistics strides; an engine without ``player`` (the previous
         release) takes its own CLI loop, ``Session.step()``
  bare   ``Session.step()`` (or the twins' step) with evaluation, statistics, ICS and
         smoothness off: the training step alone
  torch  the same net in PyTorch CPU (``torch_net.TorchTrainer``, same initial weights),
         with the same evaluation at the same strides as e2e (val loss/acc every
         eval_every steps, accuracy on bntui's training sample at every 10th), no
         per-layer statistics
  torch-bare  the PyTorch step alone

The parent (``engine.part_engine``) interleaves the sides' chunks round by round, so a
burst of load on a shared machine hits every side alike, and reports paired ratios.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NO_EVAL = 10**9


class SideError(Exception):
    """A side cannot be made on this engine (e.g. a config field it does not know)."""


# --------------------------------------------------------------------------- worker side


def _config(fields: dict[str, Any]):
    from bntui.training.config import Config

    try:
        return Config(**fields)
    except TypeError as exc:  # an older engine without some field
        raise SideError(f"this engine has no such config field ({exc})") from None


class _E2E:
    """The CLI's training loop on a config (defaults for evaluation and statistics)."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields
        self.restarts = 0
        self._build()

    def _build(self) -> None:
        config = _config(self.fields)
        try:
            from bntui.cli.run import Watch
            from bntui.training.pair import Pair
            from bntui.training.player import play_commands
        except ImportError:  # the previous engine: its `bntui run` looped on Session.step
            if config_has(self.fields, "compare"):
                raise SideError("this engine has no compare mode") from None
            from bntui.training.session import Session

            self.session, self.play, self.path = Session(config), None, "Session.step"
            return
        self.session = Pair(config)
        watch = Watch()
        self.on_record = lambda records: watch.record(records[0])
        self.play, self.path = play_commands, "player.play + Watch"

    def run(self, steps: int) -> None:
        s = self.session
        goal = s.step_count + steps
        while s.step_count < goal:
            if s.diverged or s.stopped_early:  # a fresh start keeps the work comparable
                self.restarts += 1
                left = goal - s.step_count
                self._build()
                s = self.session
                goal = s.step_count + left
            if self.play is None:
                s.step()
            else:
                self.play(s, [], until=goal, on_record=self.on_record)


def config_has(fields: dict[str, Any], key: str) -> bool:
    return fields.get(key) is not None


class _Bare:
    """The training step alone: no evaluation, statistics, ICS or smoothness."""

    def __init__(self, fields: dict[str, Any]) -> None:
        quiet = dict(fields, eval_every=NO_EVAL, stats_every=NO_EVAL)
        quiet.pop("ics_every", None)
        quiet.pop("smooth_every", None)
        self.fields, self.restarts = quiet, 0
        self._build()

    def _build(self) -> None:
        config = _config(self.fields)
        if config_has(self.fields, "compare"):
            from bntui.training.pair import Pair

            self.session, self.path = Pair(config), "Pair.step"
        else:
            from bntui.training.session import Session

            self.session, self.path = Session(config), "Session.step"

    def run(self, steps: int) -> None:
        for _ in range(steps):
            if self.session.diverged or self.session.stopped_early:
                self.restarts += 1
                self._build()
            self.session.step()


class _Torch:
    """PyTorch (1 thread) on the bntui session's net, with or without its evaluation."""

    def __init__(self, fields: dict[str, Any], *, evaluate: bool) -> None:
        for key in ("compare", "ics_every", "smooth_every"):
            if config_has(fields, key):
                raise SideError(f"no PyTorch loop for {key}")
        from torch_net import TorchTrainer

        from bntui.training.session import Session

        session = Session(_config(fields))
        c = session.config
        if c.optimizer != "sgd" or c.normalization not in ("bn", "none") or c.dropout:
            raise SideError("the PyTorch loop covers plain SGD, BN or none, no dropout")
        self.trainer = TorchTrainer(session)
        self.path = "torch " + str(self.trainer.torch.__version__)
        self.every = c.eval_every if evaluate else None
        # the train sample at every k-th evaluation, as the session's records take it
        import bntui.training.session

        self.sample_every = c.eval_every * getattr(bntui.training.session, "TRAIN_EVAL_EVALS", 1)
        self.done = 0
        if evaluate:
            import numpy as np

            t = self.trainer.torch
            xs, ys = session.train_eval_sample()
            self.eval_sets = [
                (t.from_numpy(np.array(session.data.x_val, np.float32)),
                 t.from_numpy(np.array(session.data.y_val, np.int64))),
                (t.from_numpy(np.array(xs, np.float32)), t.from_numpy(np.array(ys, np.int64))),
            ]  # fmt: skip
        self.values: list[float] = []

    def _evaluate(self) -> None:
        t, model = self.trainer.torch, self.trainer.model
        model.eval()
        sets = self.eval_sets if self.done % self.sample_every == 0 else self.eval_sets[:1]
        with t.no_grad():
            for x, y in sets:
                for start in range(0, len(y), 4096):
                    logits = model(x[start : start + 4096])
                    yc = y[start : start + 4096]
                    loss = t.nn.functional.cross_entropy(logits, yc).item()
                    acc = int((logits.argmax(1) == yc).sum())
                    self.values.append(loss + acc)
        del self.values[:-4]
        model.train()

    def run(self, steps: int) -> None:
        for _ in range(steps):
            self.trainer.step()
            self.done += 1
            if self.every and self.done % self.every == 0:
                self._evaluate()


def _make(kind: str, fields: dict[str, Any]):
    if kind == "e2e":
        return _E2E(fields)
    if kind == "bare":
        return _Bare(fields)
    if kind in ("torch", "torch-bare"):
        return _Torch(fields, evaluate=kind == "torch")
    raise SideError(f"unknown kind {kind!r}")


def worker(root: str) -> int:
    """Serve the parent's requests on stdin/stdout (one JSON object per line)."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, root)
    import bntui

    where = str(Path(bntui.__file__).resolve())
    if not where.startswith(str(Path(root).resolve())):
        print(json.dumps({"error": f"bntui imported from {where}, not {root}"}), flush=True)
        return 1
    from threadpoolctl import threadpool_limits

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    sides: dict[str, Any] = {}
    print(json.dumps({"ok": True, "bntui": where}), flush=True)
    with threadpool_limits(limits=1, user_api="blas"):
        for line in sys.stdin:
            req = json.loads(line)
            op = req.get("op")
            try:
                if op == "make":
                    side = sides[req["name"]] = _make(req["kind"], req["config"])
                    gc.collect()
                    reply: dict[str, Any] = {"ok": True, "path": side.path}
                elif op == "run":
                    side = sides[req["name"]]
                    gc.collect()
                    t0 = time.perf_counter()
                    side.run(int(req["steps"]))
                    seconds = time.perf_counter() - t0
                    reply = {"seconds": seconds, "restarts": getattr(side, "restarts", 0)}
                elif op == "drop":
                    sides.pop(req["name"], None)
                    gc.collect()
                    reply = {"ok": True}
                elif op == "bye":
                    print(json.dumps({"ok": True}), flush=True)
                    return 0
                else:
                    reply = {"error": f"unknown op {op!r}"}
            except SideError as exc:
                reply = {"error": str(exc)}
            except Exception as exc:  # a side that breaks is reported, the others go on
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(reply), flush=True)
    return 0


# --------------------------------------------------------------------------- parent side


class Worker:
    """A worker process importing bntui from ``root``; requests are answered in order."""

    def __init__(self, root: str | Path, label: str) -> None:
        self.label = label
        env = dict(os.environ, PYTHONPATH=str(root))
        env.pop("OMP_NUM_THREADS", None)
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "worker", "--root", str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=str(HERE.parent),
        )
        hello = self._read()
        if "error" in hello:
            raise SideError(f"{label}: {hello['error']}")

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SideError(f"{self.label}: the worker exited (status {self.proc.poll()})")
        return json.loads(line)

    def ask(self, **req: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def make(self, name: str, kind: str, config: dict[str, Any]) -> str:
        """Make a side; its code path, or SideError saying why it cannot be made."""
        reply = self.ask(op="make", name=name, kind=kind, config=config)
        if "error" in reply:
            raise SideError(reply["error"])
        return reply["path"]

    def seconds(self, name: str, steps: int) -> float:
        reply = self.ask(op="run", name=name, steps=steps)
        if "error" in reply:
            raise SideError(reply["error"])
        return float(reply["seconds"])

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(SideError, OSError, ValueError):
                self.ask(op="bye")
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def lcm(*xs: int) -> int:
    out = 1
    for x in xs:
        out = out * x // math.gcd(out, x)
    return out


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "worker" and sys.argv[2] == "--root":
        raise SystemExit(worker(sys.argv[3]))
    print("usage: python bench/sides.py worker --root DIR (started by bench/run.py)")
    raise SystemExit(2)
