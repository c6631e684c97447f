"""One trial: a plain dict in (config, what to measure), a plain dict out (the numbers).

``run_trial`` is what every executor runs. It imports nothing of the UI, limits BLAS to
one thread (trials run side by side, one per core), and keeps each worker's datasets in
a small cache so that a worker reads a data file once, not once per trial.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from bntui.config import Config

# Config fields that do not change what load_dataset returns (the rest are the cache key:
# a field added later is part of the key until it is listed here, which is the safe side).
NOT_DATA = frozenset(
    [
        "depth",
        "width",
        "activation",
        "bn",
        "bn_position",
        "bn_momentum",
        "dropout",
        "init",
        "optimizer",
        "lr",
        "momentum",
        "weight_decay",
        "l1",
        "max_norm",
        "batch_size",
        "steps",
        "patience",
        "seed",
        "init_seed",
        "order_seed",
        "eval_every",
        "stats_every",
    ]
)
CACHE_SIZE = 16

_lock = threading.Lock()
_datasets: OrderedDict[str, tuple[Any, dict]] = OrderedDict()
_files: OrderedDict[tuple, tuple] = OrderedDict()
_installed = False


def _data_key(config: Config, rng: np.random.Generator) -> str:
    data = {k: v for k, v in config.to_dict().items() if k not in NOT_DATA}
    if config.data is not None:  # a changed file is a different dataset
        p = Path(config.data).expanduser()
        try:
            st = p.stat()
            data["_file"] = [str(p.resolve()), st.st_mtime_ns, st.st_size]
        except OSError:
            pass
    return json.dumps([data, rng.bit_generator.state], sort_keys=True, default=str)


def install_data_cache() -> None:
    """Make this process's Sessions share datasets (idempotent, thread-safe).

    A Dataset is immutable (read-only arrays) and ``load_dataset(config, rng)`` depends only
    on the data fields of the config and the state of ``rng``; a cache hit returns the
    stored Dataset and leaves ``rng`` exactly where the load would have left it, so a
    Session cannot tell the difference. The IDX directory reader is cached by path and
    modification times (the expensive part of MNIST-family data: ~1.6 s per read here).

    TODO(lead): this wraps ``bntui.session.load_dataset`` and
    ``bntui.data.dataset.load_idx_dir`` from outside; a ``Session(config, data=...)``
    argument or a cache inside ``bntui.data`` would make it unnecessary.
    """
    global _installed
    with _lock:
        if _installed:
            return
        import bntui.data.dataset as dataset_module
        import bntui.session as session_module

        session_module.load_dataset = _cached_load(session_module.load_dataset)
        dataset_module.load_idx_dir = _cached_idx(dataset_module.load_idx_dir)
        _installed = True


def _cached_load(load: Callable) -> Callable:
    def load_dataset(config: Config, rng: np.random.Generator):
        key = _data_key(config, rng)
        with _lock:
            hit = _datasets.get(key)
            if hit is not None:
                _datasets.move_to_end(key)
        if hit is not None:
            data, state = hit
            rng.bit_generator.state = state
            return data
        data = load(config, rng)
        with _lock:
            _datasets[key] = (data, rng.bit_generator.state)
            while len(_datasets) > CACHE_SIZE:
                _datasets.popitem(last=False)
        return data

    return load_dataset


def _cached_idx(read: Callable) -> Callable:
    def load_idx_dir(directory, *args, **kwargs):
        p = Path(directory)
        try:
            stamp = tuple(sorted((f.name, f.stat().st_mtime_ns) for f in p.iterdir()))
        except OSError:
            return read(directory, *args, **kwargs)
        key = (str(p.resolve()), stamp, args, tuple(sorted(kwargs.items())))
        with _lock:
            hit = _files.get(key)
        if hit is not None:
            return hit
        arrays = read(directory, *args, **kwargs)
        for a in arrays:
            if isinstance(a, np.ndarray):
                a.setflags(write=False)  # shared between trials: nobody may write them
        with _lock:
            _files[key] = arrays
            while len(_files) > 4:
                _files.popitem(last=False)
        return arrays

    return load_idx_dir


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def train_eval_accuracy(session: Any) -> float:
    """Eval-mode accuracy on the whole training set (BN running statistics, no dropout)."""
    x, y = session.data.x_train, session.data.y_train
    correct = 0
    with np.errstate(all="ignore"):
        for start in range(0, len(y), 4096):
            logits = session.model.forward(x[start : start + 4096], train=False)
            correct += int(np.count_nonzero(logits.argmax(axis=1) == y[start : start + 4096]))
    return round(correct / max(len(y), 1), 6)


def run_trial(spec: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration and return its row (see ``bntui.experiments.sweep``).

    ``spec``: ``trial`` (id), ``params`` (what the sweep varied), ``config`` (the whole
    Config as a dict) and optionally ``measure``: ``target_acc`` (steps until the val
    accuracy first reaches it, checked at the eval stride), ``grad_l1`` (mean first-layer
    weight-gradient norm over the statistics steps), ``ics`` (internal covariate shift at
    the end, Santurkar et al. Def. 2.1, on the first ``ics`` training samples),
    ``train_tail`` (mean train-mode batch accuracy of the last ``train_tail`` steps).
    """
    from bntui.session import Session

    install_data_cache()
    started = time.perf_counter()
    measure = spec.get("measure") or {}
    config = Config.from_dict(spec["config"], where=f"trial {spec.get('trial', '?')}")
    target = measure.get("target_acc")
    extra: dict[str, Any] = {}
    grads: list[float] = []
    tail = int(measure.get("train_tail") or 0)
    tail_acc: list[float] = []
    with threadpool_limits(limits=1, user_api="blas"):
        session = Session(config)
        while session.step_count < config.steps and not (session.diverged or session.stopped_early):
            record = session.step()
            if tail and session.step_count > config.steps - tail:
                tail_acc.append(record["acc"])
            if measure.get("grad_l1") and "layers" in record:
                grads.append(record["layers"][0]["grad_norm"])
            if target is not None and session.last_val and session.last_val[1] >= target:
                extra["steps_to_target"] = session.step_count
                break
        if target is not None:
            extra.setdefault("steps_to_target", None)
        val_loss, val_acc = session.evaluate()
        train_acc = train_eval_accuracy(session)
        if tail:
            extra["train_tail_acc"] = float(np.mean(tail_acc)) if tail_acc else None
        if measure.get("grad_l1"):
            finite = [g for g in grads if math.isfinite(g)]
            extra["grad_l1"] = float(np.mean(finite)) if finite else None
        if measure.get("ics") and not session.diverged:
            from bntui.experiments.ics import ics

            n = int(measure["ics"])
            pairs = ics(
                session.model, session.data.x_train[:n], session.data.y_train[:n], config.lr
            )
            extra["ics_l2"] = [_finite(a) for a, _ in pairs]
            extra["ics_cos"] = [_finite(b) for _, b in pairs]
    last = session.last_record or {}
    return {
        "trial": spec.get("trial"),
        "seed": config.seed,
        "params": spec.get("params", {}),
        "val_acc": _finite(val_acc),
        "val_loss": _finite(val_loss),
        "train_eval_acc": train_acc,
        "train_loss": _finite(last.get("loss", math.nan)),
        "steps": session.step_count,
        "epoch": session.epoch,
        "diverged": bool(session.diverged),
        **extra,
        "seconds": round(time.perf_counter() - started, 3),
    }
