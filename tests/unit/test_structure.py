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
# the engine wings: a small teaching library that imports no UI library
ENGINE = tuple(
    ".".join(("bntui", *p.relative_to(ROOT).with_suffix("").parts)).removesuffix(".__init__")
    for wing in ("nn", "data", "training", "live")
    for p in sorted((ROOT / wing).rglob("*.py"))
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


WINGS = ("cli", "data", "experiments", "i18n", "live", "nn", "replay", "training", "tui")
LOOSE_AT_MOST = 6  # top-level modules besides __init__ and __main__


def test_top_level_is_wings_and_a_few_loose_modules() -> None:
    dirs = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert dirs == sorted(WINGS)
    loose = sorted(
        p.name for p in ROOT.glob("*.py") if p.name not in ("__init__.py", "__main__.py")
    )
    assert len(loose) <= LOOSE_AT_MOST, loose


def duplicate_file_names(paths: list[Path]) -> dict[str, list[str]]:
    """File names (``__init__``/``__main__`` aside) that more than one module uses."""
    seen: dict[str, list[str]] = {}
    for path in paths:
        if path.name not in ("__init__.py", "__main__.py"):
            seen.setdefault(path.name, []).append(str(path))
    return {name: where for name, where in seen.items() if len(where) > 1}


def test_duplicate_finder(tmp_path: Path) -> None:
    for rel in ("a/x.py", "b/x.py", "a/y.py", "a/__init__.py", "b/__init__.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    found = duplicate_file_names(sorted(tmp_path.rglob("*.py")))
    assert list(found) == ["x.py"]


def test_no_two_modules_share_a_file_name() -> None:
    assert duplicate_file_names(sources()) == {}


def borrowed_attributes(tree: ast.Module) -> dict[str, set[str]]:
    """Per class: the ``self.X`` its methods use that neither the class nor one of its bases
    in the same module defines (assigned, a method, a class attribute or an annotation).

    A class whose methods use attributes only a subclass provides is a mixin reaching into
    its host through ``self``: one concept split over two rooms.
    """
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}

    def defined(cls: ast.ClassDef) -> set[str]:
        names: set[str] = set()
        for node in cls.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and (node.value is not None or cls.decorator_list)
            ):  # a bare annotation defines a dataclass field; elsewhere it only declares
                names.add(node.target.id)
        for node in ast.walk(cls):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            while targets:  # self.x = …, (self.x, self.y) = …; not self.x.y = …
                tgt = targets.pop()
                if isinstance(tgt, ast.Tuple | ast.List):
                    targets += tgt.elts
                elif isinstance(tgt, ast.Starred):
                    targets.append(tgt.value)
                elif (
                    isinstance(tgt, ast.Attribute)
                    and isinstance(tgt.value, ast.Name)
                    and tgt.value.id == "self"
                ):
                    names.add(tgt.attr)
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in classes:
                names |= defined(classes[base.id])
        return names

    out: dict[str, set[str]] = {}
    for name, cls in classes.items():
        if any(not (isinstance(b, ast.Name) and b.id == "object") for b in cls.bases):
            continue  # a subclass of something else may use what its base provides
        used = {
            n.attr
            for n in ast.walk(cls)
            if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name)
            and n.value.id == "self"
            and not n.attr.startswith("__")
        }
        missing = used - defined(cls)
        if missing:
            out[name] = missing
    return out


def test_mixin_finder_sees_a_mixin() -> None:
    mixin = ast.parse(
        "class Commands:\n"
        "    config: int\n"
        "    def _do_lr(self, arg):\n"
        "        self.optimizer.lr = arg\n"
        "        return self.config\n"
        "class Session(Commands):\n"
        "    def __init__(self):\n"
        "        self.optimizer = None\n"
        "        self.config = 1\n"
    )
    assert borrowed_attributes(mixin) == {"Commands": {"config", "optimizer"}}
    whole = ast.parse(
        "class Session:\n"
        "    def __init__(self):\n"
        "        self.optimizer = None\n"
        "    def _do_lr(self, arg):\n"
        "        self.optimizer.lr = arg\n"
        "        self.step_count += 1\n"
    )
    assert borrowed_attributes(whole) == {}


def test_no_class_uses_attributes_it_does_not_define() -> None:
    """No mixins: a class's methods use only what the class (or its own bases) defines.

    Classes that derive from a library class (a Textual ``App``, a ``Widget``, an
    ``Exception``) may use what the library defines; they are not checked."""
    found = {
        f"{p.relative_to(ROOT)}:{cls}": sorted(attrs)
        for p in sources()
        for cls, attrs in borrowed_attributes(ast.parse(p.read_text(encoding="utf-8"))).items()
    }
    assert found == {}


# who may translate (DESIGN "Layout"): the engine emits Msg keys and arguments
TRANSLATORS = ("tui/", "cli/", "i18n/")
PRINTERS = ("replay/lesson_report.py", "replay/slides.py", "experiments/tables.py")


def translations_in(path: Path) -> list[str]:
    """Every ``_()``/``N_()`` call and every import of ``_``/``N_`` from bntui.i18n in
    ``path``, as "line: what"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name in ("_", "N_"):
                found.append(f"{node.lineno}: {name}() call")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").endswith("i18n"):
            found += [
                f"{node.lineno}: imports {a.name}" for a in node.names if a.name in ("_", "N_")
            ]
    return found


def test_translation_checker_catches_a_planted_call(tmp_path: Path) -> None:
    bad = tmp_path / "engine.py"
    bad.write_text(
        "from bntui.i18n import N_, _\nimport bntui.i18n\n\n"
        'WORD = N_("paused")\n\ndef hint():\n    return bntui.i18n._("x") + _("y")\n'
    )
    assert sorted(translations_in(bad)) == sorted(
        ["1: imports N_", "1: imports _", "4: N_() call", "7: _() call", "7: _() call"]
    )
    fine = tmp_path / "fine.py"
    fine.write_text(
        'from bntui.i18n.message import Msg\n\nHINT = Msg("x {n}", n=1)\nfor _ in ():\n    pass\n'
    )
    assert translations_in(fine) == []


def test_only_the_ui_and_the_printers_translate() -> None:
    """No ``_()``/``N_()`` in the engine (nn/, data/, training/, live/, …): it returns Msg."""
    bad = {
        rel: hits
        for p in sources()
        if not (rel := str(p.relative_to(ROOT))).startswith(TRANSLATORS)
        and rel not in PRINTERS
        and (hits := translations_in(p))
    }
    assert not bad, f"translated outside tui/, cli/ and the printers: {bad}"
