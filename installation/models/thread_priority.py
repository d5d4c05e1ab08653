"""Model workers yield the CPU to the frame loop when the cores are busy.

On a small machine the frame loop, the model workers and SDL's software renderer share two
cores; when all want a core at once, the scheduler may pick a worker and the frame comes
late. A worker therefore lowers its own scheduling priority (a higher nice value, Linux
per-thread) when it starts: it still gets every idle cycle, the frame loop just goes first,
and a request someone waits for goes before a stream that works ahead.
Where the platform does not offer per-thread priorities this does nothing.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)
WORKER_NICENESS = 5
"""How much lower than the frame loop a model worker runs (nice steps, 0-19): a one-off
request's worker (a rainbow a visitor or the stage game waits for)."""
STREAM_NICENESS = 10
"""A keyframe stream's worker (a drift, the lava lamp), lower still: it works ahead, so when it
shares a core with a request the request goes first (CFS gives nice 5 about 3x the CPU of
nice 10)."""


def lower_this_thread(steps: int = WORKER_NICENESS) -> bool:
    """Raise the calling thread's nice value by ``steps``; False where that is not possible."""
    if not sys.platform.startswith("linux") or not hasattr(os, "setpriority"):
        return False
    thread_id = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread_id)
        os.setpriority(os.PRIO_PROCESS, thread_id, min(19, current + steps))
    except OSError as exc:  # a sandbox may forbid it: the show runs on as before
        log.debug("could not lower the priority of %s: %s", threading.current_thread().name, exc)
        return False
    return True
