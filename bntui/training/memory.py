"""Will a session fit in memory? A rough estimate, checked before anything is allocated.

``check_memory(config)`` refuses, with the estimate in the message, a configuration whose
training batch, weights and data could not fit in this machine's memory
(``BNTUI_MEMORY_LIMIT`` in MiB overrides the limit), instead of a MemoryError minutes in.
"""

from __future__ import annotations

import os

from bntui.training.config import Config, ConfigError

ACTIVATION_COPIES = 6  # arrays kept per hidden layer and batch row (linear, BN, act, grads)
WEIGHT_COPIES = 5  # weight, gradient, two optimizer states, the update
INPUT_DIMS = {"mnist": 784, "fashion-mnist": 784}


def memory_estimate(c: Config) -> int:
    """Rough bytes a session of ``c`` needs at its peak (training batch, weights, data).

    Counts the activations kept for the backward pass (batch × width per hidden layer,
    several arrays each), the weights with their gradients and optimizer states, and the
    dataset. A file's input width is not known here; synthetic sets have 2 inputs.
    """
    item = 8 if c.dtype == "float64" else 4
    if c.data is not None:
        d_in, n = 0, 0  # unknown until the file is read
    elif c.dataset in INPUT_DIMS:
        d_in, n = INPUT_DIMS[c.dataset], 70_000
    else:
        d_in, n = 2, c.samples
    rows = max(1, min(c.batch_size, n or c.batch_size))
    width, depth = c.width, c.depth
    acts = ACTIVATION_COPIES * rows * width * max(depth, 1) * item
    weights = WEIGHT_COPIES * (depth * width * width + (d_in + 10) * width) * item
    data = n * max(d_in, 1) * (item + 8)
    return acts + weights + data


def memory_limit() -> int:
    """Bytes a session may plan to use: $BNTUI_MEMORY_LIMIT (MiB) or the machine's RAM."""

    override = os.environ.get("BNTUI_MEMORY_LIMIT")
    if override:
        try:
            return int(float(override) * 2**20)
        except ValueError:
            msg = f"BNTUI_MEMORY_LIMIT must be a number of MiB, got {override!r}"
            raise ConfigError(msg) from None
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62  # unknown: do not refuse


def check_memory(c: Config, limit: int | None = None) -> Config:
    """``c`` unchanged, or ConfigError with the estimate when it cannot fit in memory."""
    need, have = memory_estimate(c), memory_limit() if limit is None else limit
    if need > have:
        raise ConfigError(
            f"batch-size {c.batch_size} × width {c.width} × depth {c.depth} "
            f"({c.dtype}) needs about {need / 2**30:.1f} GiB, more than the "
            f"{have / 2**30:.1f} GiB of memory here; use a smaller batch-size, width or depth"
        )
    return c
