"""Synthetic Frames for the snapshot tests: hand-made numbers, no training, no BLAS.

A snapshot of a trained run holds numbers that change with the CPU's OpenBLAS kernel
(``OPENBLAS_CORETYPE``). These snapshots draw Frames built by the real ``build_frame``
from a ``Story``: a session-shaped object whose history, events, data, decision map and
layer outputs are written out here with plain arithmetic (+, −, ×, ÷ only: the same
bits on every CPU). ``StillRunner`` serves them to ``BntuiApp`` in place of a Runner:
the app, the painter and every panel run as they do live; nothing trains.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from bntui.live.bn_internals import BNInternals
from bntui.live.frame import Frame, Needs, ReplayState, RunState, build_frame
from bntui.training.config import Config
from bntui.training.events import Event
from bntui.training.measure import SMOOTH_KEYS
from bntui.training.metrics import History, layer_metric
from bntui.training.session import Session
from bntui.training.timeline import Travel

# three class centres of the hand-made 2-D data (nearest centre = class)
CENTRES = ((0.6, 0.5), (-0.6, 0.4), (0.0, -0.7))


@dataclass(frozen=True)
class Shape:
    """How a story's curves go: ``learns`` (a loss that falls), ``stuck`` (at chance,
    vanishing gradients), ``dead`` (a last layer of dead ReLUs)."""

    kind: str = "learns"
    speed: float = 150.0  # steps to halve the loss's distance to its floor
    floor: float = 0.04
    drift: float = 0.72  # how far the plain net's layer means wander (signed by layer)


def _bn_at(step: int, bn: bool, events: list[Event]) -> bool:
    """BN on at ``step``: the config's value changed by every "bn" event before it."""
    on = bn
    for e in events:
        if e.step <= step and e.kind == "bn":
            on = e.text == "BN on"
    return on


def _loss(t: int, bn: bool, shape: Shape) -> float:
    if shape.kind == "stuck" and not bn:
        return 1.0986 - 0.0002 * t / (t + 50.0)
    speed = shape.speed if bn else 4 * shape.speed
    return shape.floor + 1.06 * speed / (speed + t)


def _layer(i: int, depth: int, t: int, bn: bool, shape: Shape, act: str) -> dict[str, float]:
    """One hidden layer's statistics at step ``t`` (every key of metrics.layer_stats)."""
    grow = t / (t + 200.0)
    sign = -1.0 if i % 2 == 0 else 1.0
    pre_mean = sign * shape.drift * (0.4 + 0.6 * i / depth) * grow
    pre_std = 1.0 + 0.3 * i * grow
    if bn:
        mean, std = 0.01 * (i % 3 - 1) * grow, 1.0 - 0.01 * i * grow
    else:
        mean, std = pre_mean, pre_std
    if shape.kind == "stuck" and not bn:
        grad = 0.03
        for _ in range(depth - i):
            grad *= 0.25  # σ' <= 1/4 per layer
    else:
        grad = 0.03 * (0.8 + 0.05 * i) * 300.0 / (300.0 + t)
    dead = shape.kind == "dead" and i == depth
    if act in ("sigmoid", "tanh"):
        sat = 0.02 * i * grow if bn else 0.05 * i * grow
    else:
        sat = 1.0 if dead else (0.02 if bn else 0.05) * i * grow
    return {
        "pre_mean": pre_mean,
        "pre_std": pre_std,
        "mean": mean,
        "std": std,
        "p15": mean - 1.04 * std,
        "p50": mean - 0.1 * std * grow,
        "p85": mean + 1.04 * std,
        "sat": sat,
        "grad_norm": 0.0 if dead else grad,
        "grad_data": 0.0 if dead else grad * 0.4,
        "update": -2.5 - 0.1 * i - (0.0 if bn else 0.6),
        "gamma": 1.0 + 0.02 * i * grow if bn else float("nan"),
        "beta": 0.01 * (i % 3 - 1) * grow if bn else float("nan"),
    }


class Story:
    """A session-shaped object ``build_frame`` reads: a hand-made run of ``steps`` steps.

    ``config`` is the run's first configuration, ``final`` the one after ``events`` (see
    ``commands``); "bn" events switch the numbers between their BN and plain forms;
    ``ics``: log ICS and smoothness series (view 6) every ``config.ics_every`` steps.
    """

    def __init__(
        self,
        config: Config,
        steps: int,
        events: tuple[Event, ...] | list[Event] = (),
        *,
        final: Config | None = None,
        shape: Shape = Shape(),
        ics: bool = False,
        diverged_at: int | None = None,
    ) -> None:
        self.initial_config = config
        self.config = final or config  # what the status line shows (after the events)
        self.events = list(events)
        self.log = [(e.step, e.command) for e in self.events if e.command]
        self.history = History()
        self.diverged = diverged_at is not None
        self.stopped_early = False
        self.step_count = steps
        self.dtype = np.float64
        self.last_val: tuple[float, float] | None = None
        self.last_record: dict[str, Any] | None = None
        c = self.config  # depth, activation, strides: as after the events
        for t in range(1, steps + 1):
            bn = _bn_at(t, config.normalization != "none", self.events)
            loss = _loss(t, bn, shape)
            if diverged_at is not None and t >= diverged_at:
                loss = float("nan")
            rec: dict[str, Any] = {"step": t, "loss": loss, "acc": min(0.99, 1.05 - 0.8 * loss)}
            if t % c.eval_every == 0 and loss == loss:
                self.last_val = (loss + 0.02, min(0.98, 1.03 - 0.8 * loss))
                rec["val_loss"], rec["val_acc"] = self.last_val
            if t % c.stats_every == 0 and loss == loss:
                rec["layers"] = [
                    _layer(i, c.depth, t, bn, shape, c.activation) for i in range(1, c.depth + 1)
                ]
            self.history.add_record(rec)
            if ics and c.ics_every and t % c.ics_every == 0:
                self._diagnostics(t, bn)
            self.last_record = rec
        self.epoch = steps * c.batch_size // max(int(c.samples * 0.8), 1)
        self.data = _data()

    def _diagnostics(self, t: int, bn: bool) -> None:
        """ICS (l2, cos) of every Linear layer and the smoothness series, hand-made."""
        h, grow = self.history, t / (t + 100.0)
        for i in range(1, self.config.depth + 2):
            l2 = 0.0 if i == 1 else (0.5 + 0.2 * i) * (1.0 - 0.5 * grow) * (0.4 if bn else 1.0)
            cos = 1.0 if i == 1 else (0.97 if bn else 0.85) - 0.02 * i * grow
            h.add(t, layer_metric(i, "ics_l2"), l2)
            h.add(t, layer_metric(i, "ics_cos"), cos)
        scale = 0.5 if bn else 1.0
        lo = (_loss(t, bn, Shape()) - 0.01) * (1.0 - 0.05 * scale)
        values = (lo, lo + 0.2 * scale * (1.0 - 0.5 * grow), 0.3 * scale, 2.0 * scale + grow)
        for key, v in zip(SMOOTH_KEYS, values, strict=True):
            h.add(t, key, v)

    def predict_proba(self, xy: np.ndarray) -> np.ndarray:
        """Class probabilities ∝ 1 / (0.05 + squared distance to each class centre)."""
        w = np.stack([1.0 / (0.05 + (xy[:, 0] - a) ** 2 + (xy[:, 1] - b) ** 2) for a, b in CENTRES])
        return (w / w.sum(axis=0)).T

    def layer_outputs(self) -> list[np.ndarray]:
        """Each hidden layer's outputs on a batch: ramps squared (ReLU: a share of zeros)."""
        out = []
        for i in range(1, self.config.depth + 1):
            r = np.linspace(0.0, 1.0, 640)
            if self.config.activation == "sigmoid":
                v = r * r if i % 2 else 1.0 - r * r
                v = 0.5 + (v - 0.5) * (0.3 + 0.15 * i)
            elif self.config.activation == "tanh":
                v = (2.0 * r - 1.0) * (0.3 + 0.15 * i)
            else:
                v = np.where(r < 0.1 * i, 0.0, r * r * (1.0 + 0.5 * i))
            out.append(v.reshape(32, 20))
        return out


def commands(config: Config, script: list[tuple[int, str]]) -> tuple[Config, list[Event]]:
    """The configuration after ``script`` and its events (texts as the session words them):
    each command applied to a fresh Session that never trains (no BLAS), its event moved
    to the command's step."""
    session = Session(config)
    events = []
    for step, command in script:
        event = session.apply(command)
        events.append(Event(step, event.command, event.text, event.kind))
    return session.config, events


def _data() -> SimpleNamespace:
    """A 12×12 lattice in [-1, 1]², each point labelled by its nearest class centre."""
    g = np.linspace(-1.0, 1.0, 12)
    xx, yy = np.meshgrid(g, g)
    x = np.stack([xx.ravel(), yy.ravel()], axis=1)
    d = np.stack([(x[:, 0] - a) ** 2 + (x[:, 1] - b) ** 2 for a, b in CENTRES])
    return SimpleNamespace(is_2d=True, input_dim=2, x_train=x, y_train=d.argmin(axis=0))


@dataclass
class StillRunner:
    """What ``BntuiApp`` asks of a Runner, serving Frames of a ``Story`` (and its twin).

    Nothing trains: ``step`` and ``send`` are kept in ``asked`` and change nothing, so a
    snapshot shows exactly the story. The runner's own fields (state, message, hint, the
    newest change, a replay, BN internals) are given as they are.
    """

    story: Story
    twin: Story | None = None
    labels: tuple[str, str] | None = None
    state: str = RunState.PAUSED
    message: str | None = None
    hint: str | None = None
    change: tuple[int, str] | None = None
    replay: ReplayState | None = None
    internals: BNInternals | None = None
    pace: float | None = None
    travel: Travel | None = None  # at a past step: where it stands (see ``past``)
    past: Story | None = None  # at a past step: the whole recorded run (its history drawn)
    threaded: bool = False
    paused: bool = True
    replaying: bool = False
    plan: Any = None
    asked: list[tuple[str, Any]] = field(default_factory=list)

    def frame(self, needs: Needs | None = None, *, settled: bool = False) -> Frame:
        needs = needs or Needs()
        frame = build_frame(
            self.story,
            dataclasses.replace(needs, internals=False),
            version=1,
            state=self.state,
            pace=self.pace,
            message=self.message,
            hint=self.hint,
            change=self.change,
            replay=self.replay,
            twin=self.twin,
            labels=self.labels,
            travel=self.travel,
            past=self.past.history if self.past is not None else None,
        )
        if needs.internals:
            frame = dataclasses.replace(frame, internals=self.internals)
        return frame

    def _ask(self, what: str, value: Any = None) -> None:
        self.asked.append((what, value))

    def start(self) -> None:
        self._ask("start")

    def stop(self, timeout: float = 1.0) -> None:
        self._ask("stop")

    def step(self, n: int = 1) -> None:
        self._ask("step", n)

    def send(self, command: Any) -> None:
        self._ask("send", str(command))

    def toggle_pause(self) -> None:
        self._ask("pause")

    def set_speed(self, steps_per_second: float | None) -> None:
        self._ask("speed", steps_per_second)

    def skip_to(self, step: int) -> None:
        self._ask("skip", step)

    def takeover(self) -> None:
        self._ask("takeover")

    def restart(self) -> None:
        self._ask("restart")


def internals(layer: int = 4, units: int = 32, batch: int = 8) -> BNInternals:
    """Hand-made BN internals of one layer (view 5): batch statistics scatter around the
    running ones, train mode and eval mode disagree a little."""
    u = np.arange(units, dtype=np.float64)
    mu_b = (u % 7 - 3.0) / 10.0
    sigma_b = 0.8 + (u % 5) / 10.0
    run_mean = mu_b * 0.8
    run_std = sigma_b * 1.1
    gamma = 1.0 + (u % 3 - 1.0) / 20.0
    beta = (u % 4 - 1.5) / 50.0
    y_train = gamma * ((u % 9 - 4.0) / 4.0) + beta
    y_eval = y_train * 0.9 + 0.05
    return BNInternals(
        layer=layer,
        norm="bn",
        applies=True,
        batch_size=batch,
        mu_b=mu_b,
        sigma_b=sigma_b,
        run_mean=run_mean,
        run_std=run_std,
        gamma=gamma,
        beta=beta,
        y_train=y_train,
        y_eval=y_eval,
        diff_rms=0.25,
        batches=16,
        sample_size=batch,
        mu_spread=0.3125,
        sigma_spread=0.125,
        acc_train=0.9375,
        acc_eval=0.875,
        disagree=0.0625,
    )
