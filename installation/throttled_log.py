"""Logging that says a repeated problem once per interval, with a bounded memory of keys.

A flood of bad messages (an OSC controller sending out-of-range values 100 times a second)
must not flood the log or grow memory: each key is logged at most once per ``interval``, and
at most ``max_keys`` keys are remembered (the oldest is forgotten first).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class ThrottledLog:
    """Logs ``message`` for ``key`` unless the same key was logged less than ``interval`` ago."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 60.0,
        max_keys: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._max_keys = max_keys
        self._clock = clock
        self._last: OrderedDict[Hashable, float] = OrderedDict()
        self.suppressed = 0

    def warning(self, key: Hashable, message: str, *args: object) -> bool:
        """Log at WARNING if due; returns whether it was logged."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            self.suppressed += 1
            return False
        self._last[key] = now
        self._last.move_to_end(key)
        while len(self._last) > self._max_keys:
            self._last.popitem(last=False)
        self._logger.warning(message, *args)
        return True
