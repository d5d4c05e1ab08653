"""Gaze features: what the regressor sees of one ``EyeObservation``, as one float32 vector.

Three groups, chosen so that lighting and head movement are not read as gaze:

- each eye's equalised patch at 10x6 (WebGazer's features: 120 numbers for both eyes);
- each eye's iris centre inside its anchored region, found as the centroid of the patch's
  darkest pixels (4 numbers, in [-0.5, 0.5] of the region);
- the head: the face's centre in the frame and its size (3 numbers). Calibration does not
  fit on them today (``gaze_tools.USED`` says why); they are in the layout so a model that
  can use them needs no new feature version.

The layout is versioned (``FEATURES``); a gaze model records the version it was fitted on and
is refused by an extractor of another.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from installation.inputs.gaze.eyes import EyeObservation, GreyImage

FEATURES = "haar-patch-iris-head/1"
"""Name and version of this feature layout (stored in every gaze model's metadata)."""
COARSE_PATCH = (10, 6)
IRIS_SLICE = slice(120, 124)
HEAD_SLICE = slice(124, 127)
FEATURE_COUNT = 127
FeatureVector = NDArray[np.float32]


def iris_centre(patch: GreyImage) -> tuple[float, float]:
    """The centroid of the darkest fifth of an equalised eye patch, in [-0.5, 0.5]^2.

    Weighted by how much darker than the threshold each pixel is, so it moves smoothly with
    the iris instead of jumping a pixel at a time; the patch's border is left out (brows and
    lid edges reach into it).
    """
    height, width = patch.shape
    inner = patch[1 : height - 1, 1 : width - 1].astype(np.float32)
    threshold = float(np.percentile(inner, 20.0))
    weight = np.clip(threshold - inner + 1.0, 0.0, None)
    total = float(weight.sum())
    if total <= 0.0:
        return 0.0, 0.0
    ys, xs = np.mgrid[1 : height - 1, 1 : width - 1].astype(np.float32)
    cx = float((weight * xs).sum()) / total
    cy = float((weight * ys).sum()) / total
    return (cx + 0.5) / width - 0.5, (cy + 0.5) / height - 0.5


def gaze_features(observation: EyeObservation) -> FeatureVector:
    """The feature vector of one observation (``FEATURE_COUNT`` float32 numbers)."""
    values = np.empty(FEATURE_COUNT, dtype=np.float32)
    for side, patch in enumerate(observation.patches):
        coarse = cv2.resize(patch, COARSE_PATCH, interpolation=cv2.INTER_AREA)
        values[side * 60 : (side + 1) * 60] = coarse.reshape(-1) / 255.0
        values[120 + 2 * side : 122 + 2 * side] = iris_centre(patch)
    x, y, w, h = observation.face
    frame_width, frame_height = observation.frame_size
    values[HEAD_SLICE] = (
        (x + w / 2) / frame_width - 0.5,
        (y + h / 2) / frame_height - 0.5,
        w / frame_width,
    )
    return values
