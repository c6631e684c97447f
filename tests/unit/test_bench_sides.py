"""bench/sides.py runs each engine in its own interpreter, importing bntui from that
engine's tree only, even in a venv where bntui is installed editable from another tree
(as CI's venv has it). No timing is asserted: only where the code came from."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import sides  # noqa: E402
import versions  # noqa: E402

NET = {"depth": 2, "width": 8, "activation": "relu", "batch_size": 16, "eval_every": 5}

FINDER = """
import sys
from importlib.machinery import PathFinder
from pathlib import Path
MAPPING = {"bntui": %r}

class _EditableFinder:  # the shape of setuptools' editable finder: bntui and its children
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname in MAPPING:
            return PathFinder.find_spec(fullname, path=[str(Path(MAPPING[fullname]).parent)])
        parent, _, child = fullname.rpartition(".")
        if parent and parent in MAPPING:
            return PathFinder.find_spec(fullname, path=[MAPPING[parent]])
        return None

def install():
    if not any(f is _EditableFinder for f in sys.meta_path):
        sys.meta_path.append(_EditableFinder)
"""


def editable_venv(where: Path, installed: Path) -> str:
    """A venv whose site-packages sees this interpreter's packages and holds an editable
    install of ``bntui`` mapped to ``installed`` (a tree other than the one benchmarked);
    its python."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(where)
    python = where / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    sp = Path(purelib)
    (sp / "__editable___bntui_9_finder.py").write_text(FINDER % str(installed / "bntui"))
    (sp / "__editable__.bntui-9.pth").write_text(
        "import __editable___bntui_9_finder; __editable___bntui_9_finder.install()\n"
    )
    here = [p for p in site.getsitepackages() if Path(p).is_dir()]
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in here)
    (sp / "zz_parent.pth").write_text(lines)  # numpy & co. from this interpreter's venv
    return str(python)


@pytest.fixture(scope="module")
def previous() -> Path:
    try:
        return versions.extract()
    except versions.VersionError as exc:  # no git history (an sdist): nothing to compare
        pytest.skip(str(exc))


def test_each_engine_imports_only_its_own_tree_despite_an_editable_install(tmp_path, previous):
    # the editable install maps bntui to this checkout; the worker benchmarks the old tree
    python = editable_venv(tmp_path / "venv", ROOT)
    check = subprocess.run(
        [python, "-I", "-c", "import bntui.training.session, bntui; print(bntui.__file__)"],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    # the venv really serves this checkout's bntui to a plain import (the hazard is real)
    assert check.returncode == 0, check.stderr
    assert Path(check.stdout.strip()).resolve().is_relative_to(ROOT.resolve())
    for root, path in ((previous, "Session.step"), (ROOT, "player.play + Watch")):
        w = sides.Worker(root, str(root), python=python)
        try:
            assert w.make("e2e", "e2e", dict(NET)) == path
            assert w.make("bare", "bare", dict(NET)) == "Session.step"
            assert w.seconds("e2e", 10) > 0 and w.seconds("bare", 10) > 0
            where = w.ask(op="where")
            assert Path(where["bntui"]).resolve().is_relative_to(Path(root).resolve()), where
            assert where["strays"] == [], where
        finally:
            w.close()


def test_isolate_drops_editable_hooks_and_other_trees(monkeypatch, tmp_path) -> None:
    class __Finder:  # a stand-in for setuptools' editable finder class
        pass

    __Finder.__module__ = "__editable___bntui_9_finder"
    other = tmp_path / "other"
    (other / "bntui").mkdir(parents=True)
    keep = tmp_path / "plain"
    keep.mkdir()
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, __Finder])
    monkeypatch.setattr(sys, "path", [str(other), str(keep), "/x/__editable__.bntui.path_hook"])
    sides.isolate(str(tmp_path / "root"))
    assert __Finder not in sys.meta_path
    assert sys.path == [str(tmp_path / "root"), str(sides.HERE), str(keep)]
