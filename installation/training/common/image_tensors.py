"""uint8 image batches as network input, the same way for every model (torch)."""

from __future__ import annotations

from torch import Tensor


def images_to_tensor(images: Tensor) -> Tensor:
    """uint8 [N, H, W, 3] -> float [N, 3, H, W] in [-1, 1]."""
    return images.permute(0, 3, 1, 2).float() / 127.5 - 1.0
