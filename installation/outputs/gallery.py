"""The gallery: every revealed image saved as PNG plus a JSON that can re-render it exactly.

Writing happens on the gallery's own thread; the frame loop only hands over the event.
The JSON holds the full latent (like Runway's exported vector), truncation, seed, model file
and its SHA-256, and the time, so ``installation rainbow --from FILE.json`` reproduces it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image as PILImage

from installation.events import Event, ImageRevealed
from installation.outputs.atomic_file import atomic_png, atomic_write
from installation.outputs.base import OutputSink
from installation.outputs.gallery_bounds import GalleryBounds
from installation.throttled_log import ThrottledLog

log = logging.getLogger(__name__)


def record_for(event: ImageRevealed, image_name: str) -> dict[str, Any]:
    """The JSON record saved next to a revealed image."""
    return {
        "image": image_name,
        "z": [float(v) for v in event.z.ravel()],
        "truncation": float(event.truncation),
        "seed": int(event.seed),
        "model": event.model_name,
        "model_file": event.model_path.name,
        "model_sha256": file_sha256(event.model_path),
        "scene": event.scene,
        "trigger": event.trigger,
        "caption": event.caption,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(event.wall_time)),
        "size": [int(event.image.shape[1]), int(event.image.shape[0])],
    }


_HASHES: dict[Path, str] = {}


def file_sha256(path: Path) -> str:
    """SHA-256 of a model file (cached: models do not change while a show runs)."""
    if path not in _HASHES:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _HASHES[path] = digest.hexdigest()
    return _HASHES[path]


def gallery_stem(event: ImageRevealed) -> str:
    """The file name (without suffix) a revealed image is saved under: time, scene, seed."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(event.wall_time))
    millis = int((event.wall_time % 1) * 1000)
    return f"{stamp}-{millis:03d}_{event.scene.replace(' ', '-')}_seed{event.seed}"


def save_reveal(folder: Path, event: ImageRevealed) -> Path:
    """Write ``<time>_<scene>_seed<N>.png`` and ``.json`` into ``folder``; returns the PNG path."""
    folder.mkdir(parents=True, exist_ok=True)
    png = atomic_png(PILImage.fromarray(event.image), folder / f"{gallery_stem(event)}.png")
    record = record_for(event, png.name)
    atomic_write(png.with_suffix(".json"), (json.dumps(record, indent=1) + "\n").encode())
    return png


class GalleryWriter(OutputSink):
    """Saves ``ImageRevealed`` events on a background thread, within the gallery's bounds.

    When the writer falls behind (64 images waiting) new images are dropped and counted in
    ``failures``: the show never waits for the disk. A full disk (or any failed write) is
    counted (``gallery_failures``) and logged once a minute; the show goes on, and the next
    image is tried again. Past ``bounds`` the oldest images are removed (``gallery_removed``).
    """

    name = "gallery"
    when_behind = "drop"

    def __init__(
        self,
        folder: Path,
        bounds: GalleryBounds | None = None,
        count: Callable[[str, int], None] = lambda name, amount: None,
    ) -> None:
        self.folder = folder
        self.bounds = bounds or GalleryBounds(folder, 0, 0)
        self.saved_count = 0
        self.last_saved: Path | None = None
        self.failures = 0
        self._count = count
        self._problems = ThrottledLog(log, interval=60.0)
        self._queue: queue.Queue[ImageRevealed | None] = queue.Queue(maxsize=64)
        self._thread = threading.Thread(target=self._work, name="gallery", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def handle(self, event: Event) -> None:
        if isinstance(event, ImageRevealed):
            try:
                self._queue.put_nowait(event)
            except queue.Full:
                self.failures += 1
                self._count("gallery_failures", 1)
                log.warning("gallery: writer is behind, dropped a %s image", event.scene)

    def stop(self) -> None:
        """Write what is queued, then stop."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=30.0)

    def _work(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            try:
                path = save_reveal(self.folder, event)
                removed = self.bounds.saved(path)
            except OSError as exc:  # a full disk, a folder gone: the next image tries again
                self.failures += 1
                self._count("gallery_failures", 1)
                self._problems.warning(
                    ("save", exc.errno), "gallery: could not save to %s: %s", self.folder, exc
                )
                continue
            self.saved_count += 1
            self.last_saved = path
            log.info("gallery: saved %s", path.name)
            if removed:
                self._count("gallery_removed", len(removed))
                log.info("gallery: removed the %d oldest image(s) to stay in bounds", len(removed))
