"""The network's settings: one frozen record that an ``MLP`` is built from and that its
structural edits replace.

``NetSpec`` is the one place a network setting is declared and checked. The experiment's
``Config`` (``bntui.training.config``) has a field of the same name for each one and
``Config.net_spec()`` reads them by name, so a new network knob is a field here, a field
(with its flag, TOML key and help text) there, and its use in ``MLP``: nothing is passed
through by hand.

    >>> NetSpec(depth=6, activation="sigmoid").replace(norm="gn")
    NetSpec(depth=6, width=32, activation='sigmoid', norm='gn:4', ...)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bntui.nn import functional as F
from bntui.nn.init import init_std
from bntui.nn.layers import Dropout, check_eps, make_activation
from bntui.nn.names import DROPOUT_STYLES
from bntui.nn.nn_error import NNError
from bntui.nn.norm_layers import parse_norm
from bntui.nn.validate import check_bn_momentum, check_int, check_penalty, check_position


@dataclass(frozen=True)
class NetSpec:
    """What the hidden layers are: ``depth`` × (Linear → [norm] → activation → [dropout]),
    with the init of every Linear and the weight penalties. Checked on construction
    (``NNError`` naming the setting); ``norm`` is kept canonical ("gn" → "gn:4")."""

    depth: int = 4
    width: int = 32
    activation: str = "relu"
    norm: str = "bn"  # "bn", "ln", "gn:G", "brn", "noisy-bn" or "none"
    bn_position: str = "before"  # the normalization before or after the activation
    bn_momentum: float = 0.1
    bn_eps: float = 1e-5
    dropout: float = 0.0
    dropout_style: str = "inverted"  # or "scale-at-test" (see Dropout)
    init: str = "he"  # he, xavier or std:<s>
    weight_decay: float = 0.0
    l1: float = 0.0

    def __post_init__(self) -> None:
        check_int("depth", self.depth, 0)
        check_int("width", self.width, 1)
        make_activation(self.activation)  # validates the name
        object.__setattr__(self, "norm", canonical_norm(self.norm, self.width))
        check_position(self.bn_position)
        check_bn_momentum(self.bn_momentum)
        check_eps("bn_eps", self.bn_eps)
        Dropout._check_p(self.dropout)
        if self.dropout_style not in DROPOUT_STYLES:
            raise NNError(
                f"dropout style must be one of {', '.join(DROPOUT_STYLES)}, "
                f"got {self.dropout_style!r}"
            )
        init_std(self.init, 1, 1)  # validates the spec
        check_penalty("weight decay", self.weight_decay)
        check_penalty("l1", self.l1)

    def replace(self, **changes: Any) -> NetSpec:
        """A copy with some settings changed (checked: raises before anything changes)."""
        return dataclasses.replace(self, **changes)


def canonical_norm(spec: str, width: int) -> str:
    """The canonical name of a norm spec ("gn" -> "gn:4"); NNError if it is unknown or its
    groups do not divide ``width``."""
    kind, groups = parse_norm(spec)
    if groups is None:
        return kind
    F.check_groups(groups, width)
    return f"gn:{groups}"


NET_SETTINGS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(NetSpec))
