"""One key table: bindings, palette, help screen and README all come from tui/keys.py."""

from __future__ import annotations

import re
from pathlib import Path

from bntui.tui.app import BntuiApp
from bntui.tui.keys import KEYS, PALETTE_KEY, help_rows, palette_entries, with_keys

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_keys() -> set[str]:
    """Every backticked key in the README's key table (``1``–``4`` counts as 1, 2, 3, 4)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## In the live view", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    keys = set(re.findall(r"`([^`]+)`", table))
    for a, b in re.findall(r"`(\d)`–`(\d)`", table):
        keys |= {str(n) for n in range(int(a), int(b) + 1)}
    return keys


def test_readme_lists_every_binding() -> None:
    listed = readme_keys()
    missing = [k.shown for k in KEYS if k.shown not in listed]
    assert not missing, f"README key table lacks {missing}"
    assert PALETTE_KEY in listed


def test_readme_check_can_fail() -> None:
    # the parser reads real keys out of the table, not every backticked word of the file
    listed = readme_keys()
    assert "b" in listed and "3" in listed and "bntui" not in listed


def test_bindings_palette_and_help_come_from_the_table() -> None:
    bound = [(b.key, b.action) for b in BntuiApp.BINDINGS]  # type: ignore[union-attr]
    assert bound == [(k.key, k.action) for k in KEYS]
    assert len({k.key for k in KEYS}) == len(KEYS) and len({k.id for k in KEYS}) == len(KEYS)
    titles = dict(palette_entries())
    assert titles["Toggle BN: batch normalization on/off (b)"] == "send('bn toggle')"
    assert [k for k, _ in help_rows()] == [*(k.shown for k in KEYS), PALETTE_KEY]


def test_with_keys_names_the_key_of_each_command() -> None:
    hint = "loss is not finite: try lr /2, bn on or reset"
    assert with_keys(hint) == "loss is not finite: try l (lr /2), b (bn on) or r (reset)"
    assert with_keys("try dataset next") == "try d (dataset next)"
    # words that are not whole commands stay as they are
    assert with_keys("lr must be greater than 0") == "lr must be greater than 0"
    assert with_keys("a reset-free run") == "a reset-free run"
    assert with_keys(None) is None
