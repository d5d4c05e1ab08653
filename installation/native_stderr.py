"""Holding back what native libraries (SDL, Xlib, onnxruntime, OpenCV) print on stderr.

They write to file descriptor 2 directly, past Python's logging, so a clear one-paragraph
message can arrive after stray lines. ``held_native_stderr`` points descriptor 2 at a
temporary file for the block and hands the caller what was printed, line by line.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def held_native_stderr() -> Iterator[list[str]]:
    """Within the block, stderr (descriptor 2) goes to a temporary file; after it, the list
    holds the non-empty lines printed there (stripped), and stderr is back where it was."""
    printed: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield printed
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read().decode("utf-8", errors="replace")
            printed.extend(line.strip() for line in text.splitlines() if line.strip())
