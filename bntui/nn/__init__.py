"""bntui.nn: a small NumPy deep-learning engine for studying batch normalization.

Pure NumPy (no UI imports), float32 by default and float64 for gradient checks.

The textbook: ``functional`` (formulas), ``layers`` / ``activation_layers`` (one class
each, calling ``functional``), ``spec`` (``NetSpec``: the network's settings), ``network``
(the MLP, built from a NetSpec, and its structural edits), ``norm_layers`` (LayerNorm,
GroupNorm, Batch Renormalization, noisy BN), ``optim``, ``init``. The fast path the
session trains with: ``fast`` (fused layers and packed parameters, pinned equal to the
textbook by tests). Names: ``names``.
"""

from bntui.nn.functional import (
    batchnorm_backward,
    batchnorm_backward_staged,
    batchnorm_forward,
    softmax,
    softmax_cross_entropy,
)
from bntui.nn.gradient import numerical_gradient, rel_error
from bntui.nn.init import init_weight
from bntui.nn.layers import (
    ACTIVATIONS,
    ELU,
    GELU,
    BatchNorm1d,
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    Parameter,
    ReLU,
    Sigmoid,
    Tanh,
    make_activation,
)
from bntui.nn.names import NORM_NAMES
from bntui.nn.network import MLP, Block
from bntui.nn.nn_error import NNError
from bntui.nn.norm_layers import (
    BatchRenorm1d,
    GroupNorm,
    LayerNorm,
    NoisyBatchNorm1d,
    make_norm,
    parse_norm,
)
from bntui.nn.optim import Optimizer, apply_max_norm, make_optimizer
from bntui.nn.spec import NET_SETTINGS, NetSpec

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "GELU",
    "MLP",
    "NET_SETTINGS",
    "NORM_NAMES",
    "BatchNorm1d",
    "BatchRenorm1d",
    "Block",
    "Dropout",
    "GroupNorm",
    "Identity",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "NNError",
    "NetSpec",
    "NoisyBatchNorm1d",
    "Optimizer",
    "Parameter",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "apply_max_norm",
    "batchnorm_backward",
    "batchnorm_backward_staged",
    "batchnorm_forward",
    "init_weight",
    "make_activation",
    "make_norm",
    "make_optimizer",
    "numerical_gradient",
    "parse_norm",
    "rel_error",
    "softmax",
    "softmax_cross_entropy",
]
