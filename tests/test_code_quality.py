"""ruff and mypy (strict) hold on every commit, not only on a developer's machine."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from helpers import REPO_ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def test_ruff_lint_and_format() -> None:
    ruff = shutil.which("ruff")
    assert ruff is not None, "ruff is not installed: pip install -e '.[test]'"
    lint = _run(ruff, "check", "scripts", "tests", "benchmarks", "examples")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    form = _run(ruff, "format", "--check", "scripts", "tests", "benchmarks", "examples")
    assert form.returncode == 0, form.stdout + form.stderr


def test_mypy_strict_on_the_package() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


# The package's layout rules (docs/architecture.md): feature packages under thin commands, no cycles.

PACKAGE = REPO_ROOT / "scripts" / "skillci"
#: The most modules the package's top level may hold (the platform edges, the CLI, the demo and the pipeline).
MAX_TOP_LEVEL_MODULES = 12
#: The most lines a command module may have: it gathers arguments, calls its feature, reports, returns the code.
MAX_COMMAND_LINES = 150


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _imports(path: Path, known: set[str]) -> set[str]:
    """The package's modules that a module imports, at its top or inside functions (not under TYPE_CHECKING)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_only(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module in known:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, known) - {name} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_package_has_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_commands_are_thin_and_never_import_each_other() -> None:
    graph = _graph()
    commands = [name for name in graph if name.startswith("skillci.commands.")]
    assert len(commands) >= 12
    for name in commands:
        lines = len(_modules()[name].read_text(encoding="utf-8").splitlines())
        assert lines < MAX_COMMAND_LINES, f"{name} has {lines} lines: move its logic into its feature package"
        others = sorted(target for target in graph[name] if target.startswith("skillci.commands"))
        assert others == [], f"{name} imports {others}: commands never import each other"


def test_only_the_cli_layer_knows_click_and_the_commands() -> None:
    for name, path in _modules().items():
        if name == "skillci.cli" or name.startswith("skillci.commands"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(module == "click" or module.startswith("click.") for module in imported), name
        assert not any(module.startswith("skillci.commands") for module in imported), name


def test_the_top_level_holds_the_platform_edges_only() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    features = {"registry", "sync", "bench", "gate", "weekly", "commits", "store", "commands"}
    assert features <= {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
