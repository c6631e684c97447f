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
from collections.abc import Callable
from typing import Any

import numpy as np

from bntui.commands import Command, CommandError, parse
from bntui.config import Config, ConfigError
from bntui.data import DataError, Dataset, load_dataset
from bntui.epochs import batch_rows, batches_left
from bntui.events import Event
from bntui.measure import diagnostic_fields
from bntui.metrics import History, _round, layer_stats
from bntui.nn import MLP, NNError, make_optimizer
from bntui.nn.functional import softmax_cross_entropy
from bntui.nn.optim import Optimizer, apply_max_norm
from bntui.session_commands import SessionCommands

STREAMS = ("data", "order", "init", "dropout", "layers", "noise")  # (new ones go last)
# names commands, not keys: the TUI shows each with its key (bntui.tui.keys.with_keys)
# A record's train_eval_acc (no panel shows it; metrics files and checks read it) is
# measured at every TRAIN_EVAL_EVALS-th validation pass, on a fixed sample of the training
# rows as large as the validation set but at least TRAIN_EVAL_MIN_ROWS (all rows of a
# smaller training set): ~1/10 of a validation pass's cost, not a pass over every
# training row at every evaluation (on 8,000 MNIST rows that was 4 validation passes).
TRAIN_EVAL_EVALS = 10
TRAIN_EVAL_MIN_ROWS = 1000
DIVERGED_HINT = "loss is not finite: try lr /2, bn on or reset"
BN_BATCH_ONE_HINT = (
    "BN with batch size 1: one sample has variance 0, so BN outputs β for every input "
    "and training cannot use x (no NaN: ε keeps 1/√(σ²+ε) finite); use batch size ≥ 2"
)


def _streams(seed: int, overrides: dict[str, int | None] | None = None) -> dict[str, Any]:
    """A Generator per stream; an override (e.g. data=3) takes the stream seed 3 would give."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    for i, other in ((STREAMS.index(k), v) for k, v in (overrides or {}).items() if v is not None):
        children[i] = np.random.SeedSequence(other).spawn(len(STREAMS))[i]
    return {name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=True)}


class Session(SessionCommands):
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
        self.last_record: dict[str, Any] | None = None
        self.last_val: tuple[float, float] | None = None
        self._since_last_step: list[str] = []  # commands applied since the last step
        self._best_val = math.inf
        self._evals_since_best = 0
        self._fresh_start()
        if self.warning() is not None:
            self._event("", self.warning() or "", "warning")

    def warning(self) -> str | None:
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
            depth=c.depth,
            width=c.width,
            activation=c.activation,
            norm=c.normalization,
            bn_position=c.bn_position,
            bn_momentum=c.bn_momentum,
            dropout=c.dropout,
            dropout_style=c.dropout_style,
            bn_eps=c.bn_eps,
            init=c.init,
            dtype=self.dtype,
            weight_decay=c.weight_decay,
            l1=c.l1,
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
                                     smooth_every=every[1], grads_ready=True)  # fmt: skip
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
            self._event("", "diverged: " + DIVERGED_HINT, "diverged")
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
            self._event(
                "",
                f"early stop: val loss has not improved for {self.config.patience} evaluations "
                f"(best {self._best_val:.4g})",
                "early-stop",
            )

    # ------------------------------------------------------------------ commands
    def apply(self, command: Command | str) -> Event:
        """Apply a command now (between steps), log it, and return the event it makes.

        Raises CommandError (nothing changes) if it cannot be parsed or does not fit.
        """
        cmd = parse(command) if isinstance(command, str) else command
        handler = getattr(self, "_do_" + cmd.verb.replace("-", "_"))
        warned = self.warning()
        try:
            text = handler(cmd.arg)
        except (ConfigError, DataError, NNError) as exc:  # e.g. "dataset mnist" not downloaded
            raise CommandError(f"{cmd}: {exc}") from None
        self.log.append((self.step_count, str(cmd)))
        self._since_last_step.append(str(cmd))
        event = self._event(str(cmd), text, cmd.verb)
        if self.warning() not in (None, warned):
            self._event("", self.warning() or "", "warning")
        return event

    def _event(self, command: str, text: str, kind: str) -> Event:
        event = Event(self.step_count, command, text, kind)
        self.events.append(event)
        return event

    # ------------------------------------------------------------------ views
    def layer_outputs(self) -> list[np.ndarray | None]:
        """Each hidden layer's output in the last forward pass (the histograms' data)."""
        return [b.act_out for b in self.model.blocks]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities of ``x`` in eval mode (the decision map's pass)."""
        with np.errstate(all="ignore"):
            return self.model.predict_proba(np.asarray(x, dtype=self.dtype))
