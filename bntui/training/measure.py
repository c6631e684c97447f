"""ICS and smoothness logged as record fields (Santurkar et al. 2018), for ``Session``.

``diagnostic_fields`` is the hook ``Session._step`` calls when ``config.ics_every`` or
``config.smooth_every`` is set: measured on the step's batch at the parameters *before*
its update, right after the step's own backward (so it needs no first pass of its own),
leaving the model exactly as found, so training goes on as without it.
"""

from __future__ import annotations

import numpy as np

from bntui.nn.diagnostics import ETAS, ics, smoothness
from bntui.training.metrics import _round

ICS_KEYS = ("ics_l2", "ics_cos")
SMOOTH_KEYS = ("landscape_lo", "landscape_hi", "grad_pred", "beta_smooth")


def due(step: int, every: int | None) -> bool:
    """True when a measurement every ``every`` steps (None: never) falls on ``step``."""
    return bool(every) and step % every == 0  # type: ignore[operator]


def diagnostic_fields(
    model,
    x: np.ndarray,
    y: np.ndarray,
    lr: float,
    *,
    step: int,
    ics_every: int | None = None,
    smooth_every: int | None = None,
    etas: tuple[float, ...] = ETAS,
    optimizer=None,
    grads_ready: bool = False,
) -> dict[str, float]:
    """The ICS / smoothness record fields due at ``step`` (``step % every == 0``):
    ``L{i}.ics_l2``, ``L{i}.ics_cos`` (i over every Linear layer, the head last),
    ``landscape_lo``, ``landscape_hi``, ``grad_pred``, ``beta_smooth``. ICS moves the
    earlier layers by ``optimizer``'s actual update (Def. 2.1); without one, by plain SGD.
    ``grads_ready``: the step's own training pass has just run its backward on (x, y) (see
    ``ics``)."""
    out: dict[str, float] = {}
    with np.errstate(all="ignore"):
        if due(step, ics_every):
            pairs = ics(model, x, y, lr, grads_ready=grads_ready, optimizer=optimizer)
            for i, (l2, cos) in enumerate(pairs, start=1):
                out[f"L{i}.ics_l2"], out[f"L{i}.ics_cos"] = _round(l2), _round(cos)
        if due(step, smooth_every):
            found = smoothness(model, x, y, lr, etas, grads_ready=grads_ready)
            out.update({k: _round(v) for k, v in found.to_dict().items()})
    return out
