"""The package's import structure: the command line is a tree over the
library, and the models depend on nothing else of ours."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "keras_genimg"


def imported_modules(path):
    """Every `keras_genimg` module a file imports, at any depth."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("keras_genimg"):
                found.add(node.module)
                # `from keras_genimg.cli import run_folder` imports a module.
                found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(
                a.name for a in node.names if a.name.startswith("keras_genimg")
            )
    return found


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package):
    modules = {module_name(p): p for p in (PACKAGE / package).glob("*.py")}
    return {
        name: sorted(imported_modules(path) & set(modules))
        for name, path in modules.items()
    }


def test_the_command_line_imports_form_no_circle():
    graph = import_graph("cli")
    state = {}

    def visit(module, path):
        if state.get(module) == "open":
            pytest.fail(f"import circle: {' -> '.join(path + [module])}")
        if state.get(module) != "done":
            state[module] = "open"
            for child in graph[module]:
                visit(child, path + [module])
            state[module] = "done"

    for module in graph:
        visit(module, [])
    # Only the entry point gathers the subcommands.
    entry = "keras_genimg.cli.main"
    assert not [m for m in graph if entry in graph[m]]


def package_graph():
    """Which of our packages each package imports (the top-level
    `keras_genimg`, which gathers them all, left out)."""
    graph = {}
    for path in PACKAGE.glob("*/*.py"):
        package = path.parent.name
        for module in imported_modules(path):
            parts = module.split(".")
            if (
                len(parts) > 1
                and parts[1] != package
                and (PACKAGE / parts[1]).is_dir()
            ):
                graph.setdefault(package, set()).add(parts[1])
    return graph


def test_packages_depend_one_way():
    graph = package_graph()
    # Models depend on nothing of ours; nothing reaches up into the CLI.
    assert "models" not in graph
    assert not [p for p, uses in graph.items() if "cli" in uses]
    done = set()

    def visit(package, path):
        assert package not in path, f"circle: {path + [package]}"
        if package not in done:
            for used in graph.get(package, ()):
                visit(used, path + [package])
            done.add(package)

    for package in graph:
        visit(package, [])
