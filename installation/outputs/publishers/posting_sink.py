"""What gets posted: the output sink that feeds the outbox, and the periodic frame capture.

``PostingSink`` turns a revealed rainbow whose trigger the show's ``[posting.rainbows]`` names
into a post (caption and alt text from the templates). ``PeriodicFrames`` is the frame loop's
capture hook: every ``[posting.frames] every_seconds`` it grabs the finished frame (before the
stats overlay is drawn) and hands it over; the pixels are read and encoded on the outbox's
intake thread, so the frame loop pays only for the grab (measured in BENCHMARKS.md).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from installation.canvas import Image
from installation.config.posting_schema import FramePosts, PostingSection
from installation.events import Event, HoursChanged, ImageRevealed
from installation.outputs.base import OutputSink
from installation.outputs.gallery import gallery_stem
from installation.outputs.publishers.outbox import Job, Outbox
from installation.outputs.publishers.post_images import write_png


def fill(template: str, **fields: object) -> str:
    """A caption or alt text from its (already checked) template, spaces tidied."""
    return re.sub(r"\s+", " ", template.format(**fields)).strip()


class PostingSink(OutputSink):
    """Posts revealed rainbows through the outbox; owns the outbox's threads."""

    name = "outbox"
    when_behind = "drop"

    def __init__(self, settings: PostingSection, outbox: Outbox, show: str) -> None:
        self.settings = settings
        self.outbox = outbox
        self.show = show

    def start(self) -> None:
        self.outbox.start()

    def handle(self, event: Event) -> None:
        if isinstance(event, HoursChanged):  # closed: queued posts wait for opening time
            self.outbox.resume() if event.open else self.outbox.pause()
            return
        if not isinstance(event, ImageRevealed):
            return
        rainbows = self.settings.rainbows
        if not rainbows.posts(event.trigger):
            return
        fields = {
            "seed": event.seed,
            "time": datetime.fromtimestamp(event.wall_time),
            "caption": event.caption or "",
            "scene": event.scene,
            "show": self.show,
            "trigger": event.trigger,
            "truncation": event.truncation,
        }
        path = self.settings.folder / "images" / f"{gallery_stem(event)}.png"
        image = event.image
        self.outbox.submit(
            Job(
                rainbows.targets,
                fill(rainbows.caption, **fields),
                fill(rainbows.alt, **fields),
                f"rainbow seed {event.seed}",
                lambda: write_png(image, path, rainbows.size, durable=True),
            )
        )

    def stop(self) -> None:
        self.outbox.stop(self.settings.timeout_seconds + 5.0, drain_seconds=3.0)


Grab = Callable[[], Callable[[], Image]]
"""Takes the frame just drawn (cheap, on the frame loop); the callable it returns reads its
pixels (on the outbox's intake thread)."""


class PeriodicFrames:
    """The frame loop's capture hook: one frame every ``every_seconds`` goes to the outbox."""

    def __init__(
        self,
        frames: FramePosts,
        outbox: Outbox,
        grab: Grab,
        scene: Callable[[], str],
        show: str,
        folder: Path,
        dark: Callable[[], bool] = lambda: False,
    ) -> None:
        self.frames = frames
        self.dark = dark
        """While it says True (a blackout), no frame is taken: the next one after it is."""
        self.outbox = outbox
        self.grab = grab
        self.scene = scene
        self.show = show
        self.folder = folder
        self._next: float | None = None
        self.taken = 0

    def wanted(self, now: float) -> bool:
        if self._next is None:
            self._next = now + self.frames.every_seconds
        return now >= self._next and not self.dark()

    def take(self, now: float) -> None:
        self._next = now + self.frames.every_seconds
        pixels = self.grab()
        wall = time.time()
        fields = {"time": datetime.fromtimestamp(wall), "scene": self.scene(), "show": self.show}
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(wall))
        path = self.folder / "images" / f"frame-{stamp}-{self.taken:05d}.png"
        self.taken += 1
        self.outbox.submit(
            Job(
                self.frames.targets,
                fill(self.frames.caption, **fields),
                fill(self.frames.alt, **fields),
                f"frame of {fields['scene']}",
                lambda: write_png(pixels(), path, durable=True),
            )
        )
