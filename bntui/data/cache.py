"""A per-process cache of datasets, for many Sessions over the same data (sweeps, verify).

``DatasetCache().load`` is a drop-in ``load(config, rng)`` for ``Session(config, load=…)``.
A Dataset is immutable (read-only arrays) and ``load_dataset(config, rng)`` depends only on
the data fields of the config and the state of ``rng``; a hit returns the stored Dataset
and leaves ``rng`` exactly where the load would have left it, so a Session cannot tell the
difference. IDX directories (the expensive part of MNIST-family data: ~1.6 s per read
here) are cached by path and modification times, so trials with other seeds skip the read.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from bntui.data.dataset import Dataset, load_dataset
from bntui.data.idx import load_idx_dir

# Config fields that do not change what load_dataset returns (the rest are the key: a
# field added later is part of the key until it is listed here, which is the safe side).
NOT_DATA = frozenset((
    "depth", "width", "activation", "bn", "norm", "bn_position", "bn_momentum", "bn_eps",
    "dropout", "dropout_style", "init", "optimizer", "lr", "momentum", "weight_decay", "l1",
    "max_norm", "batch_size", "steps", "epochs", "patience", "seed", "init_seed",
    "order_seed", "eval_every", "stats_every",
))  # fmt: skip


class DatasetCache:
    """Datasets by (data fields, rng state), IDX arrays by directory; thread-safe, LRU."""

    def __init__(self, size: int = 16, idx_size: int = 4) -> None:
        self._lock = threading.Lock()
        self._datasets: OrderedDict[str, tuple[Dataset, dict]] = OrderedDict()
        self._files: OrderedDict[tuple, tuple] = OrderedDict()
        self._size, self._idx_size = size, idx_size

    def _key(self, config: Any, rng: np.random.Generator) -> str:
        data = {k: v for k, v in config.to_dict().items() if k not in NOT_DATA}
        for name in ("data", "test_data"):  # a changed file is a different dataset
            if data.get(name) is not None:
                p = Path(data[name]).expanduser()
                try:
                    st = p.stat()
                    data["_" + name] = [str(p.resolve()), st.st_mtime_ns, st.st_size]
                except OSError:
                    pass
        return json.dumps([data, rng.bit_generator.state], sort_keys=True, default=str)

    def load(self, config: Any, rng: np.random.Generator) -> Dataset:
        """What ``load_dataset(config, rng)`` returns, from the cache when it can."""
        key = self._key(config, rng)
        with self._lock:
            hit = self._datasets.get(key)
            if hit is not None:
                self._datasets.move_to_end(key)
        if hit is not None:
            rng.bit_generator.state = hit[1]
            return hit[0]
        data = load_dataset(config, rng, read_idx=self.read_idx)
        with self._lock:
            self._datasets[key] = (data, rng.bit_generator.state)
            while len(self._datasets) > self._size:
                self._datasets.popitem(last=False)
        return data

    def read_idx(self, directory: Path) -> tuple:
        """``load_idx_dir(directory)``, cached by path and the files' modification times."""
        p = Path(directory)
        try:
            stamp = tuple(sorted((f.name, f.stat().st_mtime_ns) for f in p.iterdir()))
        except OSError:
            return load_idx_dir(directory)
        key = (str(p.resolve()), stamp)
        with self._lock:
            hit = self._files.get(key)
        if hit is not None:
            return hit
        arrays = load_idx_dir(directory)
        for a in arrays:
            if isinstance(a, np.ndarray):
                a.setflags(write=False)  # shared between trials: nobody may write them
        with self._lock:
            self._files[key] = arrays
            while len(self._files) > self._idx_size:
                self._files.popitem(last=False)
        return arrays
