"""One show per display: a lock file per display index, released when the process ends."""

from __future__ import annotations

import tempfile
from pathlib import Path

from filelock import FileLock, Timeout

from installation.errors import DisplayError


class DisplayLock:
    """Held while a show owns display N; a second instance fails at once with a clear message."""

    def __init__(self, display_index: int, folder: Path | None = None) -> None:
        folder = folder or Path(tempfile.gettempdir())
        self.path = folder / f"installation-display-{display_index}.lock"
        self.display_index = display_index
        self._lock = FileLock(str(self.path))

    def acquire(self) -> None:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise DisplayError(
                f"Another installation show is already running on display {self.display_index} "
                f"(lock {self.path}). Stop it first (Escape in its window), or use --display N for "
                "another screen."
            ) from None

    def release(self) -> None:
        self._lock.release()
