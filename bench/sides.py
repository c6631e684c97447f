"""Timed sides of the engine benchmark, each in a worker process: ``python bench/sides.py
worker --root DIR`` imports ``bntui`` from DIR (this checkout, or the previous engine
extracted by ``versions.py``) and answers JSON lines on stdin:

  {"op": "make", "name": N, "kind": K, "config": {...}}  -> {"ok": true, "path": ...}
  {"op": "run", "name": N, "steps": S}     -> {"seconds": wall, "cpu": process time}
  {"op": "where"}                 -> {"bntui": FILE, "strays": [modules from elsewhere]}
  {"op": "bye"}

Each engine runs in its own interpreter (``python -I``) that can import ``bntui`` from DIR
only (``isolate``): an editable install's import hooks, which would serve any module DIR's
package lacks from the installed tree, are dropped, and a side whose making loaded a
``bntui`` module from anywhere else is refused. The previous release kept its modules
elsewhere (``bntui.session``, ``bntui.config``): ``_engine_module`` finds them.

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


def _engine_module(new: str, old: str):
    """A module of the engine this worker imports: where this checkout keeps it (``new``,
    e.g. ``bntui.training.session``) or where the previous release did (``old``,
    ``bntui.session``: before the wings)."""
    import importlib

    try:
        return importlib.import_module(new)
    except ModuleNotFoundError as exc:
        if not new.startswith(str(exc.name)):
            raise
        return importlib.import_module(old)


def _session_class():
    return _engine_module("bntui.training.session", "bntui.session").Session


def _config(fields: dict[str, Any]):
    Config = _engine_module("bntui.training.config", "bntui.config").Config

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
            self.session, self.play, self.path = _session_class()(config), None, "Session.step"
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
            self.session, self.path = _session_class()(config), "Session.step"

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


def _editable(finder: object) -> bool:
    """True for the import hooks of an editable install (setuptools' ``__editable__``
    finders: they map ``bntui`` and every child module to the installed tree)."""
    module = getattr(finder, "__module__", None) or type(finder).__module__
    return str(module).startswith("__editable__")


def isolate(root: str) -> None:
    """Make ``root`` the only place ``bntui`` can come from: drop an editable install's
    import hooks (a meta path finder that serves any module the root's package lacks from
    the installed tree: the previous engine would run this checkout's modules) and every
    other path entry holding a ``bntui`` package; then ``root`` and this directory first.
    The worker runs with ``python -I`` (no PYTHONPATH, no user site, no current dir)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not _editable(f)]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not _editable(h)]
    sys.path[:] = [
        p for p in sys.path if "__editable__" not in p and not (Path(p or ".") / "bntui").exists()
    ]
    sys.path_importer_cache.clear()
    sys.path[:0] = [root, str(HERE)]


def strays(root: str) -> list[str]:
    """Loaded ``bntui`` modules that do not come from ``root`` (none, if isolation held)."""
    base = Path(root).resolve()
    out = []
    for name, mod in list(sys.modules.items()):
        if name != "bntui" and not name.startswith("bntui."):
            continue
        places = [getattr(mod, "__file__", None), *(getattr(mod, "__path__", None) or [])]
        for place in places:
            if place and not Path(place).resolve().is_relative_to(base):
                out.append(f"{name} from {place}")
                break
    return sorted(out)


def worker(root: str) -> int:
    """Serve the parent's requests on stdin/stdout (one JSON object per line)."""
    isolate(root)
    import bntui

    where = str(Path(bntui.__file__).resolve())
    if not Path(where).is_relative_to(Path(root).resolve()):
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
                    if stray := strays(root):  # a module of another tree: not this engine
                        del sides[req["name"]]
                        reply = {"error": f"not isolated: {', '.join(stray[:3])}"}
                elif op == "run":
                    side = sides[req["name"]]
                    gc.collect()
                    t0, c0 = time.perf_counter(), time.process_time()
                    side.run(int(req["steps"]))
                    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
                    restarts = getattr(side, "restarts", 0)
                    reply = {"seconds": seconds, "cpu": cpu, "restarts": restarts}
                elif op == "drop":
                    sides.pop(req["name"], None)
                    gc.collect()
                    reply = {"ok": True}
                elif op == "where":  # where bntui came from, and any module from elsewhere
                    reply = {"bntui": where, "strays": strays(root)}
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

    def __init__(self, root: str | Path, label: str, *, python: str = sys.executable) -> None:
        self.label = label
        env = dict(os.environ)
        for key in ("PYTHONPATH", "OMP_NUM_THREADS"):
            env.pop(key, None)
        script = str(Path(__file__).resolve())
        self.proc = subprocess.Popen(
            [python, "-I", script, "worker", "--root", str(Path(root).resolve())],
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

    def seconds(self, name: str, steps: int, *, cpu: bool = False) -> float:
        """The wall time of ``steps`` steps of side ``name``; ``cpu``: the worker's CPU
        time instead (what it spent computing, not waiting for a core another process
        holds: on a shared machine the steadier measure of one side against another)."""
        reply = self.ask(op="run", name=name, steps=steps)
        if "error" in reply:
            raise SideError(reply["error"])
        return float(reply["cpu" if cpu else "seconds"])

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
