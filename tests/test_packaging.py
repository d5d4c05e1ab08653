"""pyproject.toml declares every third-party module the code imports (issue 10, item 1).

A fresh ``pip install -e .`` must be enough to run the show, so a module imported under
``installation/`` (outside ``training/``) must come from a runtime dependency; ``training/`` may
also use the ``train`` extra; ``tests/`` and ``benchmarks/`` run after the README's test command,
which installs both the ``test`` and the ``train`` extras.

Imports are found with :mod:`ast` (module level, inside functions, and string calls to
``importlib.import_module`` / ``__import__``), mapped to distributions with
:func:`importlib.metadata.packages_distributions` (``cv2`` -> opencv-python, ``PIL`` -> pillow),
and compared with the requirements whose environment markers hold on this machine.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "installation"
# Folders whose files are run as scripts or test modules: a bare ``import x`` there may name a
# sibling file, and the project's own top-level folders are importable from the repository root.
DEV_FOLDERS = ("tests", "benchmarks")
FIRST_PARTY = frozenset({PACKAGE, *DEV_FOLDERS})


@dataclass(frozen=True)
class Import:
    """One import statement (or ``import_module("...")`` call) in one file."""

    module: str
    path: Path
    line: int
    optional: bool = False  # inside ``try: ... except ImportError``

    @property
    def top_level(self) -> str:
        return self.module.partition(".")[0]


def _is_dynamic_import(func: ast.expr) -> bool:
    """``importlib.import_module``, a bare ``import_module`` or ``__import__``."""
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module"
    if isinstance(func, ast.Name):
        return func.id in {"import_module", "__import__"}
    return False


_CATCHES_IMPORT_ERROR = frozenset(
    {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    if caught is None:
        return True
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(isinstance(name, ast.Name) and name.id in _CATCHES_IMPORT_ERROR for name in names)


class _ImportFinder(ast.NodeVisitor):
    """Collects absolute imports; those in a ``try`` that catches ImportError are optional."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.found: list[Import] = []
        self._guarded = 0

    def _add(self, module: str, node: ast.stmt | ast.expr) -> None:
        self.found.append(Import(module, self.path, node.lineno, optional=self._guarded > 0))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self._add(node.module, node)

    def visit_Call(self, node: ast.Call) -> None:
        if _is_dynamic_import(node.func) and node.args:
            first = node.args[0]
            if (
                isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and not first.value.startswith(".")
            ):
                self._add(first.value, node)
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try | ast.TryStar) -> None:
        guarded = any(_catches_import_error(handler) for handler in node.handlers)
        self._guarded += guarded
        for statement in node.body:
            self.visit(statement)
        self._guarded -= guarded
        for child in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(child)

    def visit_TryStar(self, node: ast.TryStar) -> None:
        self.visit_Try(node)


def imports_in(path: Path) -> list[Import]:
    """Every absolute import in ``path``, wherever it is in the file."""
    finder = _ImportFinder(path)
    finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return finder.found


def _active_requirements(lines: Sequence[str]) -> set[str]:
    """Canonical names of the requirements whose environment marker holds on this machine."""
    names: set[str] = set()
    for line in lines:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            names.add(canonicalize_name(requirement.name))
    return names


def _requirement_groups(pyproject: Mapping[str, Any]) -> dict[str, set[str]]:
    project = pyproject["project"]
    extras = project.get("optional-dependencies", {})
    runtime = _active_requirements(project.get("dependencies", []))
    train = _active_requirements(extras.get("train", []))
    test = _active_requirements(extras.get("test", []))
    every_extra = set().union(*(_active_requirements(lines) for lines in extras.values()))
    return {
        "runtime": runtime,
        "training": runtime | train,
        "development": runtime | train | test,
        "optional": runtime | every_extra,
    }


_WHERE_ALLOWED = {
    "runtime": "[project] dependencies",
    "training": "[project] dependencies or the train extra",
    "development": "[project] dependencies or the test or train extra",
    "optional": "[project] dependencies or any extra (an import guarded by except ImportError)",
}


def _group_of(relative: Path) -> str:
    parts = relative.parts
    if parts[0] == PACKAGE:
        return "training" if len(parts) > 1 and parts[1] == "training" else "runtime"
    return "development"


def _is_local(item: Import, relative: Path) -> bool:
    name = item.top_level
    if name in FIRST_PARTY:
        return True
    if relative.parts[0] in DEV_FOLDERS:
        folder = item.path.parent
        return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()
    return False


def undeclared_imports(
    root: Path,
    pyproject: Mapping[str, Any],
    distributions: Mapping[str, Sequence[str]],
    folders: Sequence[str] = (PACKAGE, *DEV_FOLDERS),
) -> list[str]:
    """One line for each import under ``root`` that no active requirement provides."""
    groups = _requirement_groups(pyproject)
    problems = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root)
            group = _group_of(relative)
            for item in imports_in(path):
                name = item.top_level
                if name in sys.stdlib_module_names or _is_local(item, relative):
                    continue
                allowed = "optional" if item.optional else group
                provided_by = {canonicalize_name(dist) for dist in distributions.get(name, ())}
                if provided_by & groups[allowed]:
                    continue
                where = f"{relative.as_posix()}:{item.line} imports {item.module}"
                if provided_by:
                    dists = ", ".join(sorted(provided_by))
                    problems.append(
                        f"{where} (distribution {dists}), which is not in {_WHERE_ALLOWED[allowed]}"
                        " (or its environment marker is false here)"
                    )
                else:
                    problems.append(
                        f"{where}, which no installed distribution provides: declare it in "
                        f"{_WHERE_ALLOWED[allowed]} and reinstall"
                    )
    return problems


def _read_pyproject(path: Path) -> dict[str, Any]:
    with path.open("rb") as file:
        return tomllib.load(file)


def test_every_imported_third_party_module_is_declared() -> None:
    # torch's import name is its distribution's name; the README's test command installs no
    # torch (the train extra declares it), so it is named here rather than looked up.
    distributions = {"torch": ["torch"], **metadata.packages_distributions()}
    problems = undeclared_imports(ROOT, _read_pyproject(ROOT / "pyproject.toml"), distributions)
    assert not problems, "\n".join(problems)


PLANTED_PYPROJECT = """
[project]
name = "installation"
dependencies = [
    "numpy>=1.26",
    "filelock>=3; sys_platform == 'no-such-platform'",
]
[project.optional-dependencies]
train = ["torch>=2.3"]
test = ["pytest>=8"]
"""


def _plant(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_checker_catches_planted_undeclared_imports(tmp_path: Path) -> None:
    _plant(tmp_path, "installation/__init__.py", "")
    _plant(
        tmp_path,
        "installation/lazy.py",
        "import importlib\n"
        "import json\n"
        "import numpy as np\n"
        "from . import sibling\n"
        "from installation import lazy\n"
        "\n"
        "def later() -> None:\n"
        "    import pythonosc.udp_client\n"
        "    importlib.import_module('yaml')\n",
    )
    _plant(tmp_path, "installation/locks.py", "from filelock import FileLock\n")
    _plant(tmp_path, "installation/uses_torch.py", "import torch\n")
    _plant(
        tmp_path,
        "installation/optional.py",
        "try:\n    import torch\nexcept ImportError:\n    torch = None\n"
        "try:\n    import cv2\nexcept ImportError:\n    cv2 = None\n",
    )
    _plant(tmp_path, "installation/training/model.py", "import numpy\nimport torch.nn\n")
    _plant(tmp_path, "tests/test_x.py", "import pytest\nimport helper\nimport torch\n")
    _plant(tmp_path, "tests/helper.py", "")
    distributions = {
        "numpy": ["numpy"],
        "torch": ["torch"],
        "pytest": ["pytest"],
        "pythonosc": ["python-osc"],
        "filelock": ["filelock"],
        "cv2": ["opencv-python"],
    }

    problems = undeclared_imports(tmp_path, tomllib.loads(PLANTED_PYPROJECT), distributions)

    assert [problem.split(" imports ")[0] for problem in problems] == [
        "installation/lazy.py:8",  # inside a function, distribution name != import name
        "installation/lazy.py:9",  # importlib.import_module("yaml"), not installed here
        "installation/locks.py:1",  # declared, but only where the marker holds
        "installation/optional.py:6",  # optional, but declared nowhere
        "installation/uses_torch.py:1",  # train extra only: not for the runtime
    ]
    assert "distribution python-osc" in problems[0]
    assert "no installed distribution provides" in problems[1]


@pytest.mark.parametrize(
    ("sys_platform", "platform_machine", "expected"),
    [
        ("linux", "x86_64", "onnxruntime-gpu"),
        ("win32", "AMD64", "onnxruntime-gpu"),
        ("linux", "aarch64", "onnxruntime"),
        ("darwin", "arm64", "onnxruntime"),
        ("darwin", "x86_64", "onnxruntime"),
        ("win32", "ARM64", "onnxruntime"),
    ],
)
def test_exactly_one_onnxruntime_build_is_installed_on_each_platform(
    sys_platform: str, platform_machine: str, expected: str
) -> None:
    environment = {"sys_platform": sys_platform, "platform_machine": platform_machine, "extra": ""}
    chosen = []
    for line in _read_pyproject(ROOT / "pyproject.toml")["project"]["dependencies"]:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) not in {"onnxruntime", "onnxruntime-gpu"}:
            continue
        marker = requirement.marker or Marker("python_version >= '0'")
        if marker.evaluate(environment):
            chosen.append(canonicalize_name(requirement.name))
    assert chosen == [expected]
