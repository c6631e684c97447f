"""Trials that differ only in their seed, trained together: one ``StackedMLP`` step for all.

``run_stack(specs)`` returns the rows ``run_trial`` returns for each spec, in order. Each
trial still has its own ``Session`` (its seed's data, batch order and initial weights,
its evaluation and row); only the training steps are shared: the sessions' networks are
rebound to the stack's buffers and trained by ``bntui.nn.stacked`` (the same arithmetic,
net by net). A trial that diverges or reaches its ``target_acc`` is finished at that
step, as ``run_trial`` finishes it. Anything the stack cannot do (``stack_key`` is None)
runs through ``run_trial``; so does a group whose sessions turn out to differ in shape.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from bntui.experiments.trial import CACHE, final_evaluations, make_row, run_trial
from bntui.nn.stacked import STACKABLE_ACTIVATIONS, STACKABLE_NORMS, StackedMLP, unsupported
from bntui.training.config import Config
from bntui.training.epochs import batch_rows
from bntui.training.metrics import _round

MEASURES = ("target_acc", "grad_l1", "train_tail")
"""What a stacked trial can measure besides its row (``run_trial``'s keys)."""
STACK_DATA_BYTES = 64 * 2**20
"""Training sets up to this size together are copied into one (S, n, in) array (one
gather per step); larger ones (image sets) are gathered net by net from each session."""
MAX_STACK = 64
"""Nets per stack at most (a larger group is cut into near-equal stacks)."""
VARYING = ("seed", "init", "lr")
"""What may differ between the nets of one stack: the seed (data, batches, weights), the
initial weights' scale and the learning rate (SGD's step takes one per net)."""


def stack_key(spec: dict[str, Any]) -> str | None:
    """A key shared by the specs that can train in one stack (the same config but for
    ``VARYING``, the same measure), or None when this trial needs ``run_trial``."""
    c = spec["config"]
    measure = spec.get("measure") or {}
    if set(measure) - set(MEASURES):
        return None
    norm = str(c.get("norm", "bn")).partition(":")[0] if c.get("bn", True) else "none"
    simple = (
        c.get("optimizer", "sgd") == "sgd"
        and c.get("activation", "relu") in STACKABLE_ACTIVATIONS
        and norm in STACKABLE_NORMS
        and (norm == "none" or c.get("bn_position", "before") == "before")
        and not c.get("weight_decay")
        and not c.get("l1")
        and c.get("max_norm") is None
        and c.get("ics_every") is None
        and c.get("smooth_every") is None
        and c.get("patience") is None
        and c.get("epochs") is None
        and c.get("compare") is None
        and c.get("depth", 4) >= 1
    )
    if not simple:
        return None
    rest = {k: v for k, v in c.items() if k not in VARYING}
    return json.dumps([rest, measure], sort_keys=True, default=str)


def run_stack(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every spec's row (``run_trial``'s), the trials trained together."""
    from bntui.training.session import Session

    if len(specs) < 2 or len({stack_key(s) for s in specs}) != 1 or stack_key(specs[0]) is None:
        return [run_trial(s) for s in specs]
    started = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        sessions = [
            Session(Config.from_dict(s["config"], where=f"trial {s.get('trial', '?')}"),
                    load=CACHE.load)
            for s in specs
        ]  # fmt: skip
        first = sessions[0]
        c = first.config
        shapes = {(s.data.x_train.shape, s.data.n_classes) for s in sessions}
        if (
            len(shapes) != 1
            or any(unsupported(s.model) for s in sessions)
            or (c.normalization != "none" and min(c.batch_size, first.data.n_train) < 2)
        ):
            return [run_trial(s) for s in specs]
        return _train(specs, sessions, started)


def _train(specs: list[dict[str, Any]], sessions: list, started: float) -> list[dict[str, Any]]:
    c = sessions[0].config
    net = StackedMLP([s.model for s in sessions])
    size = len(sessions)
    n, nets = sessions[0].data.x_train.shape[0], np.arange(size)[:, None]
    together = sum(s.data.x_train.nbytes for s in sessions) <= STACK_DATA_BYTES
    x = np.stack([s.data.x_train for s in sessions]) if together else None
    y = np.stack([s.data.y_train for s in sessions])
    measure = specs[0].get("measure") or {}
    target = measure.get("target_acc")
    tail = int(measure.get("train_tail") or 0)
    tail_acc: list[list[float]] = [[] for _ in sessions]
    grads: list[list[list[float]]] = [[[] for _ in sessions] for _ in range(2)]  # L1, last
    lrs = np.array([s.config.lr for s in sessions], dtype=net.dtype)[:, None, None]
    rows: list[dict[str, Any] | None] = [None] * size
    order: np.ndarray | None = None
    pos = epoch = step = 0

    def finish(i: int, loss: float, *, diverged: bool = False, reached: bool = False) -> None:
        s = sessions[i]
        s.step_count, s.epoch, s.diverged = step, epoch, diverged
        s.last_record = {"step": step, "loss": _round(loss)}
        if order is not None:
            s._order, s._pos = order[i], pos
        extra: dict[str, Any] = {}
        if target is not None:
            extra["steps_to_target"] = step if reached else None
        evaluated = final_evaluations(s, extra)
        if tail:
            extra["train_tail_acc"] = float(np.mean(tail_acc[i])) if tail_acc[i] else None
        if measure.get("grad_l1"):
            for key, series in (("grad_l1", grads[0][i]), ("grad_last", grads[1][i])):
                finite = [g for g in series if math.isfinite(g)]
                extra[key] = float(np.mean(finite)) if finite else None
        rows[i] = make_row(specs[i], s, evaluated, extra, started)

    with np.errstate(all="ignore"):
        active = list(range(size))
        losses = np.full(size, math.nan)
        while active and step < c.steps:
            rows_now = batch_rows(pos, n, c.batch_size, whole=False) if order is not None else 0
            if rows_now == 0:  # a new epoch: each session's own permutation
                epoch += 1
                order = np.stack([s._rng["order"].permutation(n) for s in sessions])
                pos, rows_now = 0, batch_rows(0, n, c.batch_size, whole=False)
            idx = order[:, pos : pos + rows_now]  # type: ignore[index]
            pos += rows_now
            yb = y[nets, idx]
            if x is not None:
                xb = x[nets, idx]
            else:
                xb = np.stack([s.data.x_train[i] for s, i in zip(sessions, idx, strict=True)])
            losses, logits = net.loss(xb, yb)
            net.backward()
            net.sgd(lrs)
            step += 1
            if tail and step > c.steps - tail:  # the record's train-mode batch accuracy
                right = np.count_nonzero(logits.argmax(axis=2) == yb, axis=1)
                for i in active:
                    tail_acc[i].append(_round(right[i] / yb.shape[1]))
            if not np.isfinite(losses[active]).all():
                for i in [i for i in active if not math.isfinite(losses[i])]:
                    finish(i, losses[i], diverged=True)
                    active.remove(i)
            if measure.get("grad_l1") and step % c.stats_every == 0:  # layer_stats' norm
                for side, layer in enumerate((net.layers[0], net.layers[-1])):
                    for i in active:
                        g = layer.gW[i]
                        grads[side][i].append(_round(math.sqrt(float(np.vdot(g, g)))))
            if step % c.eval_every == 0:
                for i in list(active):
                    sessions[i].step_count = step
                    acc = sessions[i].evaluate()[1]
                    if target is not None and acc >= target:
                        finish(i, losses[i], reached=True)
                        active.remove(i)
        for i in active:
            finish(i, losses[i])
    elapsed = time.perf_counter() - started
    for r in rows:
        assert r is not None
        r["seconds"] = round(elapsed / size, 3)  # a share of the stack's time
        r["stacked"] = size
    return rows  # type: ignore[return-value]


def groups(specs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The specs as tasks for ``run_stack``: those with one ``stack_key`` together (at most
    ``MAX_STACK`` a task), every other spec alone; the costliest tasks first (a rough
    estimate from steps, depth, width, batch and nets), so that a pool does not end on
    one long task."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    tasks: list[list[dict[str, Any]]] = []
    for spec in specs:
        key = stack_key(spec)
        if key is None:
            tasks.append([spec])
        else:
            by_key.setdefault(key, []).append(spec)
    for group in by_key.values():
        n = len(group)
        parts = -(-n // MAX_STACK)
        tasks += [group[k * n // parts : (k + 1) * n // parts] for k in range(parts)]

    def cost(task: list[dict[str, Any]]) -> float:
        """Rough seconds: per step, ~60 µs of calls per layer plus each net's products
        (6 · width² · batch flops per layer at ~50 GFLOP/s)."""
        c = task[0]["config"]
        depth, width = int(c.get("depth", 4)), int(c.get("width", 32))
        flops = 6.0 * width * width * int(c.get("batch_size", 64)) * depth * len(task)
        return int(c.get("steps", 0)) * (6e-5 * depth + flops / 5e10)

    return sorted(tasks, key=cost, reverse=True)
