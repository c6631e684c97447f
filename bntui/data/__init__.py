"""Datasets for bntui: 2-D toy sets, CSV tables, MNIST-family IDX files and .npz arrays.

``load_dataset(config, rng)`` is the one entry point the session uses; the modules
(``synthetic``, ``tabular``, ``idx``, ``download``) are small and readable on their own.
``bntui.data.download`` is the downloader *module* (``download.download(name)``,
``download.cache_dir()``). No Textual or Rich here.
"""

from bntui.data import download, idx, synthetic, tabular
from bntui.data.data_error import DataError
from bntui.data.dataset import Dataset, load_dataset
from bntui.data.idx import load_idx_dir, read_idx, write_idx
from bntui.data.tabular import load_csv

__all__ = [
    "DataError",
    "Dataset",
    "download",
    "idx",
    "load_csv",
    "load_dataset",
    "load_idx_dir",
    "read_idx",
    "synthetic",
    "tabular",
    "write_idx",
]
