"""The previous release of the engine, for side-by-side benchmarks: ``extract(commit)``
writes that commit's ``bntui/`` package into a temporary directory (``git archive``),
which a worker process (``sides.py``) imports instead of this checkout.

``PREVIOUS`` is the baseline of issue 24: main of 2025-11-25, before the evaluation
passes over the whole training set (``bntui run`` on net c took 1.36 ms/step there).
"""

from __future__ import annotations

import atexit
import io
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREVIOUS = "04b52f6"

_DIRS: dict[str, Path] = {}


class VersionError(Exception):
    """The commit cannot be extracted (no git, not a repository, unknown commit)."""


def extract(commit: str = PREVIOUS) -> Path:
    """A directory holding ``bntui/`` as it was at ``commit`` (made once per process)."""
    if commit in _DIRS:
        return _DIRS[commit]
    try:
        proc = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", commit, "bntui"],
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VersionError(f"git archive {commit}: {exc}") from None
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines() or ["failed"]
        raise VersionError(f"git archive {commit}: {tail[-1]}")
    where = Path(tempfile.mkdtemp(prefix=f"bntui-{commit}-"))
    atexit.register(shutil.rmtree, where, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(where, filter="data")
    _DIRS[commit] = where
    return where
