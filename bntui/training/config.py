"""The experiment's configuration: one frozen dataclass, validated with clear messages.

Every field is also a CLI flag (``--depth 6``, ``--bn/--no-bn``), a TOML key in
``--config`` files and replay scripts, so the field list below is the one place that
says what an experiment is.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bntui.errors import BntuiError, decode_utf8, read_input
from bntui.nn.init import parse_init as _parse_init
from bntui.nn.names import ACTIVATION_NAMES as ACTIVATIONS
from bntui.nn.names import BN_POSITIONS, DROPOUT_STYLES, NORM_NAMES
from bntui.nn.names import OPTIMIZER_NAMES as OPTIMIZERS
from bntui.nn.nn_error import NNError
from bntui.nn.norm_layers import parse_norm
from bntui.nn.spec import NET_SETTINGS, NetSpec

SYNTHETIC_DATASETS = ("spiral", "moons", "circles", "xor", "blobs")
DOWNLOADABLE_DATASETS = ("mnist", "fashion-mnist")
DATASETS = SYNTHETIC_DATASETS + DOWNLOADABLE_DATASETS + ("file",)
INIT_PRESETS = ("he", "xavier", "std:1", "std:0.01")
DTYPES = ("float32", "float64")

MAX_DEPTH = 32
MAX_WIDTH = 1024


class ConfigError(BntuiError, ValueError):
    """A configuration value that cannot be used; the message names the field."""


def _meta(help: str, *, metavar: str | None = None, choices: tuple[str, ...] | None = None):
    return {"help": help, "metavar": metavar, "choices": choices}


@dataclass(frozen=True)
class Config:
    """Everything that defines an experiment (and nothing about how it is shown)."""

    # data
    dataset: str = field(
        default="spiral",
        metadata=_meta("dataset: " + ", ".join(DATASETS[:-1]), choices=DATASETS),
    )
    data: str | None = field(
        default=None,
        metadata=_meta("a CSV file, an .npz (x, y) or a directory of IDX files", metavar="PATH"),
    )
    target: str | None = field(
        default=None, metadata=_meta("CSV column to predict", metavar="COLUMN")
    )
    features: tuple[str, ...] | None = field(
        default=None, metadata=_meta("CSV columns to use (comma-separated)", metavar="A,B,C")
    )
    classes: int = field(default=3, metadata=_meta("classes of the synthetic sets (2..10)"))
    samples: int = field(default=1500, metadata=_meta("points in a synthetic set"))
    noise: float = field(default=0.2, metadata=_meta("noise of the synthetic sets"))
    val_fraction: float = field(default=0.2, metadata=_meta("share held out for validation"))
    test_fraction: float = field(
        default=0.0,
        metadata=_meta("share held out as a test set, reported once at the end (0: none)"),
    )
    test_data: str | None = field(
        default=None,
        metadata=_meta(
            "a test set file of the same kind as --data, reported at the end", metavar="PATH"
        ),
    )
    train_size: int | None = field(
        default=None, metadata=_meta("keep only N training samples (overfitting studies)")
    )
    # network
    depth: int = field(default=4, metadata=_meta(f"hidden layers (0..{MAX_DEPTH})"))
    width: int = field(default=32, metadata=_meta(f"units per hidden layer (1..{MAX_WIDTH})"))
    activation: str = field(
        default="relu", metadata=_meta("activation: " + ", ".join(ACTIVATIONS), choices=ACTIVATIONS)
    )
    bn: bool = field(default=True, metadata=_meta("batch normalization in every hidden layer"))
    norm: str = field(
        default="bn",
        metadata=_meta(
            "normalization: " + ", ".join(NORM_NAMES) + " (gn:G groups; --no-bn means none)",
            metavar="NAME",
        ),
    )
    bn_position: str = field(
        default="before",
        metadata=_meta("BN before or after the activation", choices=BN_POSITIONS),
    )
    bn_momentum: float = field(default=0.1, metadata=_meta("BN running-average momentum"))
    bn_eps: float = field(default=1e-5, metadata=_meta("ε of every normalization layer"))
    dropout: float = field(default=0.0, metadata=_meta("dropout probability after each layer"))
    dropout_style: str = field(
        default="inverted",
        metadata=_meta(
            "inverted (train scales by 1/(1-p)) or scale-at-test (DLFS: test multiplies by 1-p)",
            choices=DROPOUT_STYLES,
        ),
    )
    init: str = field(
        default="he", metadata=_meta("weight init: he, xavier or std:<s>", metavar="SPEC")
    )
    dtype: str = field(default="float32", metadata=_meta("float32 or float64", choices=DTYPES))
    # training
    optimizer: str = field(
        default="sgd", metadata=_meta("optimizer: sgd, momentum, adam", choices=OPTIMIZERS)
    )
    lr: float = field(default=0.1, metadata=_meta("learning rate"))
    momentum: float = field(default=0.9, metadata=_meta("momentum of the momentum optimizer"))
    weight_decay: float = field(default=0.0, metadata=_meta("L2 penalty λ (adds λ/2·‖W‖²)"))
    l1: float = field(default=0.0, metadata=_meta("L1 penalty λ (adds λ·|W|)"))
    max_norm: float | None = field(
        default=None, metadata=_meta("max-norm constraint on each unit's incoming weights")
    )
    batch_size: int = field(default=64, metadata=_meta("mini-batch size"))
    steps: int = field(default=3000, metadata=_meta("training steps (headless runs)"))
    epochs: int | None = field(
        default=None,
        metadata=_meta(
            "train N full passes over the training set instead of --steps (a last partial "
            "batch is used; a 1-row remainder joins the batch before it)",
            metavar="N",
        ),
    )
    patience: int | None = field(
        default=None, metadata=_meta("early stopping: evaluations without val-loss improvement")
    )
    seed: int = field(default=0, metadata=_meta("random seed (all randomness derives from it)"))
    data_seed: int | None = field(
        default=None, metadata=_meta("seed of the data (generation, split) only; default --seed")
    )
    init_seed: int | None = field(
        default=None, metadata=_meta("seed of the initial weights only; default --seed")
    )
    order_seed: int | None = field(
        default=None, metadata=_meta("seed of the batch order only; default --seed")
    )
    # measurement
    eval_every: int = field(default=50, metadata=_meta("steps between validation passes"))
    stats_every: int = field(
        default=30, metadata=_meta("steps between per-layer statistics (bench: ~4 % cost at 30)")
    )
    ics_every: int | None = field(default=None, metadata=_meta("log ICS every K steps"))
    smooth_every: int | None = field(default=None, metadata=_meta("log smoothness every N steps"))
    compare: str | None = field(
        default=None, metadata=_meta("compare mode: twin BN-flipped or KEY=VALUE", metavar="KEY=V")
    )

    def __post_init__(self) -> None:
        validate(self)

    def net_spec(self) -> NetSpec:
        """The network's settings (``bntui.nn.NetSpec``), read by name from these fields
        (``norm`` is the normalization in use: "none" when ``bn`` is off)."""
        values = {name: getattr(self, name) for name in NET_SETTINGS}
        return NetSpec(**values | {"norm": self.normalization})

    @property
    def normalization(self) -> str:
        """The normalization the network uses: ``norm``, or "none" when ``bn`` is off."""
        return self.norm if self.bn else "none"

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self, *, only_changed: bool = False) -> dict[str, Any]:
        """The fields as plain TOML-able values (None fields left out)."""
        default = Config()
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (only_changed and value == getattr(default, f.name)):
                continue
            if f.name == "steps" and self.epochs is not None:
                continue  # epochs set the run's length; steps would contradict them
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any], *, where: str = "config") -> Config:
        """Build from TOML-like values; unknown keys and wrong types raise ConfigError."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        given = {k.replace("-", "_") for k, v in values.items() if v is not None}
        if {"steps", "epochs"} <= given:
            raise ConfigError(f"{where}: give steps or epochs, not both")
        for key, raw in values.items():
            name = key.replace("-", "_")
            if name not in known:
                raise ConfigError(f"{where}: unknown setting {key!r}{_suggest(name, known)}")
            kwargs[name] = coerce(name, raw)
        return cls(**kwargs)


def field_type(name: str) -> type:
    """The base Python type of a Config field (int, float, str, bool or tuple)."""
    annotation = _FIELDS[name].type.replace(" | None", "")
    return {"int": int, "float": float, "str": str, "bool": bool}.get(annotation, tuple)


def optional(name: str) -> bool:
    """True when the field may be None (absent)."""
    return CONFIG_DEFAULTS[name] is None


def coerce(name: str, raw: Any) -> Any:
    """Turn a TOML value or command-line string into the field's type, or raise ConfigError."""
    kind = field_type(name)
    label = name.replace("_", "-")
    if raw is None or (isinstance(raw, str) and raw.lower() == "none" and optional(name)):
        if optional(name):
            return None
        raise ConfigError(f"{label} needs a value")
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "on", "yes"):
                return True
            if text in ("0", "false", "off", "no"):
                return False
            raise ValueError
        if kind is int:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(raw) if not isinstance(raw, str) else int(raw.replace("_", ""))
        if kind is float:
            if isinstance(raw, bool):
                raise ValueError
            return float(raw)
        if kind is tuple:
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            return tuple(str(i).strip() for i in items if str(i).strip())
        if not isinstance(raw, str):
            raise ValueError
        return raw.strip()
    except (TypeError, ValueError):
        want = {bool: "on/off", int: "a whole number", float: "a number", tuple: "a list"}
        raise ConfigError(f"{label} must be {want.get(kind, 'text')}, got {raw!r}") from None


def parse_init(spec: str) -> tuple[str, float | None]:
    """'he' -> ('he', None); 'std:0.01' -> ('std', 0.01) (``bntui.nn.init.parse_init``),
    raising ConfigError."""
    try:
        return _parse_init(spec)
    except NNError as exc:
        raise ConfigError(str(exc)) from None


def _suggest(name: str, options: Any) -> str:
    import difflib

    if name in options:  # valid: no suggestion (validate builds its messages eagerly)
        return ""
    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


def validate(c: Config) -> None:
    """Raise ConfigError with a one-line message for the first unusable value."""
    for f in fields(c):
        value = getattr(c, f.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{f.name.replace('_', '-')} must be a finite number")
    _check(
        c.dataset in DATASETS,
        f"unknown dataset {c.dataset!r}{_suggest(c.dataset, DATASETS)}; "
        f"choose from {', '.join(DATASETS[:-1])} or give --data PATH",
    )
    _check(c.dataset != "file" or c.data is not None, "dataset 'file' needs --data PATH")
    _check(2 <= c.classes <= 10, f"classes must be in 2..10, got {c.classes}")
    _check(20 <= c.samples <= 1_000_000, f"samples must be in 20..1000000, got {c.samples}")
    _check(0 <= c.noise <= 5, f"noise must be in 0..5, got {c.noise}")
    _check(0 < c.val_fraction < 1, f"val-fraction must be between 0 and 1, got {c.val_fraction}")
    _check(
        0 <= c.test_fraction < 1 and c.val_fraction + c.test_fraction < 1,
        f"test-fraction must be in [0, 1) with val-fraction + test-fraction < 1, "
        f"got {c.test_fraction}",
    )
    _check(
        c.test_data is None or c.test_fraction == 0,
        "give test-data or test-fraction, not both",
    )
    _check(
        c.train_size is None or c.train_size >= 1,
        f"train-size must be at least 1, got {c.train_size}",
    )
    _check(0 <= c.depth <= MAX_DEPTH, f"depth must be in 0..{MAX_DEPTH}, got {c.depth}")
    _check(1 <= c.width <= MAX_WIDTH, f"width must be in 1..{MAX_WIDTH}, got {c.width}")
    _check(
        c.activation in ACTIVATIONS,
        f"unknown activation {c.activation!r}{_suggest(c.activation, ACTIVATIONS)}; "
        f"choose from {', '.join(ACTIVATIONS)}",
    )
    _check(
        c.bn_position in BN_POSITIONS, f"bn-position must be before or after, got {c.bn_position!r}"
    )
    _check(0 < c.bn_momentum <= 1, f"bn-momentum must be in (0, 1], got {c.bn_momentum}")
    try:
        _kind, groups = parse_norm(c.norm)
    except NNError as exc:
        raise ConfigError(str(exc)) from None
    _check(
        groups is None or c.width % groups == 0,
        f"norm {c.norm}: {groups} groups do not divide width {c.width}",
    )
    _check(0 <= c.dropout < 1, f"dropout must be in [0, 1), got {c.dropout}")
    _check(0 < c.bn_eps <= 1, f"bn-eps must be in (0, 1], got {c.bn_eps}")
    _check(
        c.dropout_style in DROPOUT_STYLES,
        f"dropout-style must be {' or '.join(DROPOUT_STYLES)}, got {c.dropout_style!r}",
    )
    parse_init(c.init)
    _check(c.dtype in DTYPES, f"dtype must be float32 or float64, got {c.dtype!r}")
    _check(
        c.optimizer in OPTIMIZERS,
        f"unknown optimizer {c.optimizer!r}{_suggest(c.optimizer, OPTIMIZERS)}; "
        f"choose from {', '.join(OPTIMIZERS)}",
    )
    _check(c.lr > 0, f"lr must be greater than 0, got {c.lr}")
    _check(0 <= c.momentum < 1, f"momentum must be in [0, 1), got {c.momentum}")
    _check(c.weight_decay >= 0, f"weight-decay must be >= 0, got {c.weight_decay}")
    _check(c.l1 >= 0, f"l1 must be >= 0, got {c.l1}")
    _check(c.max_norm is None or c.max_norm > 0, f"max-norm must be > 0, got {c.max_norm}")
    _check(1 <= c.batch_size <= 65536, f"batch-size must be in 1..65536, got {c.batch_size}")
    _check(c.steps >= 0, f"steps must be >= 0, got {c.steps}")
    _check(c.epochs is None or c.epochs >= 1, f"epochs must be >= 1, got {c.epochs}")
    _check(c.patience is None or c.patience >= 1, f"patience must be >= 1, got {c.patience}")
    for name in ("seed", "data_seed", "init_seed", "order_seed"):
        value = getattr(c, name)
        _check(
            value is None or 0 <= value < 2**63,
            f"{name.replace('_', '-')} must be a non-negative whole number, got {value}",
        )
    _check(c.eval_every >= 1, f"eval-every must be >= 1, got {c.eval_every}")
    _check(c.stats_every >= 1, f"stats-every must be >= 1, got {c.stats_every}")
    for name, v in (("ics-every", c.ics_every), ("smooth-every", c.smooth_every)):
        _check(v is None or v >= 1, f"{name} must be >= 1, got {v}")


_FIELDS = {f.name: f for f in fields(Config)}
CONFIG_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Config)}


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into ConfigError naming the file."""
    text = decode_utf8(read_input(path, ConfigError, "a TOML file"), str(path), ConfigError)
    try:
        doc = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply (not a settings file)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    check_nesting(doc, str(path))
    return doc


MAX_NESTING = 16  # tables and arrays deeper than this are refused (bntui's own nest 3)


def check_nesting(doc: Any, label: str, limit: int = MAX_NESTING) -> None:
    """ConfigError if ``doc`` nests tables or arrays more than ``limit`` levels deep
    (iterative: ``a.a.a.… = 1`` thousands deep is one line, not a RecursionError)."""
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            raise ConfigError(f"{label}: nested more than {limit} levels deep; refused")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def load_config(path: str | Path) -> Config:
    """A Config from a TOML file: either top-level keys or a [config] table."""
    doc = load_toml(path)
    table = doc.get("config", doc)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [config] must be a table")
    return Config.from_dict(table, where=str(path))
