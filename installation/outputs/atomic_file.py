"""Files written whole or not at all: a temporary file beside the target, then a rename.

A show killed mid-write (a kiosk's power cut) leaves the old file or the new one, never half
of one; readers (the gallery's JSON, a posted image, a saved session) never see a torn file.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image as PILImage


def atomic_write(path: Path, data: bytes, mode: int = 0o666) -> None:
    """Write ``data`` to ``path`` atomically; ``mode`` for a new file (0o600: a secret)."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def atomic_png(picture: PILImage.Image, path: Path) -> Path:
    """Save a picture as PNG at ``path`` atomically."""
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    atomic_write(path, buffer.getvalue())
    return path
