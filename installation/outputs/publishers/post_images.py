"""Images for posting: generated frames scaled up to a postable size, re-encoded to fit a limit."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage

from installation.outputs.atomic_file import atomic_png

MIME_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def write_png(
    image: NDArray[np.uint8], path: Path, min_width: int = 0, durable: bool = False
) -> Path:
    """Save an RGB image as PNG (atomically), scaled up (Lanczos) to at least ``min_width``;
    ``durable``: on disk (fsync of the file and its folder) before this returns."""
    picture = PILImage.fromarray(image)
    if min_width and picture.width < min_width:
        height = round(picture.height * min_width / picture.width)
        picture = picture.resize((min_width, height), PILImage.Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_png(picture, path)
    if durable:
        for name, flags in ((path, os.O_RDONLY), (path.parent, os.O_RDONLY)):
            descriptor = os.open(name, flags)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
    return path


def mime_type(path: Path) -> str:
    return MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")


def image_size(data: bytes) -> tuple[int, int]:
    with PILImage.open(io.BytesIO(data)) as picture:
        return picture.size


def fit_bytes(data: bytes, mime: str, limit: int) -> tuple[bytes, str, tuple[str, ...]]:
    """``data`` if it is at most ``limit`` bytes, else re-encoded (JPEG, then smaller) to fit."""
    if len(data) <= limit:
        return data, mime, ()
    with PILImage.open(io.BytesIO(data)) as opened:
        picture = opened.convert("RGB")
    original = len(data)
    for scale in (1.0, 0.85, 0.7, 0.5, 0.35, 0.25):
        sized = picture
        if scale < 1.0:
            size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
            sized = picture.resize(size, PILImage.Resampling.LANCZOS)
        for quality in (92, 85, 75, 65):
            buffer = io.BytesIO()
            sized.save(buffer, format="JPEG", quality=quality, optimize=True)
            if buffer.tell() <= limit:
                note = (
                    f"image re-encoded to fit {limit:,} bytes: {original:,} -> {buffer.tell():,} "
                    f"bytes (JPEG quality {quality}, {sized.width}x{sized.height})"
                )
                return buffer.getvalue(), "image/jpeg", (note,)
    raise ValueError(f"the image cannot be made to fit {limit:,} bytes")
