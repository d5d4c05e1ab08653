"""Keeping a gallery folder within bounds: at most so many images and so many bytes.

A kiosk that reveals a rainbow every 20 s fills a disk in months (some 230 MB a day at the
stage show's attract rate), so the gallery removes its oldest images (PNG and JSON together)
once it holds more than ``[gallery] max_images`` or ``max_megabytes``. File names begin with
the reveal's time (``gallery_stem``), so name order is age order. Posts never depend on the
gallery's files: the outbox keeps its own copy of each image until every target is done.
"""

from __future__ import annotations

import contextlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GalleryUsage:
    """What a gallery folder holds now."""

    images: int
    bytes: int


def _pair_bytes(png: Path) -> int:
    """Bytes of an image and its JSON (0 for a file that went away meanwhile)."""
    total = 0
    for path in (png, png.with_suffix(".json")):
        with contextlib.suppress(OSError):
            total += path.stat().st_size
    return total


def gallery_usage(folder: Path) -> GalleryUsage:
    """Images in ``folder`` and the bytes they and their JSON take (for ``doctor``)."""
    pngs = list(folder.glob("*.png")) if folder.is_dir() else []
    return GalleryUsage(len(pngs), sum(_pair_bytes(png) for png in pngs))


class GalleryBounds:
    """Knows the gallery's images oldest first and removes the oldest past the bounds.

    It reads the folder once, on the first image saved (on the gallery's thread), then keeps
    count; its memory is one entry per image kept, which the bounds limit. ``0`` means no
    limit for either bound.
    """

    def __init__(self, folder: Path, max_images: int, max_bytes: int) -> None:
        self.folder = folder
        self.max_images = max_images
        self.max_bytes = max_bytes
        self._kept: deque[tuple[Path, int]] | None = None
        self._bytes = 0

    @property
    def bounded(self) -> bool:
        return self.max_images > 0 or self.max_bytes > 0

    def _load(self) -> deque[tuple[Path, int]]:
        kept = deque((png, _pair_bytes(png)) for png in sorted(self.folder.glob("*.png")))
        self._bytes = sum(size for _, size in kept)
        return kept

    def saved(self, png: Path) -> list[Path]:
        """Note a newly saved image; remove the oldest ones past the bounds (never ``png``
        itself) and return the images removed. Raises ``OSError`` if one cannot be removed."""
        if not self.bounded:
            return []
        if self._kept is None:
            self._kept = self._load()  # the new image is already on disk: counted here
        else:
            size = _pair_bytes(png)
            self._kept.append((png, size))
            self._bytes += size
        removed: list[Path] = []
        while len(self._kept) > 1 and self._over():
            oldest, size = self._kept.popleft()
            for path in (oldest, oldest.with_suffix(".json")):
                path.unlink(missing_ok=True)
            self._bytes -= size
            removed.append(oldest)
        return removed

    def _over(self) -> bool:
        assert self._kept is not None
        too_many = self.max_images > 0 and len(self._kept) > self.max_images
        too_big = self.max_bytes > 0 and self._bytes > self.max_bytes
        return too_many or too_big
