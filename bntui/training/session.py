"""A training session: config + network + data + optimizer, stepped one batch at a time.

The Session is single-threaded by design: whoever owns it (the runner thread, a headless
run, a test) calls ``step()`` and ``apply()``; every command therefore lands between two
steps. The session is its initial config plus the log of (step, command): replaying that
log gives byte-identical metrics.

All randomness derives from ``SeedSequence(config.seed)``, spawned into separate streams
(data, batch order, init, dropout, new layers): toggling BN does not change the batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from bntui.data import DataError, Dataset, load_dataset
from bntui.data.download import CHECKSUMS, locate
from bntui.data.size import StoredSize
from bntui.i18n.message import Msg
from bntui.nn import MLP, NORM_NAMES, NNError, make_optimizer
from bntui.nn.functional import softmax_cross_entropy
from bntui.nn.optim import Optimizer, apply_max_norm
from bntui.training.commands import (
    DROPOUT_CYCLE,
    INIT_CYCLE,
    Command,
    CommandError,
    cycle,
    parse,
    resolve_number,
)
from bntui.training.config import (
    ACTIVATIONS,
    BN_POSITIONS,
    DATASETS,
    OPTIMIZERS,
    Config,
    ConfigError,
)
from bntui.training.epochs import batch_rows, batches_left
from bntui.training.events import Event, EventKind, NoEffect
from bntui.training.measure import diagnostic_fields
from bntui.training.memory import check_growth, check_memory
from bntui.training.metrics import History, _round, layer_stats

SWITCHABLE_DATASETS = DATASETS[:-1]
STREAMS = ("data", "order", "init", "dropout", "layers", "noise")  # (new ones go last)
# names commands, not keys: the TUI shows each with its key (bntui.tui.keys.with_keys)
# A record's train_eval_acc (no panel shows it; metrics files and checks read it) is
# measured at every TRAIN_EVAL_EVALS-th validation pass, on a fixed sample of the training
# rows as large as the validation set but at least TRAIN_EVAL_MIN_ROWS (all rows of a
# smaller training set): ~1/10 of a validation pass's cost, not a pass over every
# training row at every evaluation (on 8,000 MNIST rows that was 4 validation passes).
TRAIN_EVAL_EVALS = 10
TRAIN_EVAL_MIN_ROWS = 1000
DIVERGED_HINT = Msg("loss is not finite: try lr /2, bn on or reset")
BN_BATCH_ONE_HINT = Msg(
    "BN with batch size 1: one sample has variance 0, so BN outputs β for every input "
    "and training cannot use x (no NaN: ε keeps 1/√(σ²+ε) finite); use batch size ≥ 2"
)


def _streams(seed: int, overrides: dict[str, int | None] | None = None) -> dict[str, Any]:
    """A Generator per stream; an override (e.g. data=3) takes the stream seed 3 would give."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    for i, other in ((STREAMS.index(k), v) for k, v in (overrides or {}).items() if v is not None):
        children[i] = np.random.SeedSequence(other).spawn(len(STREAMS))[i]
    return {name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=True)}


class Session:
    """Owns the network, the data and the optimizer; trains one batch per ``step()``."""

    def __init__(
        self,
        config: Config,
        *,
        history_capacity: int = 1024,
        load: Callable[[Config, np.random.Generator], Dataset] | None = None,
    ) -> None:
        """``load(config, rng)`` replaces ``load_dataset`` (a ``DatasetCache``'s, shared by
        the trials of a sweep, must return what ``load_dataset`` would)."""
        self._load = load or load_dataset
        self.initial_config = config
        self.config = config
        self.history = History(history_capacity)
        self.log: list[tuple[int, str]] = []  # (step, command) — replays the session
        self.events: list[Event] = []
        self.step_count = 0
        self.epoch = 0
        self.diverged = False
        self.stopped_early = False
        self.stop_reason: Msg | None = None  # why it stopped early (for the UI)
        self.last_record: dict[str, Any] | None = None
        self.last_val: tuple[float, float] | None = None
        self._since_last_step: list[str] = []  # commands applied since the last step
        self._best_val = math.inf
        self._evals_since_best = 0
        check_memory(config)  # before the data is read or the model built
        self._fresh_start()
        if (warning := self.warning()) is not None:
            self._event("", str(warning), EventKind.WARNING)

    def warning(self) -> Msg | None:
        """A standing note on a degenerate setup (for the status line), or None."""
        c = self.config
        if c.bn and min(c.batch_size, self.data.x_train.shape[0]) == 1:
            return BN_BATCH_ONE_HINT
        return None

    # ------------------------------------------------------------------ building
    def _fresh_start(self) -> None:
        """Random streams, data, batch order, weights and optimizer, all from config.seed."""
        c = self.config
        self._rng = _streams(
            c.seed, {"data": c.data_seed, "init": c.init_seed, "order": c.order_seed}
        )
        self.data = self._load(self.config, self._rng["data"])
        self._restart_epochs()
        self.model = self._build_model()
        self.optimizer = self._new_optimizer()

    def _restart_epochs(self) -> None:
        """The next batch starts a fresh permutation of the training set."""
        self._order, self._pos = np.arange(0), 0

    def _new_optimizer(self) -> Optimizer:
        c = self.config
        return make_optimizer(c.optimizer, c.lr, momentum=c.momentum)

    @property
    def dtype(self) -> type:
        return np.float64 if self.config.dtype == "float64" else np.float32

    def _build_model(self) -> MLP:
        c = self.config
        return MLP(
            self.data.input_dim,
            self.data.n_classes,
            c.net_spec(),
            dtype=self.dtype,
            rng=self._rng["init"],
            dropout_rng=self._rng["dropout"],
            noise_rng=self._rng["noise"],
            fast=True,  # the fused layers of bntui.nn.fast (pinned equal to the textbook)
        )

    # ------------------------------------------------------------------ training
    def _next_batch(self) -> np.ndarray:
        """The next batch's row indices; a new epoch (1-based) draws a fresh permutation."""
        n, bs, whole = self.data.x_train.shape[0], self.config.batch_size, self.config.epochs
        rows = batch_rows(self._pos, n, bs, whole=whole is not None) if self._order.size else 0
        if rows == 0:
            self.epoch += 1
            self._order, self._pos = self._rng["order"].permutation(n), 0
            rows = batch_rows(0, n, bs, whole=whole is not None)
        idx = self._order[self._pos : self._pos + rows]
        self._pos += rows
        return idx

    @property
    def planned_steps(self) -> int:
        """The run's length in steps: ``steps``, or what ``epochs`` whole passes take."""
        c, n = self.config, self.data.x_train.shape[0]
        if c.epochs is None:
            return c.steps
        pos = self._pos if self._order.size else n
        now = batches_left(pos, n, c.batch_size, whole=True)
        return (
            self.step_count
            + now
            + max(0, c.epochs - self.epoch) * batches_left(0, n, c.batch_size, whole=True)
        )

    @property
    def finished(self) -> bool:
        """True when the planned run is over (not counting divergence or early stopping)."""
        return self.step_count >= self.planned_steps

    def step(self) -> dict[str, Any]:
        """Train on one batch and return the step's metrics record."""
        with np.errstate(all="ignore"):  # overflow shows as a non-finite loss, not a warning
            return self._step()

    def _step(self) -> dict[str, Any]:
        c = self.config
        idx = self._next_batch()
        x, y = self.data.x_train[idx], self.data.y_train[idx]
        stats_now = (self.step_count + 1) % c.stats_every == 0
        w_before = [b.linear.W.data.copy() for b in self.model.blocks] if stats_now else None
        step, every = self.step_count + 1, (c.ics_every, c.smooth_every)
        loss, logits = self.model.loss(x, y, train=True)
        data_loss, penalty = self.model.last_data_loss, loss - self.model.last_data_loss
        self.model.backward()
        # measured after this pass's backward, before the update: no first pass of its own
        diag = {}
        if any(every):
            diag = diagnostic_fields(self.model, x, y, c.lr, step=step, ics_every=every[0],
                                     smooth_every=every[1], grads_ready=True,
                                     optimizer=self.optimizer)  # fmt: skip
        self.optimizer.step(self.model.optimizer_parameters())
        if c.max_norm is not None:
            for block in self.model.blocks:
                apply_max_norm(block.linear.W.data, c.max_norm)
            apply_max_norm(self.model.head.W.data, c.max_norm)
        self.step_count += 1
        acc = np.count_nonzero(logits.argmax(axis=1) == y) / y.size
        record: dict[str, Any] = {
            "step": self.step_count,
            "epoch": self.epoch,
            "lr": _round(c.lr),
            "loss": _round(data_loss),  # the data loss; the penalty is its own field
            "acc": _round(acc),
        }
        if c.weight_decay or c.l1:
            record["penalty"] = _round(penalty)
        if not math.isfinite(loss):
            self.diverged = True
            self._event("", f"diverged: {DIVERGED_HINT}", EventKind.DIVERGED)
        if stats_now and not self.diverged:
            record["layers"] = [
                layer_stats(b, c.activation, wb)
                for b, wb in zip(self.model.blocks, w_before or [], strict=True)
            ]
        if self.step_count % c.eval_every == 0 and not self.diverged:
            val_loss, val_acc = self.evaluate()
            record["val_loss"], record["val_acc"] = val_loss, val_acc
            if self.step_count % (c.eval_every * TRAIN_EVAL_EVALS) == 0:
                record["train_eval_acc"] = self.train_eval_sample_accuracy()
            self._early_stopping(val_loss)
        if self._since_last_step:
            record["events"], self._since_last_step = self._since_last_step, []
        record.update(diag)
        self.history.add_record(record)
        for key, value in diag.items():
            self.history.add(step, key, value)
        self.last_record = record
        return record

    def run(self, steps: int, *, until: Callable[[Session], bool] | None = None) -> None:
        """Train ``steps`` steps (or until diverged/stopped early, or ``until`` says so)."""
        for _ in range(steps):
            if self.diverged or self.stopped_early or (until is not None and until(self)):
                return
            self.step()

    def evaluate(self) -> tuple[float, float]:
        """Validation loss and accuracy in eval mode (BN running statistics, no dropout)."""
        result = self.last_val = self._eval_mode(self.data.x_val, self.data.y_val)
        return result

    def _eval_mode(self, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(mean data loss, accuracy) of (x, y) in eval mode, in chunks of 4096 rows that
        reuse one pair of layer buffers (``MLP.eval_logits``)."""
        losses, correct, n = 0.0, 0, y.shape[0]
        scratch: dict[tuple[int, int], np.ndarray] = {}
        with np.errstate(all="ignore"):
            for start in range(0, n, 4096):
                logits = self.model.eval_logits(x[start : start + 4096], scratch)
                yc = y[start : start + 4096]
                losses += softmax_cross_entropy(logits, yc)[0] * yc.size
                correct += int(np.count_nonzero(np.argmax(logits, axis=1) == yc))
        return _round(losses / max(n, 1)), _round(correct / max(n, 1))

    def train_eval_accuracy(self) -> float:
        """Eval-mode accuracy on the whole training set (BN running statistics, no dropout):
        what ``bntui run``'s summary and a sweep's trial row report, once, at the end."""
        return self._eval_mode(self.data.x_train, self.data.y_train)[1]

    def train_eval_sample(self) -> tuple[np.ndarray, np.ndarray]:
        """The fixed training rows the records' ``train_eval_acc`` is measured on: as many
        as the validation set holds (at least ``TRAIN_EVAL_MIN_ROWS``), evenly spaced over
        the training set (every k-th row, k = n_train // rows); all of them when the
        training set is no larger. Views, no copy; no random stream is drawn."""
        x, y = self.data.x_train, self.data.y_train
        n = x.shape[0]
        rows = min(n, max(self.data.x_val.shape[0], TRAIN_EVAL_MIN_ROWS))
        k = n // max(rows, 1)
        return x[::k][:rows], y[::k][:rows]

    def train_eval_sample_accuracy(self) -> float:
        """Eval-mode accuracy on ``train_eval_sample()``: a record's ``train_eval_acc``."""
        return self._eval_mode(*self.train_eval_sample())[1]

    def test_metrics(self) -> dict[str, float] | None:
        """``test_loss``, ``test_acc`` of the held-out test set (None without one): call it
        once, at the end; nothing in training (early stopping, the eval stride) reads it."""
        if self.data.x_test is None or self.data.y_test is None:
            return None
        loss, acc = self._eval_mode(self.data.x_test, self.data.y_test)
        return {"test_loss": loss, "test_acc": acc}

    def _early_stopping(self, val_loss: float) -> None:
        if self.config.patience is None:
            return
        if val_loss < self._best_val - 1e-9:
            self._best_val, self._evals_since_best = val_loss, 0
            return
        self._evals_since_best += 1
        if self._evals_since_best >= self.config.patience:
            self.stopped_early = True
            self.stop_reason = Msg(
                "early stop: val loss has not improved for {n} evaluations (best {best})",
                n=self.config.patience,
                best=f"{self._best_val:.4g}",
            )
            self._event("", str(self.stop_reason), EventKind.EARLY_STOP)

    # ------------------------------------------------------------------ commands
    def apply(self, command: Command | str) -> Event:
        """Apply a command now (between steps), log it, and return the event it makes.

        Raises CommandError (nothing changes) if it cannot be parsed or does not fit.
        """
        cmd = parse(command) if isinstance(command, str) else command
        handler = getattr(self, "_do_" + cmd.verb.replace("-", "_"))
        warned = self.warning()
        try:
            result = handler(cmd.arg)
        except (ConfigError, DataError, NNError) as exc:  # e.g. "dataset mnist" not downloaded
            raise CommandError(f"{cmd}: {exc}") from None
        self.log.append((self.step_count, str(cmd)))
        self._since_last_step.append(str(cmd))
        if isinstance(result, NoEffect):
            event = self._event(str(cmd), result.text, EventKind(cmd.verb), no_effect=True)
        else:
            event = self._event(str(cmd), result, EventKind(cmd.verb))
        if (warning := self.warning()) not in (None, warned):
            self._event("", str(warning), EventKind.WARNING)
        return event

    def _event(self, command: str, text: str, kind: EventKind, *, no_effect: bool = False) -> Event:
        event = Event(self.step_count, command, text, kind, no_effect)
        self.events.append(event)
        return event

    # ------------------------------------------------------------------ the vocabulary
    # one ``_do_<verb>`` per verb: change the config (validated first: nothing changes when
    # it refuses), the model or the optimizer, and return the event text ("lr 0.1 → 0.2").
    memory_sessions = 1  # sessions that grow together (2 for compare twins)

    def _data_size(self) -> StoredSize:
        """The loaded data as the memory estimate counts it (nothing left to read)."""
        d = self.data
        rows = d.n_train + d.n_val + (0 if d.x_test is None else len(d.x_test))
        return StoredSize(rows, d.input_dim, 0)

    def _set(self, **changes: Any) -> Config:
        old = self.config
        new = old.replace(**changes)  # validates: raises ConfigError, nothing changed
        check_growth(old, new, self._data_size(), sessions=self.memory_sessions)
        self.config = new
        return old

    def _reset_state(self, params: Iterable) -> None:
        self.optimizer.reset(list(params))

    def _do_bn(self, arg: str) -> str:
        on = self.config.normalization == "none" if arg == "toggle" else arg == "on"
        self._set(bn=on, norm="bn") if on else self._set(bn=False)
        self._reset_state(self.model.set_norm(self.config.normalization))
        return f"BN {'on' if on else 'off'}"

    def _do_norm(self, arg: str) -> str:
        old = self.config.normalization
        name = cycle(NORM_NAMES, old.partition(":")[0], arg) if arg in ("next", "prev") else arg
        self._set(norm=name, bn=name != "none")  # validates (GN groups vs width) first
        self._reset_state(self.model.set_norm(name))
        return f"norm {old} → {self.model.spec.norm}"

    def _do_bn_position(self, arg: str) -> str | NoEffect:
        pos = cycle(BN_POSITIONS, self.config.bn_position, "next") if arg == "toggle" else arg
        self._set(bn_position=pos)
        self._reset_state(self.model.set_bn_position(pos))
        if self.config.normalization == "none":  # nothing to move: say so, and why
            return NoEffect(f"BN {pos} the activation: no effect while BN is off (used at bn on)")
        return f"BN {pos} the activation"

    def _do_activation(self, arg: str) -> str:
        name = cycle(ACTIVATIONS, self.config.activation, arg) if arg in ("next", "prev") else arg
        old = self._set(activation=name).activation
        self.model.set_activation(name)
        return f"activation {old} → {name}"

    def _do_depth(self, arg: str) -> str:
        old = self.config.depth
        new = int(resolve_number(arg, old))
        self._set(depth=new)
        changed: list = []
        while self.model.depth < new:
            changed += self.model.add_layer(self._rng["layers"])
        while self.model.depth > new:
            changed += self.model.remove_layer()
        self._reset_state(changed)
        return f"depth {old} → {new}"

    def _do_width(self, arg: str) -> str:
        old = self.config.width
        new = max(1, round(resolve_number(arg, old)))
        self._set(width=new)
        self._reset_state(self.model.set_width(new, self._rng["layers"]))
        return f"width {old} → {new}"

    def _do_lr(self, arg: str) -> str:
        old = self.config.lr
        new = float(f"{resolve_number(arg, old):.6g}")
        if not new > 0:
            raise CommandError("lr must be greater than 0")
        self._set(lr=new)
        self.optimizer.lr = new
        return f"lr {old:g} → {new:g}"

    def _do_optimizer(self, arg: str) -> str:
        name = cycle(OPTIMIZERS, self.config.optimizer, arg) if arg in ("next", "prev") else arg
        old = self._set(optimizer=name).optimizer
        self.optimizer = self._new_optimizer()
        return f"optimizer {old} → {name}"

    def _do_init(self, arg: str) -> str:
        spec = cycle(INIT_CYCLE, self.config.init, arg) if arg in ("next", "prev") else arg
        self._set(init=spec)
        self._reset_state(self.model.reinit(spec, self._rng["init"]))
        self.optimizer.reset()
        return f"init {spec}: fresh weights"

    def _do_weight_decay(self, arg: str) -> str:
        old = self.config.weight_decay
        self._set(weight_decay=resolve_number(arg, old))
        self.model.set_weight_decay(self.config.weight_decay)
        return f"weight decay {old:g} → {self.config.weight_decay:g}"

    def _do_l1(self, arg: str) -> str:
        old = self.config.l1
        self._set(l1=resolve_number(arg, old))
        self.model.set_l1(self.config.l1)
        return f"L1 {old:g} → {self.config.l1:g}"

    def _do_max_norm(self, arg: str) -> str:
        old = self.config.max_norm
        new = None if arg == "off" else resolve_number(arg, old or 1.0)
        self._set(max_norm=new)
        return f"max-norm {old or 'off'} → {new or 'off'}"

    def _do_dropout(self, arg: str) -> str:
        old = self.config.dropout
        if arg in ("next", "prev"):
            new = cycle(DROPOUT_CYCLE, old, arg)
        else:
            new = resolve_number(arg, old)
        self._set(dropout=new)
        self._reset_state(self.model.set_dropout(new))
        return f"dropout {old:g} → {new:g}"

    def _do_batch_size(self, arg: str) -> str:
        old = self.config.batch_size
        self._set(batch_size=max(1, round(resolve_number(arg, old))))
        return f"batch size {old} → {self.config.batch_size}"

    def _do_dataset(self, arg: str) -> str:
        current = self.config.dataset
        if arg in ("next", "prev"):
            # cycle over the sets that can load now: skip downloadable ones not yet fetched
            usable = tuple(d for d in SWITCHABLE_DATASETS if d not in CHECKSUMS or locate(d))
            name = cycle(usable, current, arg)
        else:
            name = arg
        candidate = self.config.replace(dataset=name, data=None)
        check_growth(self.config, candidate, self._data_size(), sessions=self.memory_sessions)
        data = self._load(candidate, self._rng["data"])
        self.config = candidate
        self.data = data
        self._restart_epochs()
        self._reset_state(self.model.set_io(data.input_dim, data.n_classes, self._rng["layers"]))
        return f"data {current} → {name}"

    def _do_seed(self, arg: str) -> str:
        self._set(seed=int(arg))
        self._fresh_start()
        self.diverged = False
        return f"seed {arg}: fresh data, weights and batch order"

    def _do_reset(self, arg: str) -> str:
        self._reset_state(self.model.reinit(self.config.init, self._rng["init"]))
        self.optimizer.reset()
        self.diverged = False
        self.stopped_early, self.stop_reason = False, None
        self._best_val, self._evals_since_best = math.inf, 0
        return "reset: fresh weights"

    def _do_mark(self, arg: str) -> str:
        return arg

    _do_caption = _do_mark

    def _do_lang(self, arg: str) -> str:
        raise CommandError("lang is a display setting: type it at : in the app, or use --lang")

    def _do_ics_every(self, arg: str) -> str:
        old = self.config.ics_every
        self._set(ics_every=None if arg == "off" else int(arg))
        return f"ICS every {old or 'off'} → {self.config.ics_every or 'off'}"

    def _do_smooth_every(self, arg: str) -> str:
        old = self.config.smooth_every
        self._set(smooth_every=None if arg == "off" else int(arg))
        return f"smoothness every {old or 'off'} → {self.config.smooth_every or 'off'}"

    def _do_compare(self, arg: str) -> str:
        raise CommandError(f"compare {arg}: compare mode needs two sessions (a runner or run)")

    def _do_goto(self, arg: str) -> str:
        raise CommandError(f"goto {arg}: time travel needs the timeline of a runner or replay")

    # ------------------------------------------------------------------ views
    def layer_outputs(self) -> list[np.ndarray | None]:
        """Each hidden layer's output in the last forward pass (the histograms' data)."""
        return [b.act_out for b in self.model.blocks]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities of ``x`` in eval mode (the decision map's pass)."""
        with np.errstate(all="ignore"):
            return self.model.predict_proba(np.asarray(x, dtype=self.dtype))
