"""The command line as a whole: fast start-up, one default model, no private helpers shared
between command modules."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import typer

import alphacut.cli
from alphacut.config import DEFAULT_MODEL

CLI = Path(alphacut.cli.__file__).parent
HEAVY = ("numpy", "onnx", "onnxruntime", "PIL", "torch", "cv2", "scipy")


def test_registering_every_command_imports_no_heavy_library():
    """``alphacut --help`` builds every command's options: none may pull in the image or model stack."""
    probe = f"import sys; import alphacut.cli.app; print(*[m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def test_every_model_option_and_train_init_default_to_the_registry_default():
    from alphacut.cli.app import app
    from alphacut.models.registry import DEFAULT_MODEL as REGISTRY_DEFAULT

    assert REGISTRY_DEFAULT == DEFAULT_MODEL
    found = {}
    for path, command in _commands(typer.main.get_command(app)):
        for param in command.params:
            if {"--model", "--init"} & set(getattr(param, "opts", ())) and not param.multiple:
                found[" ".join(path)] = param.default
    assert {"remove", "compose", "erase", "replace-bg", "train"} <= set(found)
    assert set(found.values()) == {DEFAULT_MODEL}, found


def test_compose_takes_a_layout_and_remove_keeps_its_refinement_preset():
    from alphacut.cli.app import app

    commands = dict(_commands(typer.main.get_command(app)))
    compose_options = {opt for param in commands[("compose",)].params for opt in getattr(param, "opts", ())}
    assert "--layout" in compose_options and "--preset" not in compose_options
    remove_options = {opt for param in commands[("remove",)].params for opt in getattr(param, "opts", ())}
    assert "--preset" in remove_options


def test_command_modules_import_no_private_name_of_another():
    borrowed = []
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("alphacut.cli."):
                borrowed += [f"{path.name}: {node.module}.{alias.name}" for alias in node.names if alias.name.startswith("_")]
    assert not borrowed, borrowed
