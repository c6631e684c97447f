"""The house's boundaries (DESIGN "Layout"): what may import what, read from the source."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import bntui
from bntui.live.runner import Runner

ROOT = Path(bntui.__file__).parent
ENGINE = (
    "bntui.nn",
    "bntui.data",
    "bntui.training.session",
    "bntui.training.metrics",
    "bntui.live.runner",
    "bntui.live.frame",
    "bntui.live.bn_internals",
    "bntui.training.commands",
    "bntui.training.config",
    "bntui.training.events",
    "bntui.training.player",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module an ``import`` statement in ``path`` names (lazy imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path)
    package = package if path.name == "__init__.py" else package.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}  # "from bntui import nn"
    return out


def sources(under: str = "") -> list[Path]:
    return sorted((ROOT / under).rglob("*.py"))


@pytest.mark.parametrize("module", ENGINE)
def test_engine_modules_import_no_ui_library(module: str) -> None:
    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", module


@pytest.mark.parametrize("path", sources("tui"), ids=lambda p: str(p.relative_to(ROOT)))
def test_tui_imports_neither_session_nor_nn(path: Path) -> None:
    bad = {
        m
        for m in imports_of(path)
        if m.startswith(("bntui.training.session", "bntui.nn"))
        or m in ("bntui.training.session", "bntui.nn")
    }
    assert not bad, f"{path.name} imports {sorted(bad)}: the UI draws Frames, sends commands"
    # nor does it reach into the runner's session
    tree = ast.parse(path.read_text(encoding="utf-8"))
    reads = [
        n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "session"
    ]
    assert not reads, f"{path.name} reads .session at lines {reads}"


def test_imports_checker_sees_lazy_imports() -> None:
    # the checker itself: cli/__init__ imports its subcommands inside dispatch()
    found = imports_of(ROOT / "cli" / "__init__.py")
    assert {"bntui.cli.run", "bntui.cli.tui", "bntui.cli.parser"} <= found


def test_data_does_not_import_config() -> None:
    for path in sources("data"):
        bad = {m for m in imports_of(path) if m.startswith("bntui.training.config")}
        assert not bad, f"{path.name} imports {sorted(bad)}"


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in ``graph`` (module -> modules it imports), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_circle_finder() -> None:
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_circle() -> None:
    """No module reaches itself through the import statements of bntui (lazy ones too)."""
    modules = {module_name(p): p for p in sources()}
    graph = {
        # a submodule's implicit import of its own package's __init__ is not an edge
        name: {m for m in imports_of(path) if m in modules and not name.startswith(m + ".")}
        for name, path in modules.items()
    }
    circle = find_circle({k: v - {k} for k, v in graph.items()})
    assert circle is None, "import circle: " + " -> ".join(circle or [])


def test_runner_takes_no_callable() -> None:
    """Only commands and typed controls go in: no method runs a caller's function."""
    assert not hasattr(Runner, "read") and not hasattr(Runner, "on_event")
    for name, fn in inspect.getmembers(Runner, inspect.isfunction):
        if name.startswith("_"):
            continue
        for param in inspect.signature(fn).parameters.values():
            assert "Callable" not in str(param.annotation), f"Runner.{name}({param.name})"


def test_no_file_over_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources()
        if (n := len(p.read_text().splitlines())) > 400
    }
    long = {k: v for k, v in long.items() if not k.startswith("nn/")}  # nn/: the nn split's
    assert not long


def test_app_under_300_lines() -> None:
    from bntui.tui.app import BntuiApp

    lines, _ = inspect.getsourcelines(BntuiApp)
    assert len(lines) < 300
