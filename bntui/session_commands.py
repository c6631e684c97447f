"""What each command does to a Session: one ``_do_<verb>`` per verb of the vocabulary.

``Session.apply`` parses a command and calls the handler named after its verb; the handler
changes the config (validated first: nothing changes when it refuses), the model or the
optimizer, and returns the event text ("lr 0.1 → 0.2"). Kept apart from ``session.py`` so
that training (step, evaluate) and the vocabulary each fit in one room.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from bntui.commands import DROPOUT_CYCLE, INIT_CYCLE, CommandError, cycle, resolve_number
from bntui.config import ACTIVATIONS, BN_POSITIONS, DATASETS, OPTIMIZERS, Config
from bntui.data.download import CHECKSUMS, locate
from bntui.data.size import StoredSize
from bntui.memory import check_growth
from bntui.nn import NORM_NAMES

SWITCHABLE_DATASETS = DATASETS[:-1]
# in an event's text: the command changed nothing (the UI says so; bntui.frame has the same)
NO_EFFECT = "no effect"


class SessionCommands:
    """The command handlers of ``Session`` (a mixin: it uses the session's state)."""

    config: Config
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
        return f"norm {old} → {self.model.norm}"

    def _do_bn_position(self, arg: str) -> str:
        pos = cycle(BN_POSITIONS, self.config.bn_position, "next") if arg == "toggle" else arg
        self._set(bn_position=pos)
        self._reset_state(self.model.set_bn_position(pos))
        if self.config.normalization == "none":  # nothing to move: say so, and why
            return f"BN {pos} the activation: {NO_EFFECT} while BN is off (used at bn on)"
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
        self.model.weight_decay = self.config.weight_decay
        return f"weight decay {old:g} → {self.config.weight_decay:g}"

    def _do_l1(self, arg: str) -> str:
        old = self.config.l1
        self._set(l1=resolve_number(arg, old))
        self.model.l1 = self.config.l1
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
        self.stopped_early = False
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
