"""The training tests without torch: skipped with one reason, or an error where torch is required.

torch comes with the ``train`` extra, which a plain ``pip install -e '.[test]'`` leaves out.
When ``import torch`` fails in this process:

* With ``INSTALLATION_REQUIRE_TORCH=1`` (CI, which installs the ``train`` extra) the session
  stops with an error before any test runs, so no training test is ever skipped there unseen.
* Otherwise every test module whose import needs torch (its own ``import torch`` or one through
  ``installation.training``) is skipped as a whole, and a test or fixture that imports torch
  when it runs is skipped, all with ``TORCH_MISSING`` raised from one line of this file, so
  ``-ra`` reports them on one line with their count. Every other test (the renderer, the
  numpy/onnxruntime measures, ``installation measure``) runs.

Test modules just ``import torch``: nothing lists them here. When torch imports, the hooks
below change nothing.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable
from contextlib import contextmanager
from pathlib import Path

import pytest

TORCH_MISSING = "torch is not installed: pip install -e '.[train]' (see docs/training.md)"
REQUIRE_TORCH = "INSTALLATION_REQUIRE_TORCH"


def _torch_import_error() -> ImportError | None:
    try:
        import torch  # noqa: F401
    except ImportError as error:
        return error
    return None


TORCH_IMPORT_ERROR = _torch_import_error()


def _skip_for_missing_torch() -> None:
    # Every skip is raised here, so that -ra counts them on one line.
    raise pytest.skip.Exception(TORCH_MISSING, allow_module_level=True)


def _is_missing_torch(error: BaseException) -> bool:
    """Whether ``error`` (or what it was raised from) is torch's own import failing."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ModuleNotFoundError) and (seen.name or "").split(".")[0] == "torch":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def pytest_configure(config: pytest.Config) -> None:
    if TORCH_IMPORT_ERROR is not None and os.environ.get(REQUIRE_TORCH) == "1":
        raise pytest.UsageError(
            f"{REQUIRE_TORCH}=1 but the training tests cannot import torch "
            f"({TORCH_IMPORT_ERROR}): pip install -e '.[train]' (see docs/training.md)"
        )


class _ModuleWithoutTorch(pytest.Module):
    """A test module that is skipped, not an error, when importing it needs the missing torch."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        try:
            return super().collect()
        except self.CollectError as error:
            if _is_missing_torch(error):
                _skip_for_missing_torch()
            raise


def pytest_pycollect_makemodule(
    module_path: Path, parent: pytest.Collector
) -> pytest.Module | None:
    if TORCH_IMPORT_ERROR is None:
        return None
    module: pytest.Module = _ModuleWithoutTorch.from_parent(parent, path=module_path)
    return module


@contextmanager
def _skip_if_missing_torch() -> Generator[None, None, None]:
    try:
        yield
    except ModuleNotFoundError as error:
        if TORCH_IMPORT_ERROR is not None and _is_missing_torch(error):
            _skip_for_missing_torch()
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    # Fixtures (module-scoped ones too) that import torch when they run.
    with _skip_if_missing_torch():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _skip_if_missing_torch():
        return (yield)
