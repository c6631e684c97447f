"""Shared setup for the reliability suites: a fixed hypothesis profile, an empty cache."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# One fixed profile: derandomized (the same examples every run, so CI is deterministic),
# bounded in size, no per-example deadline (the box is shared and busy).
settings.register_profile(
    "bntui-reliability",
    derandomize=True,
    max_examples=int(os.environ.get("BNTUI_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("bntui-reliability")


@pytest.fixture(autouse=True)
def _empty_dataset_cache(tmp_path_factory, monkeypatch):
    """No test here may see (or download into) the user's real dataset cache, nor a
    system copy (Debian's dataset-fashion-mnist in /usr/share/datasets)."""
    monkeypatch.setenv("BNTUI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("BNTUI_SYSTEM_DATASETS", "")
