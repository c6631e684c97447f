"""The batches of an epoch: how many rows each takes, how many are left (no NumPy needed).

With ``whole`` (``--epochs``) an epoch uses every training row: the last batch holds the
remainder, and a 1-row remainder joins the batch before it (one row has no batch
variance, and BN's unbiased running variance divides by n - 1). Without it (``--steps``)
only full batches are drawn and the remainder waits for the next epoch's permutation.
"""

from __future__ import annotations


def batch_rows(pos: int, n: int, batch_size: int, *, whole: bool) -> int:
    """Rows of the batch starting at ``pos`` of an epoch of ``n`` rows (0: the epoch is over)."""
    bs = min(batch_size, n)
    if not whole:
        return bs if pos + bs <= n else 0
    left = n - pos
    return 0 if left <= 0 else left if left <= bs + 1 else bs


def batches_left(pos: int, n: int, batch_size: int, *, whole: bool) -> int:
    """Batches still to come in an epoch whose next batch starts at ``pos``."""
    count = 0
    while (rows := batch_rows(pos, n, batch_size, whole=whole)) > 0:
        count, pos = count + 1, pos + rows
    return count
