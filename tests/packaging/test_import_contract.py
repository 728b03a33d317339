"""The architecture's import contract: data flows kube -> model -> report | tui, and cli drives them.

Two checks, as harlequin does it: a static one reads every import statement in the package (module
level, inside functions and under TYPE_CHECKING alike: a deferred import is still a dependency), and
a run-time one imports each layer in a fresh interpreter and looks at `sys.modules`, which also sees
what a third-party library pulls in behind our back. `-o json|yaml` never loading textual is checked
end to end in test_startup.py.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import kubectl_mem

PACKAGE = Path(kubectl_mem.__file__).parent
LAYERS = ("cli", "tui", "report", "kube", "model", "sim")

# kubectl_mem.<layer> -> the layers of ours it must never import
FORBIDDEN_LAYERS = {
    "model": {"kube", "report", "tui", "cli", "sim"},  # pure rules, no I/O
    "kube": {"report", "tui", "cli", "sim"},  # cluster access knows no view
    "report": {"kube", "tui", "cli", "sim"},  # renders the model's results, fetches nothing
    "tui": {"cli", "sim"},  # the CLI starts the app, not the other way round
    "sim": {"report", "tui", "cli"},  # a server: it shares the wire schema (kube/pb) and quantities only
    "errors": {"kube", "model", "report", "tui", "cli", "sim"},  # every layer's leaf
}

# The model may import only these (anything else is a decision that it does no I/O: add it here)
MODEL_ALLOWED = {
    "__future__", "bisect", "collections", "contextlib", "dataclasses", "datetime", "enum", "fractions",
    "functools", "heapq", "itertools", "json", "math", "msgspec", "operator", "re", "struct", "typing",
    "kubectl_mem",
}  # fmt: skip

UI = ("textual", "rich")
# loaded at run time by importing the layer: a UI, a cluster client, a network or process library
RUNTIME_FORBIDDEN = {
    "model": (*UI, "kubernetes", "urllib3", "requests", "google", "yaml", "socket", "ssl", "http",
              "subprocess", "asyncio", "threading", "select", "tempfile", "shutil"),
    "kube": UI,
    "report": (*UI, "kubernetes", "urllib3", "google", "socket", "ssl", "subprocess", "asyncio"),
}  # fmt: skip


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _names(node: ast.AST, module: str, path: Path) -> Iterator[str]:
    """The absolute module names one import statement loads (relative ones resolved; for
    `from kubectl_mem.x import y`, also `kubectl_mem.x.y`, which may be a module)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            package = module if path.name == "__init__.py" else module.rpartition(".")[0]
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            name = f"{base}.{node.module}" if node.module else base
        else:
            name = node.module or ""
        yield name
        if name.startswith("kubectl_mem"):
            yield from (f"{name}.{alias.name}" for alias in node.names)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in the file, at any depth."""
    module = _module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        for name in _names(node, module, path):
            yield getattr(node, "lineno", 0), name


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "kubectl_mem" or len(parts) < 2:
        return None
    return parts[1]


def _files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_static_check_sees_every_layer_and_finds_imports():
    """The checks below would pass on an empty walk: make sure they read the real tree."""
    files = _files()
    layers = {_layer(_module_name(f)) for f in files}
    assert {*LAYERS, "errors"} <= layers
    found = {name for f in files for _, name in _imports(f)}
    assert "kubectl_mem.model.views" in found and "textual.app" in found and "kubectl_mem.kube.http" in found


def test_layers_import_only_what_the_architecture_allows():
    broken = []
    for path in _files():
        layer = _layer(_module_name(path))
        forbidden = FORBIDDEN_LAYERS.get(layer or "", set())
        for line, name in _imports(path):
            if _layer(name) in forbidden:
                broken.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {layer} imports {name}")
    assert broken == []


def test_the_model_imports_no_io_or_ui_library():
    broken = []
    for path in sorted((PACKAGE / "model").rglob("*.py")):
        for line, name in _imports(path):
            if name.split(".")[0] not in MODEL_ALLOWED:
                broken.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name}")
    assert broken == []


def test_no_layer_imports_textual_but_the_tui():
    broken = []
    for path in _files():
        layer = _layer(_module_name(path))
        for line, name in _imports(path):
            if name.split(".")[0] in UI and layer != "tui":
                broken.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name}")
    assert broken == []


def test_no_import_circle_between_modules():
    """Module-level imports only (a function-level import runs after both modules exist). A package's
    own __init__ re-exporting its submodules is not a circle."""
    graph: dict[str, set[str]] = {}
    modules = {_module_name(p): p for p in _files()}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deps = set()
        for node in tree.body:  # top-level statements; `if TYPE_CHECKING:` blocks never run
            for name in _names(node, module, path):
                if name in modules and name != module and not module.startswith(name + "."):
                    deps.add(name)
        graph[module] = deps
    circles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                circles.append(" -> ".join([*path[path.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, [*path, dep])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def _all_modules(layer: str) -> list[str]:
    return sorted(
        _module_name(p)
        for p in (PACKAGE / layer).rglob("*.py")
        if p.name != "__main__.py"  # a package's __main__ runs a program when imported
    )


@pytest.mark.parametrize("layer", sorted(RUNTIME_FORBIDDEN))
def test_importing_a_layer_loads_no_forbidden_library(layer: str):
    modules = _all_modules(layer)
    assert len(modules) > 3
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules)
    code += f"print(','.join(m for m in {RUNTIME_FORBIDDEN[layer]!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    leaked = [m for m in done.stdout.strip().split(",") if m]
    assert leaked == [], f"importing kubectl_mem.{layer} loaded {leaked}"


SIZE_LIMIT = 600  # lines; the simulated cluster aside
LONG_REASON = "Long file:"  # a longer module says why in its docstring or first comment, after these words


def test_no_module_is_long_without_saying_why():
    """A newcomer reads a module in one sitting: past ~600 lines it holds several concerns, unless its
    first comment says why not."""
    long = []
    for path in _files():
        if _layer(_module_name(path)) == "sim":
            continue
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= SIZE_LIMIT:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        first_comment = next((ln for ln in text.splitlines() if ln.startswith("#")), "")
        if LONG_REASON not in docstring and LONG_REASON not in first_comment:
            long.append(f"{path.relative_to(PACKAGE.parent)}: {text.count(chr(10))} lines")
    assert long == []
