"""An artist's folder of photos as training images (``installation train rainbow --images DIR``).

Every readable image file directly in the folder (or below it) is centre-cropped to a square,
resized to the model's resolution and returned as uint8 RGB. Files that are not images, or
that Pillow cannot decode, are skipped with a logged warning; a missing folder or a folder
without one usable image is a TrainingError.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from installation.errors import TrainingError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif"})


def image_files(folder: Path) -> list[Path]:
    """Image files (by suffix) in ``folder`` and its subfolders, sorted by path."""
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )


def load_square_image(path: Path, size: int) -> NDArray[np.uint8]:
    """``path`` as uint8 RGB [size, size, 3]: centre-cropped square, resized (Lanczos).

    Raises OSError or ValueError (from Pillow) when the file cannot be decoded.
    """
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    w, h = image.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    square = image.crop((left, top, left + side, top + side))
    resized = square.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.uint8)


def load_image_folder(folder: Path, size: int) -> NDArray[np.uint8]:
    """All usable images of ``folder`` as uint8 [N, size, size, 3]."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TrainingError(
            f"Image folder {folder} does not exist or is not a folder. Pass --images with the "
            "folder that holds your rainbow photos (JPEG, PNG, WebP, ...)."
        )
    images: list[NDArray[np.uint8]] = []
    skipped = 0
    for path in image_files(folder):
        try:
            images.append(load_square_image(path, size))
        except (OSError, ValueError, SyntaxError) as exc:  # Pillow's decode errors
            skipped += 1
            log.warning("skipping %s: not a readable image (%s)", path, exc)
    if not images:
        raise TrainingError(
            f"No usable image in {folder} ({skipped} unreadable file(s) skipped). Put JPEG or "
            "PNG photos of rainbows there; sub-folders are searched too."
        )
    if skipped:
        log.warning("used %d images from %s, skipped %d unreadable", len(images), folder, skipped)
    return np.stack(images)
