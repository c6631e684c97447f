"""Installing like the ecosystem expects: ``python -m bntui``, ``--version``, metadata."""

from __future__ import annotations

import platform
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy
import textual

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_bntui_prints_every_version_that_matters(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "bntui", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    line = r.stdout.strip()
    assert "\n" not in line
    assert line.startswith("bntui 0.1.0 (")
    assert f"Python {platform.python_version()}" in line
    assert f"numpy {numpy.__version__}" in line  # the imported modules, not metadata
    assert f"textual {textual.__version__}" in line


def test_pyproject_metadata_is_complete():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License") and "WITHOUT WARRANTY" in license_text
    assert {"batch normalization", "numpy", "textual"} <= set(project["keywords"])
    classifiers = project["classifiers"]
    assert "Intended Audience :: Education" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]  # PEP 639: the expression
    supported = {c.rsplit(" ", 1)[1] for c in classifiers if c.startswith("Programming Language")}
    assert project["requires-python"] == ">=3.11" and "3.11" in supported
    assert project["scripts"] == {"bntui": "bntui.cli:entry"}
    assert project["optional-dependencies"]["serve"] == ["textual-serve>=1.1"]
    assert project["readme"] == "README.md" and (ROOT / "README.md").is_file()
