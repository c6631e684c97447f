"""``bntui data``: download MNIST-family files, show the cache directory."""

from __future__ import annotations

import argparse
import sys

from bntui.cli.parser import UsageError


def cmd_data(args: argparse.Namespace) -> int:
    from bntui.data import download

    if args.data_cmd == "download":
        path = download.download(args.name, progress=lambda text: print(text, file=sys.stderr))
        print(f"{args.name}: ready in {path}")
        return 0
    if args.data_cmd == "path":
        print(download.cache_dir())
        return 0
    raise UsageError("data: choose download NAME or path")
