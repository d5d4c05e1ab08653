"""The project's exception hierarchy: one base, one class per layer.

Every error a user can cause is one of these; the command line turns them into a
one-paragraph message and exit code 2 (tracebacks only with ``--debug``).
"""

from __future__ import annotations


class InstallationError(Exception):
    """Raised when anything in the installation fails in a way a user can act on."""


class ConfigError(InstallationError):
    """Raised when a show config is missing, not TOML, or fails validation."""


class ModelError(InstallationError):
    """Raised when a model file is missing, corrupt, or breaks the model contract."""


class InputError(InstallationError):
    """Raised when an input device or input source (camera, OSC port, video file) cannot be used."""


class PublishError(InstallationError):
    """Raised when a frame cannot be posted to a social network."""


class DisplayError(InstallationError):
    """Raised when no window can be opened, or another instance already holds the display."""


class TrainingError(InstallationError):
    """Raised when training or export cannot proceed (bad data, missing torch, bad checkpoint)."""
