"""Mouse clicks for calibration, through pynput's global mouse listener (the reference approach:
a click while looking at the target is a sample).

pynput listens on its own thread; its callback only counts. It is imported when asked for: on
Linux it needs an X display, and where it cannot listen (no display, the dummy backend of
tests) ``ClickCounter.start`` says why in one line and calibration takes Space or Enter in the
window instead (or the ``follow`` mode, which needs no click).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

log = logging.getLogger(__name__)


class ClickCounter:
    """Counts left-button presses anywhere on the screen while started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._listener: Any = None

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def add(self) -> None:
        """One click (the listener's callback; also Space/Enter in the calibration window)."""
        with self._lock:
            self._count += 1

    def start(self) -> str | None:
        """Listen for clicks; returns why not (one line), or None when listening."""
        if os.environ.get("PYNPUT_BACKEND_MOUSE", os.environ.get("PYNPUT_BACKEND")) == "dummy":
            return "pynput runs its dummy backend (PYNPUT_BACKEND=dummy): it hears no clicks"
        try:
            from pynput import mouse
        except ImportError as exc:
            text = str(exc).strip()
            return text.splitlines()[0] if text else type(exc).__name__

        def on_click(x: int, y: int, button: Any, pressed: bool) -> None:
            if pressed and button == mouse.Button.left:
                self.add()

        try:
            self._listener = mouse.Listener(on_click=on_click)
            self._listener.start()
        except Exception as exc:  # pynput raises its backends' own errors
            self._listener = None
            return f"pynput's mouse listener did not start: {exc}"
        return None

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
