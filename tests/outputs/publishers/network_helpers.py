"""Shared by the publisher tests: fake services with known credentials, posts from PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from installation.outputs.publishers.credentials import Secret
from installation.outputs.publishers.outbox_store import new_key
from installation.outputs.publishers.post import Post
from installation.outputs.publishers.post_images import write_png

X_KEYS = ("test-consumer-key", "test-consumer-secret", "test-access-token", "test-access-secret")
X_FIELDS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
MASTODON_TOKEN = "test-mastodon-token-0123"
BSKY_HANDLE, BSKY_PASSWORD = "show.test", "test-app-password"


def x_secrets(keys: tuple[str, ...] = X_KEYS) -> dict[str, Secret]:
    return {field: Secret(key) for field, key in zip(X_FIELDS, keys, strict=True)}


def picture(path: Path, width: int = 64, height: int = 48, noise: bool = False) -> Path:
    if noise:
        pixels = np.random.default_rng(1).integers(0, 255, (height, width, 3), dtype=np.uint8)
    else:
        pixels = np.zeros((height, width, 3), np.uint8)
        pixels[:, : width // 2] = (250, 120, 30)
    return write_png(pixels, path)


def a_post(image: Path, text: str = "A rainbow #item-1", attempts: int = 0, key: str = "") -> Post:
    return Post(1, "net", image, text, "Soft bands of colour.", key or new_key(), attempts)
