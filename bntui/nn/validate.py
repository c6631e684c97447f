"""Validation of the network's settings: one NNError line per bad value."""

from __future__ import annotations

import math

import numpy as np

from bntui.nn.names import BN_POSITIONS
from bntui.nn.nn_error import NNError


def check_int(label: str, value: int, lo: int) -> int:
    """A whole number >= lo (not a bool), or NNError."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
        raise NNError(f"{label} must be a whole number >= {lo}, got {value!r}")
    return int(value)


def as_float(label: str, value: float) -> float:
    """A real number as a float (not a bool), or NNError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise NNError(f"{label} must be a number, got {value!r}")
    return float(value)


def check_penalty(label: str, value: float) -> float:
    """A finite number >= 0, or NNError."""
    v = as_float(label, value)
    if not (math.isfinite(v) and v >= 0):
        raise NNError(f"{label} must be a finite number >= 0, got {value!r}")
    return v


def check_bn_momentum(value: float) -> float:
    """A momentum of the running averages in (0, 1], or NNError."""
    v = as_float("bn momentum", value)
    if not 0.0 < v <= 1.0:
        raise NNError(f"bn momentum must be in (0, 1], got {value!r}")
    return v


def check_position(pos: str) -> str:
    """'before' or 'after' (the activation), or NNError."""
    if pos not in BN_POSITIONS:
        raise NNError(f"bn position must be 'before' or 'after', got {pos!r}")
    return pos
