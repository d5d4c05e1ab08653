"""The dependency direction is checked, not just written down (issue 10, item 10).

Each contract of ``[tool.importlinter]`` in pyproject.toml runs on its own through
``lint-imports`` (import-linter) in this Python, so one contract's failure (or a module it names
that does not exist) shows up by name without hiding the others. Imports inside functions count
like module-level ones.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"


def _contract_ids() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        contracts = tomllib.load(file)["tool"]["importlinter"]["contracts"]
    return [contract["id"] for contract in contracts]


def _lint_imports(cwd: Path, cache_dir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-logo", "--cache-dir", str(cache_dir), *options],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One import-graph cache for all contracts, outside the working tree."""
    return tmp_path_factory.mktemp("import_linter_cache")


def test_the_layering_has_contracts() -> None:
    assert {"layers", "runtime-never-imports-training"} <= set(_contract_ids())


@pytest.mark.parametrize("contract", _contract_ids())
def test_contract_is_kept(contract: str, cache_dir: Path) -> None:
    result = _lint_imports(ROOT, cache_dir, "--contract", contract)
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_imports_catches_a_planted_lazy_import(tmp_path: Path) -> None:
    package = tmp_path / "planted"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "high.py").write_text("import planted.low\n", encoding="utf-8")
    (package / "low.py").write_text("def later() -> None:\n    import planted.high\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_package = "planted"\n\n'
        "[[tool.importlinter.contracts]]\n"
        'id = "layers"\nname = "planted layers"\ntype = "layers"\n'
        'layers = ["planted.high", "planted.low"]\n',
        encoding="utf-8",
    )

    result = _lint_imports(tmp_path, tmp_path / "cache", "--contract", "layers")

    assert result.returncode != 0
    assert "planted.low -> planted.high (l.2)" in result.stdout, result.stdout + result.stderr
