"""Face and eye detection with the Haar cascades that opencv-python (< 5) ships (no downloads).

``EyeTracker.observe`` turns a camera frame into an ``EyeObservation``: the face box, the two
eye regions (image-left first: on an unmirrored webcam that is the visitor's right eye) and an
equalised grey patch of each, or None when there is no face. The face is searched near where
it was in the last frame (a small region of a half-size image: a few milliseconds), the whole
frame only when it was lost.

The eye regions are where most webcam trackers lose their accuracy: a Haar eye box jitters by
a few pixels from frame to frame, about as much as the iris moves between the screen's edges.
So each eye region is *anchored*: its position relative to the face is smoothed over frames
and only the anchor moves with the head; an eye the cascade misses in one frame keeps its
anchor. Within the anchored region the iris is then located (``features.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from installation.errors import InputError
from installation.inputs.gaze.camera import BgrImage

Box = tuple[float, float, float, float]
"""x, y, width, height in frame pixels."""
GreyImage = NDArray[np.uint8]
PATCH_SIZE = (32, 20)
"""Width and height of an eye patch: the anchored eye region, resized and equalised."""
FACE_CASCADE = "haarcascade_frontalface_default.xml"
EYE_CASCADE = "haarcascade_eye.xml"
_DETECT_WIDTH = 320
"""Faces are searched in a half-size image (a face of 80 px and more in 640 px still shows)."""
_EYE_ROW = (0.18, 0.58)
"""The band of the face box (top to bottom) where the eyes are searched."""
_DEFAULT_EYES = ((0.31, 0.39), (0.69, 0.39))
"""Where eyes sit in a Haar face box (centre, as a share of its size), before any is seen."""
_EYE_WIDTH = 0.30
"""An anchored eye region's width as a share of the face's; its height is 0.6 of that."""


def cascade(name: str) -> cv2.CascadeClassifier:
    """One of the cascades inside opencv-python, or ``InputError`` if this OpenCV has none."""
    data = getattr(cv2, "data", None)
    folder = getattr(data, "haarcascades", None)
    if folder is None or not hasattr(cv2, "CascadeClassifier"):
        raise InputError(
            "this OpenCV ships no Haar cascades (opencv-python 5.x removed them); "
            "install opencv-python<5"
        )
    classifier = cv2.CascadeClassifier(folder + name)
    if classifier.empty():
        raise InputError(f"OpenCV's cascade {folder + name} could not be loaded")
    return classifier


@dataclass(frozen=True, eq=False)
class EyeObservation:
    """A face and both eyes in one frame.

    ``eyes`` and ``patches`` are image-left first. ``found`` is how many of the two eyes the
    cascade found in this frame (the others kept their anchor). ``frame_size`` is
    ``(width, height)``.
    """

    face: Box
    eyes: tuple[Box, Box]
    patches: tuple[GreyImage, GreyImage]
    found: int
    frame_size: tuple[int, int]


def _largest(boxes: object) -> tuple[float, float, float, float] | None:
    """The biggest of the boxes a cascade found (x, y, w, h), or None."""
    array = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if len(array) == 0:
        return None
    x, y, w, h = array[int(np.argmax(array[:, 2] * array[:, 3]))].tolist()
    return x, y, w, h


class EyeTracker:
    """Finds the face and eyes frame after frame (it keeps state: one tracker per camera)."""

    def __init__(self, smoothing: float = 0.35) -> None:
        self._faces = cascade(FACE_CASCADE)
        self._eyes = cascade(EYE_CASCADE)
        self._smoothing = smoothing
        self._face: Box | None = None
        self._anchors: list[tuple[float, float]] = [*_DEFAULT_EYES]
        self._seen = [False, False]

    def reset(self) -> None:
        """Forget the face (a new visitor, a new camera)."""
        self._face = None
        self._anchors = [*_DEFAULT_EYES]
        self._seen = [False, False]

    def observe(self, frame: BgrImage) -> EyeObservation | None:
        grey = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
        face = self._find_face(grey)
        if face is None:
            self._face = None
            return None
        self._face = face
        found = self._update_anchors(grey, face)
        height, width = grey.shape
        eyes = (self._eye_box(face, 0), self._eye_box(face, 1))
        left, right = (_patch(grey, box) for box in eyes)
        return EyeObservation(face, eyes, (left, right), found, (width, height))

    # faces ---------------------------------------------------------------------------------

    def _find_face(self, grey: GreyImage) -> Box | None:
        width = grey.shape[1]
        scale = min(1.0, _DETECT_WIDTH / width)
        small = np.asarray(
            cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.uint8
        )
        previous = self._face
        if previous is not None:
            found = self._face_near(small, previous, scale)
            if found is not None:
                return self._smoothed_face(found, previous)
        boxes = self._faces.detectMultiScale(
            small, scaleFactor=1.1, minNeighbors=5, minSize=(36, 36)
        )
        best = _largest(boxes)
        if best is None:
            return None
        x, y, w, h = (v / scale for v in best)
        return x, y, w, h

    def _face_near(self, small: GreyImage, previous: Box, scale: float) -> Box | None:
        """Search a region around the last face only (about a tenth of the frame)."""
        x, y, w, h = (v * scale for v in previous)
        margin = 0.45 * w
        left, top = max(0, int(x - margin)), max(0, int(y - margin))
        right = min(small.shape[1], int(x + w + margin))
        bottom = min(small.shape[0], int(y + h + margin))
        region = small[top:bottom, left:right]
        if region.shape[0] < 24 or region.shape[1] < 24:
            return None
        boxes = self._faces.detectMultiScale(
            region,
            scaleFactor=1.08,
            minNeighbors=4,
            minSize=(max(24, int(w * 0.7)),) * 2,
            maxSize=(int(w * 1.45),) * 2,
        )
        best = _largest(boxes)
        if best is None:
            return None
        bx, by, bw, bh = best
        return (bx + left) / scale, (by + top) / scale, bw / scale, bh / scale

    def _smoothed_face(self, found: Box, previous: Box) -> Box:
        # Haar's face box jitters by a few pixels; a still head should give a still box, a
        # moving head must be followed at once: smooth small changes, take big ones.
        size = previous[2]
        moved = max(abs(a - b) for a, b in zip(found, previous, strict=True)) / size
        keep = 0.6 if moved < 0.06 else 0.0
        return tuple(  # type: ignore[return-value]
            keep * p + (1.0 - keep) * f for p, f in zip(previous, found, strict=True)
        )

    # eyes ----------------------------------------------------------------------------------

    def _update_anchors(self, grey: GreyImage, face: Box) -> int:
        x, y, w, h = face
        top = int(y + _EYE_ROW[0] * h)
        bottom = int(y + _EYE_ROW[1] * h)
        found = 0
        for side in (0, 1):
            left = int(x + side * w / 2)
            region = grey[max(0, top) : max(0, bottom), max(0, left) : max(0, int(left + w / 2))]
            if region.size == 0:
                continue
            boxes = self._eyes.detectMultiScale(
                region,
                scaleFactor=1.1,
                minNeighbors=4,
                minSize=(max(8, int(w * 0.14)),) * 2,
                maxSize=(int(w * 0.42),) * 2,
            )
            best = _largest(boxes)
            if best is None:
                continue
            bx, by, bw, bh = best
            centre = ((left + bx + bw / 2 - x) / w, (top + by + bh / 2 - y) / h)
            keep = self._smoothing if self._seen[side] else 0.0
            old = self._anchors[side]
            self._anchors[side] = (
                keep * old[0] + (1 - keep) * centre[0],
                keep * old[1] + (1 - keep) * centre[1],
            )
            self._seen[side] = True
            found += 1
        return found

    def _eye_box(self, face: Box, side: int) -> Box:
        x, y, w, h = face
        cx, cy = self._anchors[side]
        width = _EYE_WIDTH * w
        height = 0.6 * width
        return x + cx * w - width / 2, y + cy * h - height / 2, width, height


def _patch(grey: GreyImage, box: Box) -> GreyImage:
    """The eye region resized to ``PATCH_SIZE`` with sub-pixel placement, then equalised."""
    x, y, w, h = box
    pw, ph = PATCH_SIZE
    # An affine warp places the crop to a fraction of a pixel (a slice would round it).
    matrix = np.array([[w / pw, 0.0, x], [0.0, h / ph, y]], dtype=np.float64)
    patch = cv2.warpAffine(
        grey,
        matrix,
        (pw, ph),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(cv2.equalizeHist(patch), dtype=np.uint8)
