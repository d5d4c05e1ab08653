"""ruff and mypy run as part of the test command, so 'lint clean' cannot quietly rot."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_is_clean() -> None:
    result = _run("ruff", "check", "installation", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run("ruff", "format", "--check", "installation", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def _torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def test_mypy_is_clean_outside_training() -> None:
    # training/ is left out and its errors unreported where other modules import it.
    result = _run(
        "mypy", "installation", "benchmarks", "--exclude", "^installation/training/",
        "--follow-imports=silent",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean_in_training() -> None:
    """training/ is typed against torch's own stubs: without torch (the README's test command
    installs none) they are missing, so this runs where torch is (CI's second step)."""
    if not _torch_installed():
        if os.environ.get("INSTALLATION_REQUIRE_TORCH") == "1":
            pytest.fail("INSTALLATION_REQUIRE_TORCH=1 but torch is not installed")
        pytest.skip("torch is not installed: pip install -e '.[train]' (see docs/training.md)")
    result = _run("mypy", "installation/training")
    assert result.returncode == 0, result.stdout + result.stderr


MAX_MODULE_LINES = 400


def test_modules_outside_training_stay_small() -> None:
    """Small modules with names that say what they are: none over 400 lines outside
    training/ (whose model definitions and trainers may run longer)."""
    package = ROOT / "installation"
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in sorted(package.rglob("*.py"))
        if "training" not in path.relative_to(package).parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split them): {too_long}"
