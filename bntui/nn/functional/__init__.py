"""Stateless building blocks: the formulas of the engine, one module per topic.

``linear`` (x W + b), ``batchnorm`` (the seed report's forward, compact and staged
backward, running statistics, eval pass, Batch Renormalization), ``norms`` (layer and
group normalization), ``activations``, ``loss`` (softmax cross-entropy). Everything is
importable from here: ``from bntui.nn import functional as F; F.batchnorm_forward``.

Every function works on float32 or float64 arrays and returns the same dtype: constants
are Python floats (NumPy 2 keeps ``float32_array * 0.5`` in float32, while
``float32_array * np.float64(0.5)`` silently becomes float64).

Shapes: ``x`` is ``(N, D)``: N samples in the batch, D features.
"""

from bntui.nn.functional.activations import (
    elu,
    elu_backward,
    gelu,
    gelu_backward,
    leaky_relu,
    leaky_relu_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    tanh_backward,
)
from bntui.nn.functional.batchnorm import (
    BNCache,
    BRNCache,
    batchnorm_backward,
    batchnorm_backward_staged,
    batchnorm_eval_backward,
    batchnorm_eval_forward,
    batchnorm_forward,
    batchnorm_running_update,
    batchrenorm_backward,
    batchrenorm_forward,
)
from bntui.nn.functional.linear import (
    linear_backward,
    linear_forward,
)
from bntui.nn.functional.loss import (
    softmax,
    softmax_cross_entropy,
)
from bntui.nn.functional.norms import (
    GNCache,
    check_groups,
    groupnorm_backward,
    groupnorm_forward,
    layernorm_backward,
    layernorm_forward,
)

__all__ = [
    "BNCache",
    "BRNCache",
    "GNCache",
    "batchnorm_backward",
    "batchnorm_backward_staged",
    "batchnorm_eval_backward",
    "batchnorm_eval_forward",
    "batchnorm_forward",
    "batchnorm_running_update",
    "batchrenorm_backward",
    "batchrenorm_forward",
    "check_groups",
    "elu",
    "elu_backward",
    "gelu",
    "gelu_backward",
    "groupnorm_backward",
    "groupnorm_forward",
    "layernorm_backward",
    "layernorm_forward",
    "leaky_relu",
    "leaky_relu_backward",
    "linear_backward",
    "linear_forward",
    "relu",
    "relu_backward",
    "sigmoid",
    "sigmoid_backward",
    "softmax",
    "softmax_cross_entropy",
    "tanh_backward",
]
