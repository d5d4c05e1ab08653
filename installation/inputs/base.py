"""The input-source contract: check that it can start, start with a way to post, stop.

An input source translates what arrives from a device or peer into events and posts them;
nothing else (it never calls scenes or outputs). Most sources run their own thread; a source
that must be read on the main thread (SDL's event queue) says ``polled = True`` and the frame
loop calls its ``poll`` once per frame.

A source that cannot start (no joystick support, no camera, port taken) logs one clear line
and drops out; the show runs on without it (``start_sources``).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import ClassVar

from installation.errors import InputError
from installation.events import Event

log = logging.getLogger(__name__)
Post = Callable[[Event], None]


class InputSource(ABC):
    """Something that posts input events."""

    name: ClassVar[str] = "input"
    polled: ClassVar[bool] = False

    def check(self) -> str | None:
        """None when the source can start here; otherwise why not, in one line."""
        return None

    @abstractmethod
    def start(self, post: Post) -> None:
        """Begin posting events (start a thread, open a device). Raises ``InputError``."""

    def poll(self, now: float) -> None:
        """Main-thread sources read their device here, once per frame; must not block."""
        return None

    def stop(self) -> None:
        """Stop posting and release the device; must not wait long."""
        return None

    def pause(self) -> None:
        """The show closed (opening hours): release a device it holds (the camera) until
        ``resume``. Called on the frame loop: must not wait."""
        return None

    def resume(self) -> None:
        """The show opened again: take the device back (nothing when not paused)."""
        return None


def start_sources(sources: Iterable[InputSource], post: Post) -> list[InputSource]:
    """Start every source that can start; the others log one line and drop out."""
    started: list[InputSource] = []
    for source in sources:
        problem = source.check()
        if problem is None:
            try:
                source.start(post)
            except (InputError, OSError) as exc:
                problem = str(exc)
        if problem is not None:
            log.warning(
                "input %s is not available: %s; the show goes on without it", source.name, problem
            )
            continue
        started.append(source)
    if started:
        log.info("inputs: %s", ", ".join(source.name for source in started))
    return started


def stop_sources(sources: Iterable[InputSource]) -> None:
    for source in sources:
        try:
            source.stop()
        except Exception:
            log.exception("input %s failed to stop", source.name)
