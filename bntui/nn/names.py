"""The names the engine understands, in one place (the configuration imports them).

Order matters: ``next`` / ``prev`` cycle through these tuples.
"""

from __future__ import annotations

ACTIVATION_NAMES: tuple[str, ...] = (
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "gelu",
    "identity",
)
OPTIMIZER_NAMES: tuple[str, ...] = ("sgd", "momentum", "adam")
BN_POSITIONS: tuple[str, ...] = ("before", "after")  # normalization before/after the act
# the normalization after each hidden Linear: "gn" takes an optional ":G" (groups)
NORM_NAMES: tuple[str, ...] = ("bn", "ln", "gn", "brn", "noisy-bn", "none")
BATCH_NORMS: tuple[str, ...] = ("bn", "brn", "noisy-bn")  # the ones with batch statistics
# inverted: train scales survivors by 1/(1-p); scale-at-test (DLFS): test multiplies by 1-p
DROPOUT_STYLES: tuple[str, ...] = ("inverted", "scale-at-test")
