"""Paths in a show file: relative to the show file's folder, and where each one came from.

A show copied out of ``show_configs/`` keeps its relative paths, which then point somewhere
else. When an input file a show names is missing, the message says which key of which show
file named it, how that path was read, and where a file of that name does exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, PrivateAttr

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The checkout the package runs from (its ``show_configs/`` and ``exported_models/``)."""


@dataclass(frozen=True)
class ShowPath:
    """An input file's path as a show file wrote it (``key = "written"``) and as it was read."""

    table: str
    """The table that holds the key, in words: ``[models.lava]``, ``[[scenes]] number 3``."""
    key: str
    """The key in its table: ``path``, ``agent``, ``env_file``."""
    written: str
    show_file: Path
    resolved: Path

    def missing(self, what: str, remedy: str = "") -> str:
        """Why ``what`` (``Model file``) is missing, and what to write instead.

        ``remedy`` ends the message: how to make the file (``Train and export it ...``).
        """
        folder = self.show_file.resolve().parent
        message = (
            f"{what} {self.resolved} (from `{self.key} = {_toml_string(self.written)}` in "
            f"{self.table} of {self.show_file}) does not exist."
        )
        if not Path(self.written).expanduser().is_absolute():
            message += (
                f" Paths in a show file are relative to the show file's folder ({folder}); "
                f"write an absolute path or one relative to {folder}."
            )
        nearby = self.nearby()
        if nearby is not None:
            message += (
                f" Did you mean {nearby}? Then write `{self.key} = {_toml_string(str(nearby))}`."
            )
        return f"{message} {remedy}".rstrip()

    def nearby(self) -> Path | None:
        """A file where the written path was probably meant: relative to the current
        directory, to the project's ``show_configs/`` (the show was copied out of it), or of
        the same name in the project's ``exported_models/``."""
        written = Path(self.written).expanduser()
        candidates = [
            Path.cwd() / written,
            PROJECT_ROOT / "show_configs" / written,
            PROJECT_ROOT / "exported_models" / written.name,
        ]
        for candidate in candidates:
            candidate = candidate.resolve()
            if candidate != self.resolved and candidate.is_file():
                return candidate
        return None


class Table(BaseModel):
    """Base of every show file table: frozen, unknown keys refused.

    The loader records where each input file path of the table came from (``ShowPath``), so
    that whoever finds the file missing can say so in the show file's terms.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    _paths: dict[str, ShowPath] = PrivateAttr(default_factory=dict)

    def with_paths(self, paths: Mapping[str, ShowPath], update: Mapping[str, object]) -> Self:
        """A copy with ``update`` applied (the resolved paths) that knows where they came from."""
        copy = self.model_copy(update=dict(update))
        copy._paths = {**self._paths, **paths}
        return copy

    def path_origin(self, key: str) -> ShowPath | None:
        """Where the path in ``key`` came from; None when it was not read from a show file."""
        return self._paths.get(key)

    def missing_file(self, key: str, what: str, path: Path, remedy: str = "") -> str:
        """The message for a missing input file named by ``key`` (whose value is ``path``)."""
        origin = self._paths.get(key)
        if origin is None or origin.resolved != path:
            return f"{what} {path} does not exist. {remedy}".rstrip()
        return origin.missing(what, remedy)


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
