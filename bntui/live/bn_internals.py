"""BN internals of one hidden layer, for the BN internals view (key 5): what a batch
normalization computes in train mode and what it uses in eval mode, on the same data.

Seed 003 (train vs inference) and DLFS eq. 6.7: in train mode a BN layer normalizes with
the batch's own mean mu_B and standard deviation sigma_B; in eval mode with the running
mean and variance it accumulated. ``bn_internals`` measures, for the selected layer:

- per unit, on the last training batch: mu_B, sigma_B, the running mean and standard
  deviation, how far the running ones lag the batch ones, gamma and beta, and that batch's
  output in train mode (batch statistics) and in eval mode (running statistics);
- over a few fresh batches of the current batch size, drawn from the training set with a
  generator of their own (the session's random streams are not touched): how far the
  batch statistics scatter around the running statistics, and the accuracy of the whole
  network in train mode vs eval mode on those batches (the gap that small batches open).

Nothing here changes the model: the passes are written out with the formulas of
``bntui.nn.functional`` (no layer's forward is called, so no running statistic moves,
no cache is overwritten and noisy BN draws no noise). No Textual, no Rich.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bntui.i18n.message import Msg
from bntui.nn import functional as F
from bntui.nn.activation_layers import make_activation
from bntui.nn.names import BATCH_NORMS
from bntui.nn.norm_layers import parse_norm
from bntui.training.metrics import read_only
from bntui.training.player import one_blas_thread

SAMPLE_BATCHES = 16  # fresh batches for the spread and the accuracy gap
SAMPLE_CAP = 2048  # at most this many samples in those batches together (frame cost)


@dataclass(frozen=True)
class BNInternals:
    """What the BN internals view shows for one layer (arrays are read-only copies)."""

    layer: int  # 1-based hidden layer
    norm: str  # the normalization in use ("bn", "ln", "gn:4", "none", …)
    applies: bool  # False for norms without batch statistics (and before the first step)
    reason: Msg | None = None  # why it does not apply
    batch_size: int = 0  # the last training batch's size
    mu_b: np.ndarray | None = None  # (D,) batch mean of the norm's input
    sigma_b: np.ndarray | None = None  # (D,) batch standard deviation (biased variance)
    run_mean: np.ndarray | None = None  # (D,)
    run_std: np.ndarray | None = None  # (D,) sqrt(running_var)
    gamma: np.ndarray | None = None
    beta: np.ndarray | None = None
    y_train: np.ndarray | None = None  # (D,) output of sample 1 of that batch, train mode
    y_eval: np.ndarray | None = None  # (D,) the same sample, eval mode
    diff_rms: float = math.nan  # RMS of y_train - y_eval over the whole batch and all units
    # over SAMPLE_BATCHES fresh batches of the current batch size
    batches: int = 0
    sample_size: int = 0  # their batch size
    mu_spread: float = math.nan  # mean over units of sd_batches(mu_B) / running std
    sigma_spread: float = math.nan  # mean over units of sd_batches(sigma_B / running std)
    acc_train: float = math.nan  # whole network, every BN layer with its batch statistics
    acc_eval: float = math.nan  # whole network, running statistics
    disagree: float = math.nan  # fraction of samples whose predicted class differs

    @property
    def gap(self) -> float:
        """Train-mode minus eval-mode accuracy on the same batches."""
        return self.acc_train - self.acc_eval


def not_applicable(norm: str, layer: int) -> Msg:
    """Why the view has nothing to show for ``norm``."""
    kind = parse_norm(norm)[0] if norm != "none" else "none"
    if kind == "none":
        return Msg(
            "no normalization: there are no batch statistics, running statistics, gamma or "
            "beta to show, and train mode equals eval mode"
        )
    if kind in ("ln", "gn"):
        what = (
            Msg("each sample over its own features")
            if kind == "ln"
            else Msg("each sample's groups")
        )
        return Msg(
            "{kind} normalizes {what}: no batch statistics and no running "
            "statistics, so train mode equals eval mode and the batch size does not matter",
            kind=kind.upper(),
            what=what,
        )
    return Msg("hidden layer {layer} does not exist", layer=layer)


def _norm_train(norm: Any, kind: str, x: np.ndarray) -> np.ndarray:
    """A batch-statistics normalization in train mode, without side effects: BN (eq. 6.7)
    for bn and noisy-bn (its noise is a training perturbation, left out), BRN's r, d
    correction from the current running statistics for brn."""
    gamma, beta = norm.gamma.data, norm.beta.data
    if kind == "brn":
        rm, rv = np.array(norm.running_mean), np.array(norm.running_var)
        return F.batchrenorm_forward(x, gamma, beta, rm, rv, norm.r_max, norm.d_max, norm.eps)[0]
    return F.batchnorm_forward(x, gamma, beta, norm.eps)[0]


def _norm_eval(norm: Any, x: np.ndarray) -> np.ndarray:
    rm, rv = np.array(norm.running_mean), np.array(norm.running_var)
    return F.batchnorm_eval_forward(x, norm.gamma.data, norm.beta.data, rm, rv, norm.eps)[0]


def _forward(model: Any, kind: str, x: np.ndarray, *, train: bool, tap: int) -> tuple:
    """Logits of ``x`` with every norm in train (batch statistics) or eval mode, no
    dropout; also the input of hidden layer ``tap``'s norm."""
    h, tapped = x, None
    for i, block in enumerate(model.blocks, start=1):
        act = make_activation(model.spec.activation)  # a fresh object: the block's caches stay
        b = None if block.linear.b is None else block.linear.b.data
        z = F.linear_forward(h, block.linear.W.data, b)
        norm = block.norm
        if block.bn_position == "before":
            if i == tap:
                tapped = z
            h = act.forward(_norm_train(norm, kind, z) if train else _norm_eval(norm, z))
        else:
            a = act.forward(z)
            if i == tap:
                tapped = a
            h = _norm_train(norm, kind, a) if train else _norm_eval(norm, a)
    head_b = None if model.head.b is None else model.head.b.data
    return F.linear_forward(h, model.head.W.data, head_b), tapped


def bn_internals(session: Any, layer: int, *, batches: int = SAMPLE_BATCHES) -> BNInternals:
    """The BN internals of hidden layer ``layer`` (1-based) of ``session``'s network."""
    c = session.config
    norm_name = c.normalization
    model = session.model
    kind = parse_norm(norm_name)[0] if norm_name != "none" else "none"
    if not 1 <= layer <= len(model.blocks):
        return BNInternals(
            layer, norm_name, False, Msg("hidden layer {layer} does not exist", layer=layer)
        )
    if kind not in BATCH_NORMS:
        return BNInternals(layer, norm_name, False, not_applicable(norm_name, layer))
    block = model.blocks[layer - 1]
    norm = block.norm
    x = block.z if block.bn_position == "before" else block.act_out
    if x is None or norm is None:
        return BNInternals(layer, norm_name, False, Msg("no training step yet: step once (n)"))
    with np.errstate(all="ignore"):
        x = np.array(x, dtype=np.float64)
        mu_b, var_b = x.mean(axis=0), x.var(axis=0)  # biased, as BN's train mode
        run_mean = np.array(norm.running_mean, dtype=np.float64)
        run_var = np.array(norm.running_var, dtype=np.float64)
        xd = x.astype(norm.gamma.data.dtype)
        y_train = np.asarray(_norm_train(norm, kind, xd), dtype=np.float64)
        y_eval = np.asarray(_norm_eval(norm, xd), dtype=np.float64)
        diff = y_train - y_eval
        with one_blas_thread():  # (already so under a training runner; not in tests)
            spread = _spread(session, kind, layer, batches)
    arrays = {
        "mu_b": mu_b,
        "sigma_b": np.sqrt(var_b),
        "run_mean": run_mean,
        "run_std": np.sqrt(run_var),
        "gamma": np.array(norm.gamma.data, dtype=np.float64),
        "beta": np.array(norm.beta.data, dtype=np.float64),
        "y_train": y_train[0].copy(),
        "y_eval": y_eval[0].copy(),
    }
    return BNInternals(
        layer,
        norm_name,
        True,
        batch_size=int(x.shape[0]),
        diff_rms=float(np.sqrt(np.mean(diff * diff))),
        **{k: read_only(v) for k, v in arrays.items()},
        **spread,
    )


def _spread(session: Any, kind: str, layer: int, batches: int) -> dict[str, Any]:
    """Batch statistics of fresh batches around the running ones; train vs eval accuracy."""
    data, model = session.data, session.model
    n = data.x_train.shape[0]
    bs = max(1, min(session.config.batch_size, n))
    batches = max(1, min(batches, SAMPLE_CAP // bs))
    # a generator of its own, fixed by the seed and step: the same frame twice is the same
    rng = np.random.default_rng([session.config.seed, session.step_count, 5])
    norm = model.blocks[layer - 1].norm
    run_mean = np.array(norm.running_mean, dtype=np.float64)
    run_std = np.sqrt(np.array(norm.running_var, dtype=np.float64))
    safe = np.where(run_std > 0, run_std, np.nan)
    mus, sigmas, right_t, right_e, differ, total = [], [], 0, 0, 0, 0
    for _i in range(batches):
        idx = rng.choice(n, size=bs, replace=False)
        xb = data.x_train[idx].astype(model.dtype, copy=False)
        yb = data.y_train[idx]
        logits_t, tapped = _forward(model, kind, xb, train=True, tap=layer)
        logits_e, _unused = _forward(model, kind, xb, train=False, tap=layer)
        t64 = np.asarray(tapped, dtype=np.float64)
        mus.append((t64.mean(axis=0) - run_mean) / safe)
        sigmas.append(t64.std(axis=0) / safe)
        pt, pe = logits_t.argmax(axis=1), logits_e.argmax(axis=1)
        right_t += int(np.count_nonzero(pt == yb))
        right_e += int(np.count_nonzero(pe == yb))
        differ += int(np.count_nonzero(pt != pe))
        total += bs
    mu_sd = np.std(np.array(mus), axis=0) if batches > 1 else np.full(run_mean.shape, np.nan)
    sg_sd = np.std(np.array(sigmas), axis=0) if batches > 1 else np.full(run_mean.shape, np.nan)
    return {
        "batches": batches,
        "sample_size": bs,
        "mu_spread": _nanmean(mu_sd),
        "sigma_spread": _nanmean(sg_sd),
        "acc_train": right_t / total,
        "acc_eval": right_e / total,
        "disagree": differ / total,
    }


def _nanmean(a: np.ndarray) -> float:
    ok = a[np.isfinite(a)]
    return float(ok.mean()) if ok.size else math.nan
