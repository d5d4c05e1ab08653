"""Credentials: read from environment variables named in the show, or a ``.env`` file.

The show file names the variables (``access_token_env = "MASTODON_ACCESS_TOKEN"``); the values
come from the process environment first, then from ``[posting] env_file`` (read with
python-dotenv, which must lie outside the repository so a secret is never committed). A
``Secret`` prints as ``***``; every value read is also registered with ``SecretRedactor``, a
logging filter that blanks it out of any log line, whoever writes it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from installation.errors import ConfigError

_KNOWN: set[str] = set()


class Secret:
    """A credential: ``reveal()`` gives the value; ``str`` and ``repr`` never do."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if len(value) >= 4:
            _KNOWN.add(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


class SecretRedactor(logging.Filter):
    """Replaces every known secret value in a log record's message with ``***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _KNOWN:
            return True
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact(text: str) -> str:
    """``text`` with every credential read so far replaced by ``***``."""
    for value in sorted(_KNOWN, key=len, reverse=True):
        text = text.replace(value, "***")
    return text


def install_redactor() -> None:
    """Put the redactor on every handler of the root logger (idempotent)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, SecretRedactor) for f in handler.filters):
            handler.addFilter(SecretRedactor())
    # These log request headers (the signed Authorization) at DEBUG: never let them.
    for name in ("requests_oauthlib", "oauthlib", "tweepy", "httpx", "httpcore", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _repository_of(path: Path) -> Path | None:
    for folder in path.parents:
        if (folder / ".git").exists():
            return folder
    return None


def read_env_file(path: Path | None) -> dict[str, str]:
    """The variables of ``path`` (none when unset); refused inside a git repository."""
    if path is None:
        return {}
    repository = _repository_of(path)
    if repository is not None:
        raise ConfigError(
            f"[posting] env_file {path} is inside the git repository {repository}: a secret "
            "there is one `git add` away from being published. Move it outside, e.g. "
            "~/.config/installation/posting.env, and point env_file there."
        )
    if not path.is_file():
        raise ConfigError(
            f"[posting] env_file {path} does not exist. Create it (NAME=value lines) or remove "
            "env_file and set the variables in the environment."
        )
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def credentials(
    names: Mapping[str, str],
    env_file: Path | None,
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, Secret], list[str]]:
    """``{field: Secret}`` for each ``{field: VARIABLE}``, and the variables that are missing."""
    environment = os.environ if environ is None else environ
    from_file = read_env_file(env_file)
    found: dict[str, Secret] = {}
    missing: list[str] = []
    for field, variable in names.items():  # the names were checked when the show loaded
        value = environment.get(variable) or from_file.get(variable)
        if value:
            found[field] = Secret(value.strip())
        else:
            missing.append(variable)
    return found, missing
