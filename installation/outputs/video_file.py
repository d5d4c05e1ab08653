"""Writing rendered frames to MP4 (imageio-ffmpeg's bundled ffmpeg), GIF, animated PNG or PNGs."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage

from installation.errors import InstallationError

FORMATS = {".mp4": "MP4 video", ".gif": "animated GIF", ".png": "animated PNG"}


class FrameWriter:
    """Streams frames to ``path``; the format follows the suffix (no suffix: a PNG folder)."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path = path
        self.fps = fps
        self.frames = 0
        self._suffix = path.suffix.lower()
        self._video: Any = None
        self._images: list[PILImage.Image] = []
        if self._suffix and self._suffix not in FORMATS:
            known = ", ".join(FORMATS)
            raise InstallationError(
                f"Cannot render to {path}: unknown format {self._suffix!r}. Use one of {known}, "
                "or a folder path without a suffix for one PNG per frame."
            )
        if self._suffix:
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            path.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> FrameWriter:
        if self._suffix == ".mp4":
            import imageio.v2 as imageio

            self._video = imageio.get_writer(
                str(self.path),
                fps=self.fps,
                codec="libx264",
                quality=8,
                pixelformat="yuv420p",
                macro_block_size=2,
            )
        return self

    def write(self, frame: NDArray[np.uint8]) -> None:
        if self._video is not None:
            self._video.append_data(frame)
        elif self._suffix in (".gif", ".png"):
            self._images.append(PILImage.fromarray(frame))
        else:
            PILImage.fromarray(frame).save(self.path / f"frame_{self.frames:06d}.png")
        self.frames += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._video is not None:
            self._video.close()
        elif self._images:
            first, *rest = self._images
            first.save(
                self.path,
                save_all=True,
                append_images=rest,
                duration=round(1000 / self.fps),
                loop=0,
                optimize=False,
            )
