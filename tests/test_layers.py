"""The package's layout shows the flow: a module never imports a layer above its own (not even
inside a function), packages of one layer never import each other, and no import cycle exists.

Layers, bottom to top, as ``LAYERS`` lists them (docs/architecture.md explains each).
"""
from __future__ import annotations

import ast
from pathlib import Path

import alphacut

PACKAGE = Path(alphacut.__file__).parent

LAYERS: list[set[str]] = [
    {"errors", "config"},
    {"io"},
    {"models", "refine", "compose"},
    {"pipeline", "edit"},
    {"engines", "api", "judge"},
    {"adapt", "review", "workflows", "compat"},
    {"server"},
    {"cli"},
    {"__main__"},  # ``python -m alphacut``: runs the CLI
]
#: ``alphacut/__init__.py`` is the public facade: it exposes ``remove`` and ``load_model`` lazily.
FACADE = "alphacut"


def rank_of(module: str) -> int:
    top = module.split(".")[1] if "." in module else module
    for rank, layer in enumerate(LAYERS):
        if top in layer:
            return rank
    raise AssertionError(f"{module}: its package {top!r} has no layer; add it to LAYERS and docs/architecture.md")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, module: str) -> set[str]:
    """Every alphacut module ``path`` imports, at the top or inside functions."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("alphacut")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("alphacut"):
                submodules = {f"{target}.{alias.name}" for alias in node.names if _is_module(f"{target}.{alias.name}")}
                found |= submodules
                if len(submodules) < len(node.names):  # names defined in the module itself
                    found.add(target)
    return found


def _is_module(name: str) -> bool:
    path = PACKAGE.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def graph() -> dict[str, set[str]]:
    return {module_name(path): imports_of(path, module_name(path)) for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_package_has_a_layer():
    for module in graph():
        if module != FACADE:
            rank_of(module)


def test_no_module_imports_a_layer_above_or_beside_its_own():
    wrong = []
    for module, targets in graph().items():
        if module == FACADE:
            continue
        own_top = module.split(".")[1]
        for target in targets:
            if target == FACADE:
                continue
            target_top = target.split(".")[1]
            if target_top != own_top and rank_of(target) >= rank_of(module):
                wrong.append(f"{module} (layer {rank_of(module)}) imports {target} (layer {rank_of(target)})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycle():
    modules = graph()
    known = set(modules)

    def edges(module: str) -> set[str]:
        return {t for t in modules[module] if t in known and t != module and t != FACADE}

    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges(module)):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


def test_the_checker_sees_a_violation(tmp_path):
    """The walk above must be able to fail: a lazy upward import inside a function is found."""
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from alphacut.cli.app import main\n    from .decode import decode_image\n")
    found = imports_of(source, "alphacut.io.probe")
    assert "alphacut.cli.app" in found and "alphacut.io.decode" in found
    assert rank_of("alphacut.cli.app") > rank_of("alphacut.io.probe")
