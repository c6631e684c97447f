"""One trial: a plain dict in (config, what to measure), a plain dict out (the numbers).

``run_trial`` is what every executor runs. It imports nothing of the UI, limits BLAS to
one thread (trials run side by side, one per core), and hands each Session the worker's
``DatasetCache`` so that a worker reads a data file once, not once per trial.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from bntui.data.cache import DatasetCache
from bntui.training.config import Config

CACHE = DatasetCache()
"""This process's datasets, shared by its trials (each worker process has its own)."""


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def train_eval_accuracy(session: Any) -> float:
    """Eval-mode accuracy on the whole training set (``Session.train_eval_accuracy``)."""
    return session.train_eval_accuracy()


def run_trial(spec: dict[str, Any]) -> dict[str, Any]:
    """Train one configuration and return its row (see ``bntui.experiments.sweeping``).

    ``spec``: ``trial`` (id), ``params`` (what the sweep varied), ``config`` (the whole
    Config as a dict) and optionally ``measure``: ``target_acc`` (steps until the val
    accuracy first reaches it, checked at the eval stride), ``grad_l1`` (mean first-layer
    weight-gradient norm over the statistics steps; also ``grad_last``, the last hidden
    layer's), ``ics`` (internal covariate shift at the end, Santurkar et al. Def. 2.1 with
    the optimizer's actual update, on the first ``ics`` training samples), ``ics_run``
    (``ics_run_l2`` / ``ics_run_cos``: the mean over layers 2…head and over every
    measurement of ``config.ics_every``), ``train_tail`` (mean train-mode batch accuracy
    of the last ``train_tail`` steps). Every row has ``classes`` (chance is 1/classes).
    """
    from bntui.training.session import Session

    started = time.perf_counter()
    measure = spec.get("measure") or {}
    config = Config.from_dict(spec["config"], where=f"trial {spec.get('trial', '?')}")
    target = measure.get("target_acc")
    extra: dict[str, Any] = {}
    grads: list[float] = []
    grads_last: list[float] = []
    ics_run: dict[str, list[float]] = {"l2": [], "cos": []}
    tail = int(measure.get("train_tail") or 0)
    tail_acc: list[float] = []
    with threadpool_limits(limits=1, user_api="blas"):
        session = Session(config, load=CACHE.load)
        while not (session.finished or session.diverged or session.stopped_early):
            record = session.step()
            if tail and session.step_count > config.steps - tail:
                tail_acc.append(record["acc"])
            if measure.get("grad_l1") and "layers" in record:
                grads.append(record["layers"][0]["grad_norm"])
                grads_last.append(record["layers"][-1]["grad_norm"])
            if measure.get("ics_run") and "L2.ics_cos" in record:
                for kind in ("l2", "cos"):
                    vals = [v for k, v in record.items()
                            if k.endswith(f".ics_{kind}") and k != f"L1.ics_{kind}"]  # fmt: skip
                    ics_run[kind].append(float(np.mean(vals)))
            if target is not None and session.last_val and session.last_val[1] >= target:
                extra["steps_to_target"] = session.step_count
                break
        if target is not None:
            extra.setdefault("steps_to_target", None)
        evaluated = final_evaluations(session, extra)
        if tail:
            extra["train_tail_acc"] = float(np.mean(tail_acc)) if tail_acc else None
        if measure.get("grad_l1"):
            finite = [g for g in grads if math.isfinite(g)]
            extra["grad_l1"] = float(np.mean(finite)) if finite else None
            finite = [g for g in grads_last if math.isfinite(g)]
            extra["grad_last"] = float(np.mean(finite)) if finite else None
        if measure.get("ics_run"):
            for kind, vals in ics_run.items():
                ok = [v for v in vals if math.isfinite(v)]
                extra[f"ics_run_{kind}"] = (
                    float(np.mean(ok)) if ok and not session.diverged else None
                )
        if measure.get("ics") and not session.diverged:
            from bntui.nn.diagnostics import ics

            n = int(measure["ics"])
            x, y = session.data.x_train[:n], session.data.y_train[:n]
            pairs = ics(session.model, x, y, config.lr, optimizer=session.optimizer)
            extra["ics_l2"] = [_finite(a) for a, _ in pairs]
            extra["ics_cos"] = [_finite(b) for _, b in pairs]
    return make_row(spec, session, evaluated, extra, started)


def final_evaluations(session: Any, extra: dict[str, Any]) -> tuple[float, float, float]:
    """A finished trial's (val loss, val acc, train acc in eval mode), in this order; the
    test set's metrics (once, at the end) go into ``extra``."""
    val_loss, val_acc = session.evaluate()
    train_acc = session.train_eval_accuracy()
    test = session.test_metrics()
    if test is not None:
        extra.update(test)
    return val_loss, val_acc, train_acc


def make_row(
    spec: dict[str, Any],
    session: Any,
    evaluated: tuple[float, float, float],
    extra: dict[str, Any],
    started: float,
) -> dict[str, Any]:
    """A trial's row from its session, ``final_evaluations`` and the measured extras."""
    val_loss, val_acc, train_acc = evaluated
    last = session.last_record or {}
    return {
        "trial": spec.get("trial"),
        "seed": session.config.seed,
        "classes": int(session.data.n_classes),
        "params": spec.get("params", {}),
        "val_acc": _finite(val_acc),
        "val_loss": _finite(val_loss),
        "train_eval_acc": train_acc,
        "train_loss": _finite(last.get("loss", math.nan)),  # the data loss
        **({"penalty": _finite(last["penalty"])} if "penalty" in last else {}),
        "steps": session.step_count,
        "epoch": session.epoch,
        "diverged": bool(session.diverged),
        **extra,
        "seconds": round(time.perf_counter() - started, 3),
    }
