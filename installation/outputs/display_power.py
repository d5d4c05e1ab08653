"""The screen's power at closing and opening time: ``[schedule] display_off_command`` and
``display_on_command`` (``["xset", "dpms", "force", "off"]``), run on their own thread.

The frame loop only hands the command over; a thread runs it with a timeout (a hung command is
killed). A command that fails is logged once (until one succeeds again), and the show goes on:
the picture is black anyway while the show is closed.
"""

from __future__ import annotations

import logging
import queue
import subprocess
import threading
from collections.abc import Callable, Sequence

from installation.events import Event, HoursChanged
from installation.outputs.base import OutputSink

log = logging.getLogger(__name__)
Runner = Callable[[Sequence[str], float], None]
"""Runs a command to its end within a timeout; raises when it fails (tests inject their own)."""


def run_command(command: Sequence[str], timeout: float) -> None:
    subprocess.run(
        list(command),
        check=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _why(exc: Exception) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        stderr = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        return f"exit code {exc.returncode}" + (f": {stderr[-1]}" if stderr else "")
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"still running after {exc.timeout:g} s; ended"
    return str(exc)


class DisplayPower(OutputSink):
    """Runs the display-off command when the show closes, display-on when it opens."""

    name = "display power"
    when_behind = "keep"

    def __init__(
        self,
        off: Sequence[str],
        on: Sequence[str],
        timeout: float,
        count: Callable[[str], None] | None = None,
        runner: Runner = run_command,
    ) -> None:
        self.off, self.on = tuple(off), tuple(on)
        self.timeout = timeout
        self._count = count or (lambda name: None)
        self._runner = runner
        self._commands: queue.SimpleQueue[tuple[str, ...] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="display-power", daemon=True)
        self._failing = False
        self.ran = 0

    def start(self) -> None:
        self._thread.start()

    def handle(self, event: Event) -> None:
        if isinstance(event, HoursChanged):
            command = self.on if event.open else self.off
            if command:
                self._commands.put(command)

    def stop(self) -> None:
        self._commands.put(None)
        if self._thread.is_alive():
            self._thread.join(self.timeout + 1.0)

    def _run(self) -> None:
        while (command := self._commands.get()) is not None:
            try:
                self._runner(command, self.timeout)
            except Exception as exc:  # a missing xset, a display that says no: the show goes on
                self._count("display_command_errors")
                if not self._failing:
                    log.error("display command %s failed: %s", " ".join(command), _why(exc))
                self._failing = True
            else:
                self._failing = False
                log.info("display command ran: %s", " ".join(command))
            self.ran += 1
